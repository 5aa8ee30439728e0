import { describeAddress } from '../address/address.js'
import { describeError, ServiceNotFoundError } from '../errors.js'
import type { Discovery } from '../registry/types.js'
import { isTransient } from '../transient.js'
import { type Cache, type CacheEntry, entryChanged, isNotRegistered, notRegisteredAnswer, track } from './cache.js'
import type { Plan } from './plans.js'
import type { ResolverSettings } from './resolver.js'
import type { Views } from './views.js'

const MAX_BACKOFF_MS = 30_000

/**
 * True when `entry` may be served without waiting for the registry: fresh; or expired
 * but within `maxStaleMs` (stale-while-revalidate). An expired not-found answer is asked
 * again first, unless backoff holds it after a failed refresh (stale-if-error).
 *
 * @internal
 */
export function servable(entry: CacheEntry, now: number, settings: ResolverSettings): boolean {
  const { data } = entry
  if (data === undefined) return false
  const age = now - entry.fetchedAt
  if (age <= settings.ttlMs) return true
  return age <= settings.maxStaleMs && (now < entry.retryAt || !isNotRegistered(data))
}

function waitFor<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

/**
 * Keeps a resolver's cache entries filled: loads on a miss, revalidates after the TTL
 * (one request per entry at a time), backs off after failures and serves stale
 * instances through transient ones.
 *
 * @internal
 */
export class Refresher {
  readonly #settings: ResolverSettings
  readonly #cache: Cache
  readonly #views: Views
  readonly #debug: ((message: string) => void) | undefined

  constructor(settings: ResolverSettings, cache: Cache, views: Views, debug: ((message: string) => void) | undefined) {
    this.#settings = settings
    this.#cache = cache
    this.#views = views
    this.#debug = debug
  }

  /**
   * Instances to serve for `plan`, waiting for the registry only when none may be served.
   * With `revalidateExpired` (the instances served last gave the dependency an error), an
   * expired entry is refreshed first, unless backoff holds it after a failed refresh.
   */
  async load(plan: Plan, signal: AbortSignal | undefined, revalidateExpired = false): Promise<Discovery> {
    const settings = this.#settings
    const now = Date.now()
    const entry = this.#cache.entry(plan.key, plan.query, settings.maxStaleMs, now)
    const mustAsk = revalidateExpired && now - entry.fetchedAt > settings.ttlMs && now >= entry.retryAt
    if (!mustAsk && servable(entry, now, settings)) {
      if (now - entry.fetchedAt > settings.ttlMs) this.revalidate(entry, now)
    } else {
      try {
        await waitFor(this.#refresh(entry), signal)
      } catch (error) {
        // Rethrown unless the failure left an answer to serve: a not-found answer that stale-if-error kept, under backoff.
        if (error instanceof ServiceNotFoundError || !this.#cache.holds(entry) || !servable(entry, Date.now(), settings)) throw error
      }
    }
    // Servable, or a refresh just succeeded: either way there is data.
    return entry.data as Discovery
  }

  /** Starts a background refresh of an expired entry unless one runs or backoff holds it. */
  revalidate(entry: CacheEntry, now: number): void {
    if (entry.flight || now < entry.retryAt) return
    this.#cache.maintain(now)
    this.#refresh(entry).catch(() => {
      // Handled in #fetch: stale is served, or the entry was evicted.
    })
  }

  #refresh(entry: CacheEntry): Promise<void> {
    if (entry.flight) return entry.flight
    const flight = this.#fetch(entry).finally(() => {
      entry.flight = undefined
    })
    entry.flight = flight
    track(flight)
    return flight
  }

  async #fetch(entry: CacheEntry): Promise<void> {
    const { registry, requestTimeoutMs, maxStaleMs, logger } = this.#settings
    const signal = AbortSignal.timeout(requestTimeoutMs)
    const previous = entry.data
    try {
      if (this.#settings.revalidate === 'revision' && previous?.revision !== undefined) {
        const revision = await waitFor(registry.revision(entry.query, { signal }), signal)
        if (revision === previous.revision) {
          entry.fetchedAt = Date.now()
          entry.failures = 0
          entryChanged()
          return
        }
      }
      // The SDK does not always stop at the signal (a retry's backoff sleeps through it): bound the wait here.
      const started = this.#debug ? performance.now() : 0
      const data = await waitFor(registry.discover(entry.query, { signal }), signal)
      this.#debug?.(
        `cloudmap-middy: DiscoverInstances ${describeAddress(entry.query)} -> ${data.instances.map((i) => i.instanceId).join(', ') || 'no instances'} in ${Math.round(performance.now() - started)} ms`,
      )
      entry.data = data
      entry.fetchedAt = Date.now()
      entry.failures = 0
      entry.retryAt = 0
      entryChanged()
      if (previous) this.#views.rebuild(previous, data)
    } catch (error) {
      const now = Date.now()
      if (error instanceof ServiceNotFoundError) {
        // The instances go, the answer stays for a TTL: a dependency on a service that is not
        // there (an optional one, typically) costs one call per TTL, not one per invocation.
        entry.data = notRegisteredAnswer()
        entry.fetchedAt = now
        entry.failures = 0
        entry.retryAt = 0
        entryChanged()
        if (previous && previous.instances.length > 0)
          logger.warn(`cloudmap-middy: evicted "${describeAddress(entry.query)}": it is no longer registered`)
        throw error
      }
      if (previous && isTransient(error) && now - entry.fetchedAt <= maxStaleMs) {
        entry.failures += 1
        entry.retryAt = now + Math.min(1000 * 2 ** (entry.failures - 1), MAX_BACKOFF_MS)
        logger.warn(
          `cloudmap-middy: serving stale instances of "${describeAddress(entry.query)}" (${Math.round((now - entry.fetchedAt) / 1000)} s old) after a failed refresh: ${describeError(error)}`,
        )
      } else if (this.#cache.evict(entry) && previous) {
        logger.warn(`cloudmap-middy: evicted "${describeAddress(entry.query)}" after: ${describeError(error)}`)
      }
      throw error
    }
  }
}
