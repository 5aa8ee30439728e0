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
 *   if (error instanceof ServiceNotFoundError) console.error(error.address, 'is not registered')
 * }
 * ```
 */
export class CloudMapMiddyError extends Error {
  /** The address the error is about, as text (`namespace.service` or `namespace.service->instance`). */
  readonly address: string

  constructor(address: string, message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'CloudMapMiddyError'
    this.address = address
  }
}

/** The address text (or object) does not follow the grammar or Cloud Map's naming rules. */
export class InvalidAddressError extends CloudMapMiddyError {
  /** Why the address was rejected. */
  readonly reason: string

  constructor(address: string, reason: string) {
    super(address, `Invalid Cloud Map address "${address}": ${reason}`)
    this.name = 'InvalidAddressError'
    this.reason = reason
  }
}

/** Cloud Map has no such namespace or service (`NamespaceNotFound` / `ServiceNotFound`). */
export class ServiceNotFoundError extends CloudMapMiddyError {
  constructor(address: string, options?: ErrorOptions) {
    super(address, `Cloud Map service "${address}" is not registered`, options)
    this.name = 'ServiceNotFoundError'
  }
}

/** The address names an instance id that is not among the service's instances. */
export class InstanceNotFoundError extends CloudMapMiddyError {
  readonly instanceId: string
  /** The instance ids the service does have. */
  readonly available: readonly string[]

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
  readonly path: readonly PropertyKey[]
  readonly message: string
}

/** Formats issues as `path: message; ...`. */
export function describeIssues(issues: readonly AttributeIssue[]): string {
  return issues.map((issue) => `${issue.path.length > 0 ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; ')
}

/** An instance's attributes do not satisfy the dependency's schema, and no valid instance is left. */
export class AttributeValidationError extends CloudMapMiddyError {
  readonly instanceId: string
  readonly issues: readonly AttributeIssue[]

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
  readonly transient: boolean

  constructor(address: string, cause: unknown, transient: boolean) {
    const reason = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)
    super(address, `Cloud Map discovery of "${address}" failed: ${reason}`, { cause })
    this.name = 'DiscoveryError'
    this.transient = transient
  }
}
