// The dependency contract: what a kind declares and what a resolver needs of it.

import type { Logger } from '../logger.js'
import type { Address } from './address.js'
import type { AwsClientCapture, CallClients } from './calls.js'
import type { Kind } from './kinds.js'
import type { TargetPolicy } from './policy.js'
import type { HealthStatusFilter, RegisteredInstance } from './registry.js'

/** How one instance is chosen when several are registered. */
export type PickStrategy = 'random' | 'first' | 'round-robin'

/** What a dependency asks Cloud Map for, besides its address. */
export interface DiscoveryOptions {
  /** Only instances whose attributes equal all of these (Cloud Map `QueryParameters`). */
  readonly queryParameters?: Readonly<Record<string, string>>
  /** Preferred attributes (Cloud Map `OptionalParameters`). */
  readonly optionalParameters?: Readonly<Record<string, string>>
  /** Overrides the resolver's health filter (default `HEALTHY_OR_ELSE_ALL`). */
  readonly healthStatus?: HealthStatusFilter
  /** At most this many instances are asked for (Cloud Map `MaxResults`; Cloud Map returns up to 100 without it). */
  readonly maxResults?: number
  /** Overrides the resolver's selection strategy. */
  readonly pick?: PickStrategy
}

/** What a dependency kind is given when it turns a registered instance into its value. */
export interface BindContext {
  /** The dependency's address as text, for errors. */
  readonly label: string
  /** The dependency's address: its namespace and service name the peer of a call (OpenTelemetry, the `call` channel). */
  readonly address: Address
  /** Where the kind's warnings go: the resolver's logger. */
  readonly logger: Logger
  /**
   * The SDK clients the resolver was given for the call helpers (`undefined`: none). A kind
   * turns them into a client pool (`clientPool(clients, awsClientCapture).client('sqs', region, clients?.sqs, load)`), whose clients, and SDK
   * modules, are created on the first call that sends (a prefetch in Lambda loads the modules
   * while Cloud Map answers), so a handler that never sends makes no client.
   */
  readonly clients: CallClients | undefined
  /** Accounts and regions a registered ARN may point to. */
  readonly policy: TargetPolicy
  /** The resolver's `awsClientCapture`: the client pool wraps the clients it creates with it. */
  readonly awsClientCapture?: AwsClientCapture | undefined
  /**
   * Refreshes the dependency's registry entry and resolves it again: what a call whose target
   * no longer exists retries on (`calls/gone.ts`). Given by a resolver made by
   * `createResolver()`; `undefined` elsewhere (a tool binding an instance), and then such a
   * call fails as it is.
   */
  readonly renew?: (() => Promise<unknown>) | undefined
}

/**
 * A declared dependency: where to find it and how to turn a registered instance into
 * the value a handler receives. Created by `instance()`, `lambda()`, `queue()`, ...;
 * resolved by a resolver or the `cloudMap()` middleware.
 */
export interface Dependency<Value> {
  /** The kind that declared it, named as its factory (`lambda`, `queue`, ...: every one is in `KINDS`). */
  readonly kind: Kind
  /** Where it lives in Cloud Map, checked when it was declared. */
  readonly address: Address
  /** The address as text, for errors and logs. */
  readonly label: string
  /** What is asked of Cloud Map besides the address (query parameters, health filter, ...). */
  readonly discovery: DiscoveryOptions
  /** True for `optional(dep)`: resolves to `undefined` when nothing is registered. */
  readonly optional: boolean
  /**
   * Turns one registered instance into the value. Throws a `CloudMapMiddyError`
   * when the instance does not fit (bad attributes, wrong type). Called once per
   * instance per fetched set, never per invocation.
   */
  readonly bind: (instance: RegisteredInstance, context: BindContext) => Value | Promise<Value>
  /**
   * Called once per fetched set with every valid value, in registry order, for kinds
   * whose values need their siblings (failover to another instance).
   */
  link?(values: readonly Value[]): void
}

/** The value a dependency resolves to. */
export type Resolved<D> = D extends Dependency<infer Value> ? Value : never

/** Any dependency, whatever its value. */
// biome-ignore lint/suspicious/noExplicitAny: the value type is erased on purpose
export type AnyDependency = Dependency<any>

/** A resolved instance: its id and its (validated) attributes. Every kind's value has these. */
export interface ResolvedInstance<Attributes> {
  /** The id of the selected Cloud Map instance. */
  readonly instanceId: string
  /** The address it was resolved from, as text. */
  readonly address: string
  /** The instance's attributes as the `attributes` schema outputs them; without a schema, Cloud Map's strings. */
  readonly attributes: Attributes
}
