import type { InvokeCommandInput, InvokeCommandOutput } from '@aws-sdk/client-lambda'
import { clientPool, lazySender } from '../calls/clients.js'
import { retryOnGone } from '../calls/gone.js'
import { decodeJson, encodeJson, isRecord, validate } from '../calls/json.js'
import { LAMBDA_ASYNC_PAYLOAD, LAMBDA_SYNC_PAYLOAD } from '../calls/limits.js'
import { refused } from '../calls/refused.js'
import { loadLambdaSdk } from '../calls/sdk.js'
import { checkType, requireArn, requireAttribute } from '../calls/target.js'
import { bindResolved, defineDependency } from '../dependency/dependency.js'
import { AttributeValidationError, CloudMapMiddyError, RemoteInvocationError } from '../errors.js'
import { checkInCallersRegion } from '../policy/policy.js'
import { describeSize } from '../redact.js'
import type { InferInput, InferOutput, Schema } from '../schema.js'
import type { AddressInput } from '../types/address.js'
import type { Dependency, DiscoveryOptions, ResolvedInstance } from '../types/dependency.js'
import type { TargetPolicy } from '../types/policy.js'
import type { RegisteredInstance } from '../types/registry.js'
import type { RawAttributes } from './instance.js'

/** Options of `lambda()`: schemas for the payload, the result and the attributes, and discovery options. */
export interface LambdaOptions<P extends Schema | undefined, R extends Schema | undefined, A extends Schema | undefined>
  extends DiscoveryOptions {
  /** Checks what is sent; its input type is what `request()` and `invoke()` accept. */
  readonly payload?: P
  /** Checks what `request()` returns; its output type is the result's type. */
  readonly result?: R
  /**
   * Validates the instance's attributes (any Standard Schema validator: zod, valibot,
   * arktype, ...); its output type is the resolved `attributes`. The kind's own attributes
   * (`type`, `arn`, `url`) are checked whether or not the schema names them.
   */
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
export interface LambdaFunction<Payload, Result, Attributes> extends ResolvedInstance<Attributes> {
  /** The function ARN from the registry (it may carry a version or alias), or the partial ARN or function name registered. */
  readonly arn: string
  /** The function's region: from its ARN, else the caller's (env `AWS_REGION`; empty when unset). */
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

/** `LambdaClient`, made on its first use (its SDK module loaded then, or by a prefetch in Lambda). */
const loadLambdaClient = async () => (await loadLambdaSdk()).LambdaClient

const encoder = new TextEncoder()
const decoder = new TextDecoder()

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
  // A payload that is not Lambda's error shape may hold anything: only its size is told.
  const unreadable = `the function's error payload is not { errorType, errorMessage } (${describeSize(text)})`
  if (!isRecord(body)) return new RemoteInvocationError(label, functionError, 'Unknown', unreadable)
  const errorType = typeof body.errorType === 'string' ? body.errorType : 'Unknown'
  const errorMessage = typeof body.errorMessage === 'string' ? body.errorMessage : unreadable
  return new RemoteInvocationError(label, functionError, errorType, errorMessage, toStack(body.trace ?? body.stackTrace))
}

// Lambda's own rules for FunctionName: a name of at most 64 characters, and a version or alias.
const QUALIFIED_NAME = '[A-Za-z0-9_-]{1,64}(?::(?:\\$LATEST|[A-Za-z0-9_-]{1,128}))?'
const FUNCTION_RESOURCE = new RegExp(`^function:${QUALIFIED_NAME}$`)
const FUNCTION_NAME = new RegExp(`^${QUALIFIED_NAME}$`)
const PARTIAL_ARN = new RegExp(`^(\\d{12}):function:${QUALIFIED_NAME}$`)

/**
 * What the registered `arn` names: a function ARN (its region and account checked), or, as
 * Peak's registrations write it, a partial ARN (`123456789012:function:name`) or a function
 * name, invoked in the caller's region (env `AWS_REGION`) and, for a name, account.
 * `allowedRegions` checks that region; `allowedAccounts` checks a partial ARN's account and
 * passes a bare name, which can only name a function of the caller's own account.
 */
function locateFunction(label: string, registered: RegisteredInstance, policy: TargetPolicy): { arn: string; region: string } {
  const source = { label, instanceId: registered.instanceId }
  const text = requireAttribute(label, registered, 'arn', 'for a lambda target (a function ARN, partial ARN or name)')
  const invalid = (message: string) => new AttributeValidationError(label, registered.instanceId, [{ path: ['arn'], message }])
  if (text.startsWith('arn:')) {
    const { arn, region, resource } = requireArn(label, registered, 'lambda', policy)
    // A layer or event-source-mapping ARN is a lambda ARN too, but cannot be invoked.
    if (!FUNCTION_RESOURCE.test(resource) || region === '') throw invalid(`"${arn}" is not a function ARN with a region`)
    return { arn, region }
  }
  const partial = PARTIAL_ARN.exec(text)
  if (!partial && !FUNCTION_NAME.test(text)) throw invalid(`"${text}" is not a function ARN, partial ARN or function name`)
  return { arn: text, region: checkInCallersRegion(source, text, partial?.[1], policy) }
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
// Declaring a dependency does nothing else: a bundler may drop one that is never used.
/* @__NO_SIDE_EFFECTS__ */
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

  return defineDependency<Value>(
    'lambda',
    address,
    options,
    (registered, context) => {
      const { label, policy } = context
      checkType(label, registered, 'lambda')
      const { arn, region } = locateFunction(label, registered, policy)
      // The client is made on the first call, after its payload passed every check (the SDK module may be loaded already: see warmDependency).
      const connect = clientPool(context.clients, context.awsClientCapture).client(
        'lambda',
        region === '' ? undefined : region,
        context.clients?.lambda,
        loadLambdaClient,
      )
      const sender = lazySender({ label, address: context.address, kind: 'lambda' }, loadLambdaSdk, connect)

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
        return client
          .send(new sdk.InvokeCommand(input), signal ? { abortSignal: signal } : {})
          .catch(refused(label, 'Lambda', 'Invoke', arn))
      }

      return bindResolved(registered, label, attributesSchema, () => ({
        arn,
        region,
        ...retryOnGone(context, arn, {
          async request(payload: unknown, callOptions: CallOptions = {}) {
            const response = await send(payload, 'RequestResponse', LAMBDA_SYNC_PAYLOAD, callOptions.signal)
            const text = response.Payload ? decoder.decode(response.Payload) : ''
            if (response.FunctionError !== undefined) throw remoteError(label, response.FunctionError, text)
            const result = validate(label, 'result', resultSchema, decodeJson(label, 'result', text))
            return result instanceof Promise ? await result : result
          },
          async invoke(payload: unknown, callOptions: CallOptions = {}) {
            const response = await send(payload, 'Event', LAMBDA_ASYNC_PAYLOAD, callOptions.signal)
            if (response.StatusCode !== 202) {
              throw new CloudMapMiddyError(
                label,
                `Lambda "${label}" did not accept the event: status ${response.StatusCode ?? 'none'}, expected 202`,
              )
            }
          },
        }),
      }))
    },
    undefined,
    loadLambdaSdk,
  )
}
