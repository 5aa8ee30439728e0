import type { InvokeCommandInput, InvokeCommandOutput } from '@aws-sdk/client-lambda'
import type { AddressInput } from '../address/address.js'
import { lazySender, loadLambdaSdk } from '../calls/clients.js'
import { encodeJson, validate } from '../calls/json.js'
import { LIMITS } from '../calls/limits.js'
import { checkType, requireArn } from '../calls/target.js'
import { andThen, type Dependency, type DiscoveryOptions, defineDependency, parseAttributes } from '../dependency/dependency.js'
import { AttributeValidationError, CloudMapMiddyError, PayloadValidationError, RemoteInvocationError } from '../errors.js'
import type { InferInput, InferOutput, Schema } from '../schema.js'
import type { RawAttributes } from './instance.js'

/** Options of `lambda()`: schemas for the payload, the result and the attributes, and discovery options. */
export interface LambdaOptions<P extends Schema | undefined, R extends Schema | undefined, A extends Schema | undefined>
  extends DiscoveryOptions {
  /** Checks what is sent; its input type is what `request()` and `invoke()` accept. */
  readonly payload?: P
  /** Checks what `request()` returns; its output type is the result's type. */
  readonly result?: R
  readonly attributes?: A
}

/** Per-call options of `request()` and `invoke()`. */
export interface CallOptions {
  /** Aborts the SDK call (e.g. when the handler runs out of time). */
  readonly signal?: AbortSignal
}

/**
 * A resolved Lambda function: the registered instance and its call helpers.
 *
 * A payload of `undefined` (after the payload schema, when there is one) is sent
 * without a `Payload` field, as an invocation with no input.
 */
export interface LambdaFunction<Payload, Result, Attributes> {
  readonly instanceId: string
  /** The address it was resolved from, as text. */
  readonly address: string
  readonly attributes: Attributes
  /** The function ARN from the registry (it may carry a version or alias). */
  readonly arn: string
  /** The function's region, taken from its ARN. */
  readonly region: string
  /**
   * RequestResponse: JSON in and out, result checked by its schema. An empty
   * response is `undefined`.
   *
   * @throws {PayloadValidationError} when the payload or the result does not satisfy its schema, or the result is not JSON.
   * @throws {PayloadTooLargeError} over 6 MB; nothing is sent.
   * @throws {RemoteInvocationError} when the function failed (`FunctionError`).
   */
  request(payload: Payload, options?: CallOptions): Promise<Result>
  /**
   * Event: resolves when Lambda accepts it (202).
   *
   * @throws {PayloadValidationError} when the payload does not satisfy its schema.
   * @throws {PayloadTooLargeError} over 1 MB; nothing is sent.
   */
  invoke(payload: Payload, options?: CallOptions): Promise<void>
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** Node reports `trace` (strings), Python `stackTrace` (strings, or tuples in old runtimes), Java `stackTrace`. */
function toStack(value: unknown): readonly string[] | undefined {
  if (typeof value === 'string') return value.split('\n')
  if (!Array.isArray(value)) return undefined
  return value.map((line) => (typeof line === 'string' ? line : JSON.stringify(line)))
}

/** Turns a `FunctionError` response into an error; whatever the payload holds, the caller gets something readable. */
function remoteError(label: string, functionError: string, text: string): RemoteInvocationError {
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    body = undefined
  }
  if (!isRecord(body)) return new RemoteInvocationError(label, functionError, 'Unknown', text)
  const errorType = typeof body.errorType === 'string' ? body.errorType : 'Unknown'
  const errorMessage = typeof body.errorMessage === 'string' ? body.errorMessage : text
  return new RemoteInvocationError(label, functionError, errorType, errorMessage, toStack(body.trace ?? body.stackTrace))
}

function decodeResult(label: string, payload: Uint8Array | undefined): unknown {
  const text = payload ? decoder.decode(payload) : ''
  if (text === '') return undefined
  try {
    return JSON.parse(text)
  } catch (error) {
    throw new PayloadValidationError(label, 'result', [{ path: [], message: `is not JSON: ${(error as Error).message}` }])
  }
}

/**
 * A dependency on a Lambda function registered in Cloud Map (`type` `lambda` or
 * `function`, and its `arn`). The instance is checked once per fetched set: type,
 * ARN (account and region within the resolver's `allowedAccounts` / `allowedRegions`)
 * and attributes. The SDK client is the one for the ARN's region.
 *
 * @example
 * ```ts
 * import { z } from 'zod'
 * const getJob = lambda('prod.scheduler->get-job', {
 *   payload: z.object({ id: z.string() }),
 *   result: z.object({ id: z.string(), state: z.enum(['queued', 'done']) }),
 * })
 * const jobs = await resolver.resolve(getJob)
 * const job = await jobs.request({ id: '42' }) // { id: string; state: 'queued' | 'done' }
 * await jobs.invoke({ id: '42' }) // asynchronous (Event): resolves once Lambda accepts it
 * ```
 */
export function lambda<
  P extends Schema | undefined = undefined,
  R extends Schema | undefined = undefined,
  A extends Schema | undefined = undefined,
>(
  address: AddressInput,
  options: LambdaOptions<P, R, A> = {},
): Dependency<LambdaFunction<InferInput<P, unknown>, InferOutput<R, unknown>, InferOutput<A, RawAttributes>>> {
  type Value = LambdaFunction<InferInput<P, unknown>, InferOutput<R, unknown>, InferOutput<A, RawAttributes>>
  const payloadSchema = options.payload as Schema | undefined
  const resultSchema = options.result as Schema<InferOutput<R, unknown>> | undefined
  const attributesSchema = options.attributes as Schema<InferOutput<A, RawAttributes>> | undefined

  return defineDependency<Value>('lambda', address, options, (registered, context) => {
    const { label, policy } = context
    checkType(label, registered, 'lambda')
    const { arn, region, resource } = requireArn(label, registered, 'lambda', policy)
    // A layer or event-source-mapping ARN is a lambda ARN too, but cannot be invoked.
    if (!resource.startsWith('function:') || region === '') {
      throw new AttributeValidationError(label, registered.instanceId, [
        { path: ['arn'], message: `"${arn}" is not a function ARN with a region` },
      ])
    }
    // The SDK is loaded on the first call, after its payload passed every check.
    const sender = lazySender(loadLambdaSdk, context.clients.lambda(region))

    /** Validates and encodes the payload, then sends it; every failure is a rejection. */
    const send = async (
      payload: unknown,
      invocationType: 'RequestResponse' | 'Event',
      limit: number,
      signal: AbortSignal | undefined,
    ): Promise<InvokeCommandOutput> => {
      const checked = validate(label, 'payload', payloadSchema, payload)
      const value = checked instanceof Promise ? await checked : checked
      const input: InvokeCommandInput = { FunctionName: arn, InvocationType: invocationType }
      if (value !== undefined) input.Payload = encoder.encode(encodeJson(label, 'payload', value, limit))
      const { sdk, client } = await sender()
      return client.send(new sdk.InvokeCommand(input), signal ? { abortSignal: signal } : {})
    }

    return andThen(
      parseAttributes(attributesSchema, registered, label),
      (attributes): Value =>
        Object.freeze({
          instanceId: registered.instanceId,
          address: label,
          attributes,
          arn,
          region,
          async request(payload: unknown, callOptions: CallOptions = {}) {
            const response = await send(payload, 'RequestResponse', LIMITS.lambdaSyncPayload, callOptions.signal)
            if (response.FunctionError !== undefined) {
              throw remoteError(label, response.FunctionError, response.Payload ? decoder.decode(response.Payload) : '')
            }
            const result = validate(label, 'result', resultSchema, decodeResult(label, response.Payload))
            return result instanceof Promise ? await result : result
          },
          async invoke(payload: unknown, callOptions: CallOptions = {}) {
            const response = await send(payload, 'Event', LIMITS.lambdaAsyncPayload, callOptions.signal)
            if (response.StatusCode !== 202) {
              throw new CloudMapMiddyError(
                label,
                `Lambda "${label}" did not accept the event: status ${response.StatusCode ?? 'none'}, expected 202`,
              )
            }
          },
        }),
    )
  })
}
