import { describeAddress, toAddress } from '../address/address.js'
import { andThen } from '../and-then.js'
import { recordDeclaration } from '../declarations.js'
import { AttributeValidationError } from '../errors.js'
import { check, type Schema } from '../schema.js'
import type { AddressInput } from '../types/address.js'
import type { Dependency, DiscoveryOptions, ResolvedInstance } from '../types/dependency.js'
import type { Kind } from '../types/kinds.js'
import type { RegisteredInstance } from '../types/registry.js'

/** Builds a dependency; the address is checked now, so a typo fails at declaration. */
/* @__NO_SIDE_EFFECTS__ */
export function defineDependency<Value>(
  kind: Kind,
  address: AddressInput,
  discovery: DiscoveryOptions,
  bind: Dependency<Value>['bind'],
  link?: Dependency<Value>['link'],
  warm?: () => Promise<unknown>,
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
  if (warm) warmers.set(dependency, warm)
  return dependency
}

/** By dependency: what loads the module its calls send with (the kind's SDK client package). */
const warmers = new WeakMap<object, () => Promise<unknown>>()

/**
 * Starts loading the SDK module `dependency`'s calls send with, for a prefetch at a Lambda
 * init: the import runs while the discovery waits for Cloud Map, instead of delaying the first call.
 * Never throws: a module that cannot be loaded fails the first call, naming the package.
 *
 * @internal
 */
export function warmDependency(dependency: object): void {
  try {
    warmers
      .get(dependency)?.()
      .catch(() => undefined)
  } catch {
    // Said by the first call, as a failed load is.
  }
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
  const made: Dependency<Value | undefined> = Object.freeze({ ...dependency, optional: true })
  const warm = warmers.get(dependency)
  if (warm) warmers.set(made, warm)
  return made
}
