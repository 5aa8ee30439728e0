// The resolver's contract: its settings and what it offers a middleware or a service set.
import type { Logger } from '../logger.js'
import type { MetricsSink } from '../metrics.js'
import type { AwsClientCapture, CallClients } from './calls.js'
import type { AnyDependency, Dependency, PickStrategy } from './dependency.js'
import type { TargetPolicy } from './policy.js'
import type { HealthStatusFilter, Registry } from './registry.js'

/** Returned by `resolveSync` when the value cannot be had without waiting. */
export const NOT_READY: unique symbol = Symbol('cloudmap-middy.not-ready')

/** The type of {@link NOT_READY}. */
export type NotReady = typeof NOT_READY

/** The options a resolver runs with, defaults applied. */
export interface ResolverSettings {
  /** Where instances come from. */
  readonly registry: Registry
  /** How long fetched instances are fresh, in milliseconds. */
  readonly ttlMs: number
  /** How old instances may be and still be served, in milliseconds. */
  readonly maxStaleMs: number
  /** How an expired entry is revalidated. */
  readonly revalidate: 'full' | 'revision'
  /** The health filter of dependencies that set none. */
  readonly healthStatus: HealthStatusFilter
  /** The selection strategy of dependencies that set none. */
  readonly pick: PickStrategy
  /** Bound on one Cloud Map request on the wire (not the client's setup before it), the SDK's retries included, in milliseconds. */
  readonly requestTimeoutMs: number
  /** How long a resolution retries a transient failure with nothing cached to serve, in milliseconds; 0: never. */
  readonly retryBudgetMs: number
  /** Where warnings (and debug lines) go. */
  readonly logger: Logger
  /** Where cache hits, misses, stale answers, refresh failures, throttles and discovery latency are counted; none when unset. */
  readonly metrics?: MetricsSink | undefined
  /** The SDK clients injected for the call helpers (the kinds create the others, once per process and region). */
  readonly clients: CallClients | undefined
  /** Wraps every SDK client the library creates (X-Ray), or `undefined`. */
  readonly awsClientCapture: AwsClientCapture | undefined
  /** The target policy every target read from the registry is checked against. */
  readonly policy: TargetPolicy
}

/** Per-call options of `resolve`. */
export interface ResolveOptions {
  /**
   * Stops waiting (not the shared request) when aborted, e.g. when the Lambda runs out of time;
   * it also ends the retries of a key with nothing cached (with `retryBudgetMs`, whichever comes first).
   */
  readonly signal?: AbortSignal
}

/**
 * Resolves dependencies through a registry, with the process-wide cache.
 *
 * @example
 * ```ts
 * const resolver = createResolver({ ttlMs: 30_000 })
 * const config = await resolver.resolve(instance('prod.config->flags'))
 * ```
 */
export interface Resolver {
  /** The options it runs with, defaults applied. */
  readonly settings: ResolverSettings
  /** Resolves one dependency: from cache when it can, else from the registry. */
  resolve<Value>(dependency: Dependency<Value>, options?: ResolveOptions): Promise<Value>
  /**
   * The value when it can be had without waiting: fresh, or stale within `maxStaleMs`
   * (a refresh is then started in the background). `NOT_READY` otherwise, and then
   * `resolve()` gives the value or the error. A "not registered" answer is served only
   * within its TTL: after it, `resolve()` asks the registry again first. Never throws.
   */
  resolveSync<Value>(dependency: Dependency<Value>): Value | NotReady
  /** Resolves all of them in parallel and never rejects: warms the cache at init. */
  prefetch(dependencies: Iterable<AnyDependency>): Promise<void>
}
