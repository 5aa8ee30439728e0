export { type Address, type AddressInput, describeAddress, formatAddress, parseAddress, toAddress } from './address/address.js'
export {
  type AnyDependency,
  type BindContext,
  type Dependency,
  type DiscoveryOptions,
  optional,
  type PickStrategy,
  type Resolved,
} from './dependency/dependency.js'
export {
  type AttributeIssue,
  AttributeValidationError,
  CloudMapMiddyError,
  DiscoveryError,
  InstanceNotFoundError,
  InvalidAddressError,
  NoInstancesError,
  ServiceNotFoundError,
} from './errors.js'
export { type InstanceOptions, instance, type RawAttributes, type ResolvedInstance } from './kinds/instance.js'
export type { Logger } from './logger.js'
export { type CloudMapRegistryOptions, cloudMapRegistry, createCloudMapClient } from './registry/cloud-map.js'
export type {
  Discovery,
  DiscoveryQuery,
  HealthStatusFilter,
  RegisteredInstance,
  Registry,
  RegistryCallOptions,
} from './registry/types.js'
export { clearCache, pendingRefreshes, settleRefreshes } from './resolver/cache.js'
export {
  createResolver,
  getDefaultResolver,
  NOT_READY,
  type NotReady,
  type ResolveOptions,
  type Resolver,
  type ResolverOptions,
  type ResolverSettings,
} from './resolver/resolver.js'
export { isTransient } from './resolver/transient.js'
export type { InferInput, InferOutput, Schema } from './schema.js'
