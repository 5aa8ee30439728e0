import { clientPool, lazySender } from '../calls/clients.js'
import { retryOnGone } from '../calls/gone.js'
import { decodeJson, encodeJson, validate } from '../calls/json.js'
import { SFN_INPUT } from '../calls/limits.js'
import { refused } from '../calls/refused.js'
import { loadSfnSdk } from '../calls/sdk.js'
import { checkType, requireArn } from '../calls/target.js'
import { bindResolved, defineDependency } from '../dependency/dependency.js'
import { environmentEndpoint } from '../endpoints.js'
import { AttributeValidationError, ExecutionFailedError, InvalidExecutionNameError } from '../errors.js'
import type { InferInput, InferOutput, Schema } from '../schema.js'
import type { AddressInput } from '../types/address.js'
import type { CallClients } from '../types/calls.js'
import type { Dependency, DiscoveryOptions, ResolvedInstance } from '../types/dependency.js'
import type { RawAttributes } from './instance.js'

/** Options of `stateMachine()`: schemas for the input, the output and the attributes, and discovery options. */
export interface StateMachineOptions<I extends Schema | undefined, O extends Schema | undefined, A extends Schema | undefined>
  extends DiscoveryOptions {
  /** Checks what an execution is started with; its input type is what `start()` and `run()` accept. */
  readonly input?: I
  /** Checks what `run()` returns (the execution's output); its output type is the result's type. */
  readonly output?: O
  /**
   * Validates the instance's attributes (any Standard Schema validator: zod, valibot,
   * arktype, ...); its output type is the resolved `attributes`. The kind's own attributes
   * (`type`, `arn`) are checked whether or not the schema names them.
   */
  readonly attributes?: A
}

/** Per-call options of `start()` and `run()`. */
export interface ExecutionOptions {
  /**
   * The execution's name: 1 to 80 characters, no white space, brackets, wildcards, control
   * characters or any of `" # % \ ^ | ~ ` $ & , ; : /` (Step Functions' rules, checked before
   * sending). Default: a UUID chosen by Step Functions.
   */
  readonly name?: string
  /** The X-Ray trace header to pass on (`Root=...;Parent=...;Sampled=1`). */
  readonly traceHeader?: string
  /** Aborts the SDK call (e.g. when the handler runs out of time). */
  readonly signal?: AbortSignal
}

/** What Step Functions answers to `start()`. */
export interface ExecutionStarted {
  /** The ARN of the execution started. */
  readonly executionArn: string
  /** When it started. */
  readonly startDate: Date
}

/**
 * A resolved Step Functions state machine: the registered instance and its call helpers.
 *
 * An input of `undefined` (after the input schema, when there is one) is sent without an
 * `input` field: Step Functions then starts the execution with `{}`.
 */
export interface StateMachine<Input, Output, Attributes> extends ResolvedInstance<Attributes> {
  /** The state machine ARN from the registry (it may name a version or an alias). */
  readonly arn: string
  /** The state machine's region, taken from its ARN. */
  readonly region: string
  /** The state machine's name, taken from its ARN (without a version or alias). */
  readonly name: string
  /**
   * StartExecution: starts an execution (STANDARD or EXPRESS) and resolves once Step
   * Functions accepted it, without waiting for its end.
   *
   * @throws {PayloadValidationError} when the input does not satisfy its schema or has no JSON form; nothing is sent.
   * @throws {PayloadTooLargeError} over 256 KiB; nothing is sent.
   * @throws {InvalidExecutionNameError} for a `name` Step Functions would refuse; nothing is sent.
   */
  start(input: Input, options?: ExecutionOptions): Promise<ExecutionStarted>
  /**
   * StartSyncExecution (EXPRESS state machines only): runs an execution to its end and
   * returns its output, parsed as JSON and checked by the `output` schema. No output is
   * `undefined`.
   *
   * @throws {PayloadValidationError} when the input or the output does not satisfy its schema, or the output is not JSON.
   * @throws {PayloadTooLargeError} over 256 KiB; nothing is sent.
   * @throws {InvalidExecutionNameError} for a `name` Step Functions would refuse; nothing is sent.
   * @throws {ExecutionFailedError} when the execution ended `FAILED`, `TIMED_OUT` or `ABORTED`, with its `error` and `cause`.
   */
  run(input: Input, options?: ExecutionOptions): Promise<Output>
  /**
   * The ARN a STANDARD execution started with this `name` has (`...:execution:<machine>:<name>`),
   * built without any call, e.g. to look it up in the console or with DescribeExecution.
   *
   * @throws {InvalidExecutionNameError} for a name Step Functions would refuse.
   */
  executionArn(name: string): string
}

// Step Functions' rules for names: no white space, brackets, wildcards, special or control characters.
// (`u`: code points, so a lone surrogate matches and a pair does not).
// biome-ignore lint/suspicious/noControlCharactersInRegex: the control characters are what it refuses
const FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f\ud800-\udfff\ufffe\uffff\u{10ffff}]/u
const MAX_NAME = 80
// `stateMachine:<name>`, or `stateMachine:<name>:<version or alias>`.
const STATE_MACHINE_RESOURCE = /^stateMachine:([^:]{1,80})(?::([A-Za-z0-9_-]{1,80}))?$/

/** Why a name breaks Step Functions' rules, or `undefined` when it does not; never quotes the name. */
function nameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return `must be a string, not ${typeof name}`
  if (name.length === 0) return 'must not be empty'
  if (name.length > MAX_NAME) return `is ${name.length} characters long, over ${MAX_NAME}`
  const found = FORBIDDEN.exec(name)
  if (!found) return undefined
  const code = `U+${(found[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')}`
  return `must not contain ${code} (found at index ${found.index})`
}

function checkName(label: string, name: unknown): string {
  const problem = nameProblem(name)
  if (problem !== undefined) throw new InvalidExecutionNameError(label, problem)
  return name as string
}

/** `SFNClient`, made on its first use (its SDK module loaded then, or by a prefetch in Lambda). */
const loadSfnClient = async () => (await loadSfnSdk()).SFNClient

/**
 * What a client the library creates adds to `config`: `disableHostPrefix` for a custom endpoint
 * (`config.endpoint`, env `AWS_ENDPOINT_URL_SFN` or `AWS_ENDPOINT_URL`), which StartSyncExecution's
 * `sync-` host prefix would miss.
 */
function hostPrefixConfig(clients: CallClients | undefined): Record<string, unknown> {
  return clients?.config?.endpoint !== undefined || environmentEndpoint('SFN') !== undefined ? { disableHostPrefix: true } : {}
}

/**
 * A dependency on a Step Functions state machine registered in Cloud Map (`type`
 * `stepfunctions`, `sfn` or `state-machine`, and its `arn`, which may name a version or an
 * alias). The instance is checked once per fetched set: type, ARN (account and region
 * within the resolver's `allowedAccounts` / `allowedRegions`) and attributes. The SDK
 * client is the one for the ARN's region; `@aws-sdk/client-sfn` is loaded by a prefetch in Lambda or on the first call.
 *
 * @example
 * ```ts
 * import { z } from 'zod'
 * const billing = stateMachine('prod.billing->invoice', {
 *   input: z.object({ orderId: z.string() }),
 *   output: z.object({ invoiceId: z.string() }),
 * })
 * const invoices = await resolver.resolve(billing)
 * const { executionArn } = await invoices.start({ orderId: '42' }, { name: 'order-42' })
 * const { invoiceId } = await invoices.run({ orderId: '42' }) // EXPRESS: waits for the output
 * ```
 */
// Declaring a dependency does nothing else: a bundler may drop one that is never used.
/* @__NO_SIDE_EFFECTS__ */
export function stateMachine<
  I extends Schema | undefined = undefined,
  O extends Schema | undefined = undefined,
  A extends Schema | undefined = undefined,
>(
  address: AddressInput,
  options: StateMachineOptions<I, O, A> = {},
): Dependency<StateMachine<InferInput<I, unknown>, InferOutput<O, unknown>, InferOutput<A, RawAttributes>>> {
  type Value = StateMachine<InferInput<I, unknown>, InferOutput<O, unknown>, InferOutput<A, RawAttributes>>
  const inputSchema = options.input as Schema | undefined
  const outputSchema = options.output as Schema<InferOutput<O, unknown>> | undefined
  const attributesSchema = options.attributes as Schema<InferOutput<A, RawAttributes>> | undefined

  return defineDependency<Value>(
    'stateMachine',
    address,
    options,
    (registered, context) => {
      const { label, policy } = context
      checkType(label, registered, 'stepfunctions')
      const { arn, region, account, partition, resource } = requireArn(label, registered, 'states', policy)
      // An execution or activity ARN is a states ARN too, but cannot be started.
      const machine = STATE_MACHINE_RESOURCE.exec(resource)
      const name = machine?.[1]
      if (name === undefined || nameProblem(name) !== undefined || region === '' || account === '') {
        throw new AttributeValidationError(label, registered.instanceId, [
          { path: ['arn'], message: `"${arn}" is not a state machine ARN with a region and an account` },
        ])
      }
      // The client is made on the first call, after its input passed every check.
      const { clients } = context
      const connect = clientPool(clients, context.awsClientCapture).client('sfn', region, clients?.sfn, loadSfnClient, () =>
        hostPrefixConfig(clients),
      )
      const sender = lazySender({ label, address: context.address, kind: 'stateMachine' }, loadSfnSdk, connect)

      /** Checks the name and the input, then encodes the request; every failure is a rejection. */
      const prepare = async (input: unknown, callOptions: ExecutionOptions) => {
        const { name: executionName, traceHeader } = callOptions
        if (executionName !== undefined) checkName(label, executionName)
        const checked = validate(label, 'input', inputSchema, input)
        const value = checked instanceof Promise ? await checked : checked
        return {
          stateMachineArn: arn,
          ...(value === undefined ? {} : { input: encodeJson(label, 'input', value, SFN_INPUT) }),
          ...(executionName === undefined ? {} : { name: executionName }),
          ...(traceHeader === undefined ? {} : { traceHeader }),
        }
      }
      const sendOptions = (signal: AbortSignal | undefined) => (signal ? { abortSignal: signal } : {})

      return bindResolved(registered, label, attributesSchema, () => ({
        arn,
        region,
        name,
        ...retryOnGone(context, arn, {
          async start(input: unknown, callOptions: ExecutionOptions = {}): Promise<ExecutionStarted> {
            const request = await prepare(input, callOptions)
            const { sdk, client } = await sender()
            const output = await client
              .send(new sdk.StartExecutionCommand(request), sendOptions(callOptions.signal))
              .catch(refused(label, 'Step Functions', 'StartExecution', arn))
            return { executionArn: output.executionArn ?? '', startDate: output.startDate ?? new Date() }
          },
          async run(input: unknown, callOptions: ExecutionOptions = {}) {
            const request = await prepare(input, callOptions)
            const { sdk, client } = await sender()
            const output = await client
              .send(new sdk.StartSyncExecutionCommand(request), sendOptions(callOptions.signal))
              .catch(refused(label, 'Step Functions', 'StartSyncExecution', arn))
            const status: string = output.status ?? 'UNKNOWN'
            if (status !== 'SUCCEEDED') throw new ExecutionFailedError(label, output.executionArn ?? '', status, output.error, output.cause)
            const result = validate(label, 'output', outputSchema, decodeJson(label, 'output', output.output))
            return result instanceof Promise ? await result : result
          },
        }),
        executionArn(executionName: string): string {
          return `arn:${partition}:states:${region}:${account}:execution:${name}:${checkName(label, executionName)}`
        },
      }))
    },
    undefined,
    loadSfnSdk,
  )
}
