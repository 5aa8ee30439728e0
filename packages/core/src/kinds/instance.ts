import { bindResolved, defineDependency } from '../dependency/dependency.js'
import type { AddressInput } from '../types/address.js'
import type { Dependency, DiscoveryOptions, ResolvedInstance } from '../types/dependency.js'

export type { ResolvedInstance } from '../types/dependency.js'

import type { InferOutput, Schema } from '../schema.js'

/** The attributes of an instance when no schema was given: Cloud Map's strings. */
export type RawAttributes = Readonly<Record<string, string>>

/** Options of `instance()`: a schema for the attributes, and discovery options. */
export interface InstanceOptions<S extends Schema | undefined> extends DiscoveryOptions {
  /**
   * Validates the instance's attributes (any Standard Schema validator: zod, valibot,
   * arktype, ...); its output type is the resolved `attributes`. Without it, they are
   * Cloud Map's strings, unchecked.
   */
  readonly attributes?: S
}

/**
 * A dependency on any registered instance, for its attributes only (a table name, a
 * bucket, a feature flag). The attributes are validated once per fetched instance set.
 *
 * @example
 * ```ts
 * import { z } from 'zod'
 * const orders = instance('prod.storage->orders-table', {
 *   attributes: z.object({ tableName: z.string(), region: z.string() }),
 * })
 * const { attributes } = await resolver.resolve(orders) // { tableName: string; region: string }
 * ```
 */
// Declaring a dependency does nothing else: a bundler may drop one that is never used.
/* @__NO_SIDE_EFFECTS__ */
export function instance<S extends Schema | undefined = undefined>(
  address: AddressInput,
  options: InstanceOptions<S> = {},
): Dependency<ResolvedInstance<InferOutput<S, RawAttributes>>> {
  const schema = options.attributes as Schema<InferOutput<S, RawAttributes>> | undefined
  return defineDependency('instance', address, options, (registered, context) =>
    bindResolved(registered, context.label, schema, () => ({})),
  )
}
