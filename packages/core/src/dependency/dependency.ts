import { type Address, type AddressInput, describeAddress, toAddress } from '../address/address.js'
import type { CallClients } from '../calls/clients.js'
import { recordDeclaration } from '../declarations.js'
import { AttributeValidationError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { TargetPolicy } from '../policy/policy.js'
import type { HealthStatusFilter, RegisteredInstance } from '../registry/types.js'
import { check, type Schema } from '../schema.js'
import type { Kind } from '../types/kinds.js'

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
  /** Where the kind's warnings go: the resolver's logger. */
  readonly logger: Logger
  /**
   * The SDK clients the resolver was given for the call helpers (`undefined`: none). A kind
   * turns them into a client pool (`clientPool(clients).client('sqs', region, clients?.sqs, load)`), whose clients, and SDK
   * modules, are created on the first call that sends, so only a call that sends pays for them.
   */
  readonly clients: CallClients | undefined
  /** Accounts and regions a registered ARN may point to. */
  readonly policy: TargetPolicy
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

/** Applies `next` to a value or a promise of one, staying synchronous when it can. */
export function andThen<T, U>(value: T | Promise<T>, next: (value: T) => U | Promise<U>): U | Promise<U> {
  return value instanceof Promise ? value.then(next) : next(value)
}

/** Builds a dependency; the address is checked now, so a typo fails at declaration. */
/* @__NO_SIDE_EFFECTS__ */
export function defineDependency<Value>(
  kind: Kind,
  address: AddressInput,
  discovery: DiscoveryOptions,
  bind: Dependency<Value>['bind'],
  link?: Dependency<Value>['link'],
): Dependency<Value> {
  const parsed = toAddress(address)
  const { queryParameters, optionalParameters, healthStatus, maxResults, pick } = discovery
  const dependency: Dependency<Value> = Object.freeze({
    kind,
    address: parsed,
    label: describeAddress(parsed),
    discovery: {
      ...(queryParameters === undefined ? {} : { queryParameters }),
      ...(optionalParameters === undefined ? {} : { optionalParameters }),
      ...(healthStatus === undefined ? {} : { healthStatus }),
      ...(maxResults === undefined ? {} : { maxResults }),
      ...(pick === undefined ? {} : { pick }),
    },
    optional: false,
    bind,
    ...(link === undefined ? {} : { link }),
  })
  recordDeclaration({ type: 'dependency', dependency })
  return dependency
}

/**
 * Validates an instance's attributes with the dependency's schema (or passes them
 * through when there is none). Synchronous for synchronous schemas.
 *
 * @throws {AttributeValidationError} naming the address, the instance and the issue paths.
 */
function parseAttributes<A>(schema: Schema<A> | undefined, instance: RegisteredInstance, label: string): A | Promise<A> {
  if (!schema) return instance.attributes as A
  return andThen(check(schema, instance.attributes), (result) => {
    if (!result.ok) throw new AttributeValidationError(label, instance.instanceId, result.issues)
    return result.value
  })
}

/** A resolved instance: its id and its (validated) attributes. Every kind's value has these. */
export interface ResolvedInstance<Attributes> {
  /** The id of the selected Cloud Map instance. */
  readonly instanceId: string
  /** The address it was resolved from, as text. */
  readonly label: string
  /**
   * The same text as `label`.
   *
   * @deprecated Use `label`: `address` names the parsed object (`Dependency.address`).
   */
  readonly address: string
  /** The instance's attributes as the `attributes` schema outputs them; without a schema, Cloud Map's strings. */
  readonly attributes: Attributes
}

/**
 * The value of a bound instance: its attributes validated with `schema`, then frozen
 * with the instance id, the address and what `build` adds (a kind's target and calls).
 * Synchronous for synchronous schemas.
 *
 * @throws {AttributeValidationError} naming the address, the instance and the issue paths.
 * @example
 * ```ts
 * return bindResolved(registered, label, attributesSchema, () => ({ arn, publish }))
 * ```
 */
export function bindResolved<A, Extra extends object>(
  registered: RegisteredInstance,
  label: string,
  schema: Schema<A> | undefined,
  build: (attributes: A) => Extra,
): (ResolvedInstance<A> & NoInfer<Extra>) | Promise<ResolvedInstance<A> & NoInfer<Extra>> {
  return andThen(parseAttributes(schema, registered, label), (attributes) =>
    Object.freeze({ instanceId: registered.instanceId, label, address: label, attributes, ...build(attributes) }),
  )
}

/**
 * Makes a dependency optional: it resolves to `undefined` when its service or
 * instance is not registered (or has no instances). Bad attributes still throw.
 *
 * @example
 * ```ts
 * const audit = optional(queue('prod.audit->events'))
 * const resolved = await resolver.resolve(audit) // undefined when prod.audit is not registered
 * ```
 */
/* @__NO_SIDE_EFFECTS__ */
export function optional<Value>(dependency: Dependency<Value>): Dependency<Value | undefined> {
  return Object.freeze({ ...dependency, optional: true })
}
