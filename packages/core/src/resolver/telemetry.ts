import {
  discoveryEndChannel,
  discoveryErrorChannel,
  discoveryStartChannel,
  instanceDroppedChannel,
  type RefreshEvent,
  type RefreshReason,
  refreshChannel,
  type StaleEvent,
  staleChannel,
} from '../channels.js'
import { describeError, errorName } from '../errors.js'
import type { LogFields, Logger } from '../logger.js'
import { METRICS, type MetricsSink } from '../metrics.js'
import { isThrottling, isTransient } from '../transient.js'
import type { DiscoveryQuery } from '../types/registry.js'

/**
 * What a resolver tells about its work, one method per fact: each writes its log line (fields,
 * a stable message), adds its metric and publishes its diagnostics_channel event, so a fact is
 * told once and the same way everywhere. Debug lines cost one check when the logger has no
 * `debug`; metrics one when there is no sink; events one `hasSubscribers` read when nobody listens.
 *
 * @internal
 */
export class Telemetry {
  readonly #logger: Logger
  /** The logger's `debug`, when it has one. */
  readonly #debug: ((message: string, fields: LogFields) => void) | undefined
  /** The sink, read by a service set for its one count of hits per invocation. */
  readonly metrics: MetricsSink | undefined

  constructor(logger: Logger, metrics: MetricsSink | undefined) {
    this.#logger = logger
    this.#debug = logger.debug ? (message, fields) => logger.debug?.(message, fields) : undefined
    this.metrics = metrics
  }

  /** `count` dependencies served fresh from the cache, in one value. */
  hits(count: number): void {
    this.metrics?.addMetric(METRICS.hit, 'Count', count)
  }

  /** A dependency served fresh (debug only: the count goes through {@link hits}). */
  hit(address: string, ageMs: number): void {
    this.#debug?.('cloudmap-middy: cache hit', { address, ageMs })
  }

  /** A dependency served an answer past its TTL. */
  stale(address: string, ageMs: number, reason: StaleEvent['reason']): void {
    this.#debug?.('cloudmap-middy: stale answer served', { address, ageMs, reason })
    this.metrics?.addMetric(METRICS.stale, 'Count', 1)
    if (staleChannel.hasSubscribers) staleChannel.publish({ address, ageMs, reason } satisfies StaleEvent)
  }

  /** A cache key asked of the registry with nothing to serve: once per request, however many callers wait for it. */
  miss(address: string, reason: RefreshReason): void {
    this.#debug?.('cloudmap-middy: cache miss', { address, reason })
    this.metrics?.addMetric(METRICS.miss, 'Count', 1)
  }

  /** A remembered non-transient failure given to a caller without a request. */
  remembered(address: string, error: unknown, retryInMs: number): void {
    this.#debug?.('cloudmap-middy: remembered failure served', { address, error: errorName(error), retryInMs })
  }

  /** A DiscoverInstances request starts; gives the function that reports its end. */
  discovery(
    query: DiscoveryQuery,
    address: string,
    reason: RefreshReason,
  ): (instances: readonly { instanceId: string }[] | undefined, error?: unknown) => void {
    const { namespace, service } = query
    const started = performance.now()
    if (discoveryStartChannel.hasSubscribers) discoveryStartChannel.publish({ address, namespace, service, reason })
    return (instances, error) => {
      const durationMs = Math.round(performance.now() - started)
      if (instances === undefined) {
        if (discoveryErrorChannel.hasSubscribers)
          discoveryErrorChannel.publish({
            address,
            namespace,
            service,
            reason,
            durationMs,
            error,
            transient: isTransient(error),
            throttled: isThrottling(error),
          })
        return
      }
      this.#debug?.('cloudmap-middy: discovered', { address, instances: instances.map((i) => i.instanceId), durationMs })
      this.metrics?.addMetric(METRICS.discoveryLatency, 'Milliseconds', durationMs)
      if (discoveryEndChannel.hasSubscribers)
        discoveryEndChannel.publish({ address, namespace, service, reason, durationMs, instances: instances.length })
    }
  }

  /**
   * A refresh attempt ended. A failure is logged at debug (throttles and retries included) with
   * the wait before the next attempt, unless `warned` (a warning told it), and counted (and as a
   * throttle when it was one).
   */
  refreshed(
    query: DiscoveryQuery,
    address: string,
    reason: RefreshReason,
    attempt: number,
    startedAt: number,
    outcome: RefreshEvent['outcome'],
    error?: unknown,
    retryInMs?: number,
    warned = false,
  ): void {
    if (outcome === 'failed') {
      const throttled = isThrottling(error)
      // Told once: at warn when the failure changed what is served (stale kept, instances evicted).
      if (!warned)
        this.#debug?.('cloudmap-middy: discovery failed', {
          address,
          attempt,
          error: errorName(error),
          transient: isTransient(error),
          throttled,
          ...(retryInMs === undefined ? {} : { retryInMs }),
        })
      this.metrics?.addMetric(METRICS.refreshFailure, 'Count', 1)
      if (throttled) this.metrics?.addMetric(METRICS.throttle, 'Count', 1)
    } else if (outcome === 'unchanged') this.#debug?.('cloudmap-middy: revision unchanged', { address })
    if (refreshChannel.hasSubscribers) {
      const { namespace, service } = query
      const durationMs = Math.round(performance.now() - startedAt)
      refreshChannel.publish({
        address,
        namespace,
        service,
        reason,
        attempt,
        outcome,
        durationMs,
        ...(error === undefined ? {} : { error }),
      })
    }
  }

  /** Stale instances kept after a transient refresh failure (stale-if-error). */
  keptStale(address: string, ageMs: number, error: unknown): void {
    this.#logger.warn('cloudmap-middy: serving stale instances after a failed refresh', { address, ageMs, error: describeError(error) })
  }

  /** Instances forgotten: the service is no longer registered, or a refresh failed with an error that is not transient. */
  evicted(address: string, error: unknown): void {
    this.#logger.warn('cloudmap-middy: evicted instances', { address, error: describeError(error) })
  }

  /** A caller stops waiting for a key with nothing cached. */
  gaveUp(address: string, fields: { attempts: number; elapsedMs: number; error: unknown; reason: string; retryBudgetMs: number }): void {
    this.#logger.warn('cloudmap-middy: gave up discovering, nothing cached to serve', {
      address,
      ...fields,
      error: errorName(fields.error),
    })
  }

  /** An instance left out of an answer: its attributes, type or target did not pass. */
  dropped(address: string, instanceId: string, error: Error): void {
    this.#logger.warn('cloudmap-middy: dropped instance', { address, instanceId, reason: error.message })
    if (instanceDroppedChannel.hasSubscribers) instanceDroppedChannel.publish({ address, instanceId, error })
  }
}
