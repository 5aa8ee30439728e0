/**
 * Where the library counts what it does: any object with `addMetric(name, unit, value)`. A
 * Powertools `Metrics` fits; the library only adds, never flushes (the handler's own
 * `logMetrics` middleware or `publishStoredMetrics()` does), and adds no dimension of its own:
 * the metrics get the sink's default dimensions (Powertools: `service`), so their cardinality is
 * the one the handler chose. Names and units are {@link METRICS}.
 *
 * @example
 * ```ts
 * import { Metrics } from '@aws-lambda-powertools/metrics'
 * const metrics = new Metrics({ namespace: 'orders', serviceName: 'checkout' })
 * const resolver = createResolver({ metrics })
 * ```
 */
export interface MetricsSink {
  /** Adds one value of the metric `name`: a count, or a latency in milliseconds. */
  addMetric(name: string, unit: MetricUnit, value: number): void
}

/** The CloudWatch (and Powertools) units the library's metrics use. */
export type MetricUnit = 'Count' | 'Milliseconds'

/**
 * The metrics a resolver adds to its `metrics` sink, by name, with their units:
 *
 * | name | unit | value |
 * |---|---|---|
 * | `CloudMapCacheHit` | Count | dependencies served fresh from the cache (one value per invocation of a service set: how many) |
 * | `CloudMapCacheMiss` | Count | 1 per cache key asked of Cloud Map with nothing to serve (a cold key, once however many callers wait) |
 * | `CloudMapStaleServed` | Count | 1 per dependency served after its TTL (while it revalidates, or after a failed refresh) |
 * | `CloudMapRefreshFailure` | Count | 1 per failed Cloud Map request (throttles included) |
 * | `CloudMapThrottle` | Count | 1 per Cloud Map request throttled |
 * | `CloudMapDiscoveryLatency` | Milliseconds | the duration of each successful Cloud Map request |
 *
 * @example
 * ```ts
 * expect(stored[METRICS.miss]).toEqual({ unit: 'Count', value: 1 })
 * ```
 */
export const METRICS = {
  /** Count: dependencies served fresh, one value per invocation. */
  hit: 'CloudMapCacheHit',
  /** Count: cache keys asked of Cloud Map with nothing to serve. */
  miss: 'CloudMapCacheMiss',
  /** Count: dependencies served past their TTL. */
  stale: 'CloudMapStaleServed',
  /** Count: failed refreshes. */
  refreshFailure: 'CloudMapRefreshFailure',
  /** Count: refreshes Cloud Map throttled. */
  throttle: 'CloudMapThrottle',
  /** Milliseconds: each successful DiscoverInstances. */
  discoveryLatency: 'CloudMapDiscoveryLatency',
} as const
