import { redactUrlWithoutQuery } from './redact.js'
import type { InstanceType } from './types/kinds.js'

/**
 * Every error the library throws. Each one names the address it is about, so a
 * log line is enough to know which dependency failed and why.
 *
 * @example
 * ```ts
 * import { CloudMapMiddyError, ServiceNotFoundError } from '@cloudmap-middy/core'
 *
 * try {
 *   await resolver.resolve(jobs)
 * } catch (error) {
 *   if (error instanceof ServiceNotFoundError) console.error(error.label, 'is not registered')
 * }
 * ```
 */
export class CloudMapMiddyError extends Error {
  /** The address the error is about, as text (`namespace.service` or `namespace.service->instance`). */
  declare readonly label: string
  /**
   * The same text as {@link CloudMapMiddyError.label}.
   *
   * @deprecated Use `label`: `address` names the parsed object (`Dependency.address`).
   */
  declare readonly address: string

  constructor(label: string, message: string, options?: ErrorOptions) {
    super(message, options)
    // The fields are `declare`d and set here (a class field costs its name again in every bundle), in
    // the order class fields gave them: label, address, name.
    this.label = label
    this.address = label
    this.name = 'CloudMapMiddyError'
  }
}

/** The address text (or object) does not follow the grammar or Cloud Map's naming rules. */
export class InvalidAddressError extends CloudMapMiddyError {
  /** Why the address was rejected. */
  declare readonly reason: string

  constructor(address: string, reason: string) {
    super(address, `Invalid Cloud Map address "${address}": ${reason}`)
    this.name = 'InvalidAddressError'
    this.reason = reason
  }
}

/**
 * Cloud Map has no such service (`ServiceNotFound`), or no such namespace: then it is a
 * {@link NamespaceNotFoundError}, which extends this one (`optional()` treats both alike).
 */
export class ServiceNotFoundError extends CloudMapMiddyError {
  constructor(address: string, options?: ErrorOptions) {
    super(address, `Cloud Map service "${address}" is not registered`, options)
    this.name = 'ServiceNotFoundError'
  }
}

/**
 * Cloud Map has no such namespace (`NamespaceNotFound`): misspelt, or in another account or
 * region than the one asked.
 *
 * @example
 * ```ts
 * if (error instanceof NamespaceNotFoundError) console.error(`no namespace ${error.namespace}`)
 * ```
 */
export class NamespaceNotFoundError extends ServiceNotFoundError {
  /** The namespace that does not exist. */
  declare readonly namespace: string

  constructor(address: string, namespace: string, options?: ErrorOptions) {
    super(address, options)
    this.name = 'NamespaceNotFoundError'
    this.namespace = namespace
    this.message = `Cloud Map namespace "${namespace}" does not exist (looking up "${address}"): check its name, account and region`
  }
}

/**
 * The same "not registered" answer (a missing namespace stays one) about another address:
 * a dependency's own, when the registry answered about its service.
 *
 * @internal
 */
export function notRegisteredAt(error: ServiceNotFoundError, address: string, options?: ErrorOptions): ServiceNotFoundError {
  return error instanceof NamespaceNotFoundError
    ? new NamespaceNotFoundError(address, error.namespace, options)
    : new ServiceNotFoundError(address, options)
}

/** The address names an instance id that is not among the service's instances. */
export class InstanceNotFoundError extends CloudMapMiddyError {
  /** The instance id the address names. */
  declare readonly instanceId: string
  /** The instance ids the service does have. */
  declare readonly available: readonly string[]

  constructor(address: string, instanceId: string, available: readonly string[]) {
    const list = available.length > 0 ? available.join(', ') : 'none'
    super(address, `Cloud Map instance "${instanceId}" is not registered under "${address}" (instances: ${list})`)
    this.name = 'InstanceNotFoundError'
    this.instanceId = instanceId
    this.available = available
  }
}

/** The service exists but no instance matched the query (health status, query parameters). */
export class NoInstancesError extends CloudMapMiddyError {
  constructor(address: string, detail?: string) {
    super(address, `Cloud Map service "${address}" has no instances${detail ? ` ${detail}` : ''}`)
    this.name = 'NoInstancesError'
  }
}

/** One problem found by a schema: where (`path`) and what (`message`). */
export interface AttributeIssue {
  /** The keys (and array indexes) leading to the value at fault, from the top (`['arn']`); empty for the value as a whole. */
  readonly path: readonly PropertyKey[]
  /** What is wrong, as the schema or the kind's own check says it. */
  readonly message: string
}

/** Any thrown value as one line (`Name: message`), for errors and warnings. */
export function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

/** An error's name, or the value itself when it is not an Error: what a log field or a span status tells. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : String(error)
}

/** Formats issues as `path: message; ...`. */
export function describeIssues(issues: readonly AttributeIssue[]): string {
  return issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; ')
}

/** An instance's attributes do not satisfy the dependency's schema, and no valid instance is left. */
export class AttributeValidationError extends CloudMapMiddyError {
  /** The instance whose attributes failed (the first one, when no instance of the set was valid). */
  declare readonly instanceId: string
  /** Every problem found, each with its path (`['arn']`, `['port']`). */
  declare readonly issues: readonly AttributeIssue[]

  constructor(address: string, instanceId: string, issues: readonly AttributeIssue[]) {
    super(address, `Cloud Map instance "${instanceId}" of "${address}" has invalid attributes: ${describeIssues(issues)}`)
    this.name = 'AttributeValidationError'
    this.instanceId = instanceId
    this.issues = issues
  }
}

/** Discovery failed (throttling, network, 5xx, timeout, permissions) and no usable previous value exists. */
export class DiscoveryError extends CloudMapMiddyError {
  /** True when the failure is worth retrying (throttling, network, 5xx, timeout). */
  declare readonly transient: boolean

  constructor(address: string, cause: unknown, transient: boolean) {
    super(address, `Cloud Map discovery of "${address}" failed: ${describeError(cause)}`, { cause })
    this.name = 'DiscoveryError'
    this.transient = transient
  }
}

/** The instance's `type` does not fit the declared kind, or is not a type this library knows. */
export class InstanceTypeMismatchError extends CloudMapMiddyError {
  /** The instance whose `type` does not fit. */
  declare readonly instanceId: string
  /** The `type` the declared kind needs (`lambda`, `sqs`, ...: `KINDS[kind].type`). */
  declare readonly expected: InstanceType
  /** The `type` attribute found, or `undefined` when it is missing. */
  declare readonly actual: string | undefined

  constructor(address: string, instanceId: string, expected: InstanceType, actual: string | undefined, known: boolean) {
    const found = actual === undefined ? 'no "type" attribute' : known ? `type "${actual}"` : `unknown type "${actual}"`
    super(address, `Cloud Map instance "${instanceId}" of "${address}" is declared as ${expected} but has ${found}`)
    this.name = 'InstanceTypeMismatchError'
    this.instanceId = instanceId
    this.expected = expected
    this.actual = actual
  }
}

/**
 * The target-policy rule that refused a target: `allowedAccounts`, `allowedRegions`,
 * `allowedHosts`, `always refused` (link-local, instance metadata, the Lambda Runtime API),
 * `sqs url` (a queue URL off the SQS endpoint, or naming another queue than the ARN) or
 * `http url` (a base URL with userinfo).
 */
export type TargetRule = 'allowedAccounts' | 'allowedRegions' | 'allowedHosts' | 'always refused' | 'sqs url' | 'http url' | 'http redirect'

/**
 * A target read from the registry (an ARN, a queue URL, an HTTP base URL) is outside the
 * resolver's target policy; nothing was sent to it. `rule` says which rule refused it:
 * `allowedAccounts`, `allowedRegions`, `allowedHosts`, `always refused` (link-local,
 * instance metadata, the Lambda Runtime API) or `sqs url` (a queue URL that is not the
 * SQS endpoint of its region or the configured one, or that names another queue than the ARN).
 */
export class DisallowedTargetError extends CloudMapMiddyError {
  /** The instance whose target was refused. */
  declare readonly instanceId: string
  /** The target as it may be shown (userinfo redacted). */
  declare readonly target: string
  /**
   * The rule that refused it: `allowedAccounts`, `allowedRegions`, `allowedHosts`, `always refused`,
   * `sqs url`, `http url`, or `http redirect` (a redirect answered by the instance leads outside
   * its base URL; a redirect to a host refused by another rule is refused under that rule).
   */
  declare readonly rule: TargetRule

  constructor(address: string, instanceId: string, target: string, rule: TargetRule, reason: string) {
    super(address, `Cloud Map instance "${instanceId}" of "${address}" points to "${target}", refused (${rule}): ${reason}`)
    this.name = 'DisallowedTargetError'
    this.instanceId = instanceId
    this.target = target
    this.rule = rule
  }
}

/** A `fetch` path would leave the resolved base URL (another host, or above its path); nothing was sent. */
export class DisallowedPathError extends CloudMapMiddyError {
  /** The path as it may be shown: without its query, userinfo redacted, cut at 200 characters. */
  declare readonly path: string

  constructor(address: string, path: string, reason: string) {
    const shown = redactUrlWithoutQuery(path)
    super(address, `HTTP path "${shown}" for "${address}" is refused: ${reason}; nothing was sent`)
    this.name = 'DisallowedPathError'
    this.path = shown
  }
}

/** A payload or message is larger than the service accepts; nothing was sent. */
export class PayloadTooLargeError extends CloudMapMiddyError {
  /** Size in bytes, as the service counts it. */
  declare readonly size: number
  /** The service's limit in bytes. */
  declare readonly limit: number

  constructor(address: string, what: string, size: number, limit: number) {
    super(address, `${what} for "${address}" is ${size} bytes, over the limit of ${limit} bytes; nothing was sent`)
    this.name = 'PayloadTooLargeError'
    this.size = size
    this.limit = limit
  }
}

/** A payload, message or result does not satisfy its schema. */
export class PayloadValidationError extends CloudMapMiddyError {
  /** Which value failed: `payload`, `result` or `message`. */
  declare readonly what: string
  /** Every problem the schema found, each with its path. */
  declare readonly issues: readonly AttributeIssue[]

  constructor(address: string, what: string, issues: readonly AttributeIssue[]) {
    super(address, `Invalid ${what} for "${address}": ${describeIssues(issues)}`)
    this.name = 'PayloadValidationError'
    this.what = what
    this.issues = issues
  }
}

/** The invoked Lambda function failed (`FunctionError` Handled or Unhandled). */
export class RemoteInvocationError extends CloudMapMiddyError {
  /** `Handled` or `Unhandled`, as Lambda reports it. */
  declare readonly functionError: string
  /** The `errorType` of the function's error payload, or `Unknown` when the payload is not Lambda's error shape. */
  declare readonly errorType: string
  /** The `errorMessage` of the function's error payload, or its size when the payload is not Lambda's error shape. */
  declare readonly errorMessage: string
  /** The remote stack trace when the function reported one. */
  declare readonly remoteStack: readonly string[] | undefined

  constructor(address: string, functionError: string, errorType: string, errorMessage: string, remoteStack?: readonly string[]) {
    super(address, `Lambda "${address}" failed (${functionError}): ${errorType}: ${errorMessage}`)
    this.name = 'RemoteInvocationError'
    this.functionError = functionError
    this.errorType = errorType
    this.errorMessage = errorMessage
    this.remoteStack = remoteStack
  }
}

/**
 * A synchronous (EXPRESS) state machine execution did not succeed: `status` is `FAILED`,
 * `TIMED_OUT` or `ABORTED`, with the `error` and `cause` Step Functions reports. The
 * message shows the cause cut at 200 characters; the whole of it is in `cause`.
 */
export class ExecutionFailedError extends CloudMapMiddyError {
  // Class fields here (not `declare`): `cause` must be one (it overrides Error's), and the others keep their place before it.
  /** The execution's ARN. */
  readonly executionArn: string
  /** `FAILED`, `TIMED_OUT` or `ABORTED`, as Step Functions reports it. */
  readonly status: string
  /** The error code the execution ended with (`States.TaskFailed`, a Fail state's `Error`), when there is one. */
  readonly error: string | undefined
  /** The cause Step Functions gives for it (a Fail state's `Cause`, a task's error), when there is one. */
  override readonly cause: string | undefined

  constructor(address: string, executionArn: string, status: string, error: string | undefined, cause: string | undefined) {
    const shown = cause === undefined ? '' : `: ${cause.length > 200 ? `${cause.slice(0, 200)}… (${cause.length} characters)` : cause}`
    super(address, `State machine "${address}" execution ${executionArn} ended ${status}: ${error ?? 'no error code'}${shown}`)
    this.name = 'ExecutionFailedError'
    this.executionArn = executionArn
    this.status = status
    this.error = error
    this.cause = cause
  }
}

/** An execution name breaks Step Functions' rules (1 to 80 characters, none of the forbidden ones); nothing was sent. */
export class InvalidExecutionNameError extends CloudMapMiddyError {
  /** Why the name was refused. */
  declare readonly reason: string

  constructor(address: string, reason: string) {
    super(address, `Invalid execution name for "${address}": ${reason}; nothing was sent`)
    this.name = 'InvalidExecutionNameError'
    this.reason = reason
  }
}

/** An event has no `source`: none was given to the call and none was declared with `eventBus()`; nothing was sent. */
export class MissingEventSourceError extends CloudMapMiddyError {
  constructor(address: string, what: string) {
    super(address, `${what} for "${address}" has no source (give one to the call or to eventBus()); nothing was sent`)
    this.name = 'MissingEventSourceError'
  }
}

/** A FIFO queue or topic was given a message without a group id; nothing was sent. */
export class MissingGroupIdError extends CloudMapMiddyError {
  constructor(address: string, target: string) {
    super(address, `"${address}" is a FIFO ${target}: a message needs a groupId; nothing was sent`)
    this.name = 'MissingGroupIdError'
  }
}

/** One message of a batch that was not accepted. */
export interface BatchFailure {
  /** Position of the message in the array handed to `sendBatch` / `publishBatch`. */
  readonly index: number
  /**
   * The service's error code (a thrown request: the error's name), or the library's own:
   * `NoResult` (the service said nothing about the entry; it may have been sent) and
   * `NotSent` (a FIFO entry held back behind a lost message of its group).
   */
  readonly code: string
  /** Why, as the service or the library says it. */
  readonly message: string
  /** True when the service blamed the request (not worth retrying). */
  readonly senderFault: boolean
  /**
   * Present (`true`) when an attempt to send the message got no answer (a request that threw,
   * or `NoResult`), even if a later attempt was refused: the message may have arrived. Resend
   * it only with the same deduplication id (FIFO), or expect a duplicate. The `message` says
   * so too.
   */
  readonly mayHaveBeenSent?: true
}

/**
 * Some messages of a batch were not accepted, after retrying the retriable ones.
 * Every message handed in is either in `sent` or named in `failures`.
 */
export class BatchSendError extends CloudMapMiddyError {
  /** The messages that were not accepted, by index, each with its reason. */
  declare readonly failures: readonly BatchFailure[]
  /** Indexes of the messages that were accepted. */
  declare readonly sent: readonly number[]

  constructor(address: string, failures: readonly BatchFailure[], sent: readonly number[]) {
    const list = failures.map((f) => `#${f.index} ${f.code}`).join(', ')
    super(address, `${failures.length} of ${failures.length + sent.length} messages to "${address}" were not sent: ${list}`)
    this.name = 'BatchSendError'
    this.failures = failures
    this.sent = sent
  }
}

/**
 * An HTTP call failed on every instance tried (connection error, timeout or 5xx), or met a
 * redirect it could not follow: more than 5 in a row, or a 307/308 that would send a streamed
 * body again.
 */
export class HttpRequestError extends CloudMapMiddyError {
  /** The last status seen, when a response came back. */
  declare readonly status: number | undefined
  /** The instances tried, in order. */
  declare readonly attempts: readonly string[]

  constructor(address: string, message: string, attempts: readonly string[], status?: number, options?: ErrorOptions) {
    super(address, `HTTP call to "${address}" failed: ${message} (instances tried: ${attempts.join(', ')})`, options)
    this.name = 'HttpRequestError'
    this.status = status
    this.attempts = attempts
  }
}

/**
 * An AWS service refused a call to a dependency (`AccessDeniedException`, `AuthorizationError`,
 * a missing queue or function, an invalid parameter: any error it answered that is not worth
 * retrying). The service's own error is the `cause`.
 *
 * @example
 * ```ts
 * try {
 *   await context.services.jobs.request({ id })
 * } catch (error) {
 *   if (error instanceof CallRefusedError && error.code === 'AccessDeniedException') console.error(error.label, error.target)
 * }
 * ```
 */
export class CallRefusedError extends CloudMapMiddyError {
  /** The AWS service that refused: `Lambda`, `SQS`, `SNS`, `Step Functions`, `EventBridge`. */
  declare readonly service: string
  /** The operation refused (`Invoke`, `SendMessage`, `Publish`, ...). */
  declare readonly operation: string
  /** The ARN or queue URL the call went to. */
  declare readonly target: string
  /** The service's error code, as the SDK names the error (`AccessDeniedException`). */
  declare readonly code: string

  constructor(address: string, service: string, operation: string, target: string, cause: Error) {
    super(address, `${service} refused ${operation} to "${address}" (${target}): ${cause.name}: ${cause.message}`, { cause })
    this.name = 'CallRefusedError'
    this.service = service
    this.operation = operation
    this.target = target
    this.code = cause.name
  }
}

/** One dependency that could not be resolved. */
export interface DependencyFailure {
  /** The name the handler gave it (`context.services.<name>`). */
  readonly name: string
  /** The dependency's address, as text. */
  readonly label: string
  /**
   * The same text as `label`.
   *
   * @deprecated Use `label`: `address` names the parsed object (`Dependency.address`).
   */
  readonly address: string
  /** The error's message. */
  readonly reason: string
  /** The error itself: its class says why (`ServiceNotFoundError`, `DiscoveryError`, `AttributeValidationError`, ...). */
  readonly error: Error
}

/** Options of {@link DependencyResolutionError}. */
export interface DependencyResolutionErrorOptions {
  /**
   * True when the error may reach an HTTP client (`@middy/http-error-handler` answers with its
   * `message` when `expose` is true): the message is then the generic "Service Unavailable"
   * and the details are in `detail`, `failures` and the first line of `stack`. Default false:
   * the message names every failure, as a queue consumer's or a direct invocation's
   * `errorMessage` should.
   */
  readonly expose?: boolean
}

/**
 * Some of a handler's dependencies could not be resolved; lists every one of them, each with
 * its address and reason (`detail`, `failures`), in the message too unless `expose` is set.
 *
 * Shaped for `@middy/http-error-handler`: `statusCode` 503. With `expose` (the middleware sets
 * it for HTTP events) the `message` is a generic "Service Unavailable", so the client gets a 503
 * and no internals; without it, http-error-handler answers its generic 500 instead of showing
 * the message.
 *
 * @example
 * ```ts
 * try {
 *   await services.resolve(resolver)
 * } catch (error) {
 *   if (error instanceof DependencyResolutionError) for (const f of error.failures) console.error(f.name, f.label, f.reason)
 * }
 * ```
 */
export class DependencyResolutionError extends Error {
  /** 503, so `@middy/http-error-handler` answers Service Unavailable. */
  readonly statusCode = 503
  /** True when the message is the generic "Service Unavailable", which may be shown to a caller. */
  declare readonly expose: boolean
  /** Every dependency that failed, in the order they were declared. */
  declare readonly failures: readonly DependencyFailure[]
  /** Every failure, by name, address and reason. */
  declare readonly detail: string

  constructor(
    given: readonly (Omit<DependencyFailure, 'label' | 'address'> & ({ readonly label: string } | { readonly address: string }))[],
    options: DependencyResolutionErrorOptions = {},
  ) {
    // `address` was the field's name before `label`: a failure built with it still reads.
    const failures = given.map((f): DependencyFailure => {
      const label = 'label' in f ? f.label : f.address
      return { ...f, label, address: label }
    })
    const list = failures.map((f) => `${f.name} (${f.label}): ${f.reason}`).join('; ')
    const detail = `${failures.length} ${failures.length === 1 ? 'dependency' : 'dependencies'} could not be resolved: ${list}`
    const expose = options.expose === true
    super(expose ? 'Service Unavailable' : detail)
    this.expose = expose
    this.failures = failures
    this.detail = detail
    this.name = 'DependencyResolutionError'
    // Logs print the stack: its first line says what failed even when the message may not.
    if (expose) this.stack = `${this.name}: ${detail}\n${(this.stack ?? '').split('\n').slice(1).join('\n')}`
  }
}
