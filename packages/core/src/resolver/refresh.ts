import { describeAddress } from '../address/address.js'
import { describeError, ServiceNotFoundError } from '../errors.js'
import { isTransient } from '../transient.js'
import type { Discovery } from '../types/registry.js'
import type { ResolverSettings } from '../types/resolver.js'
import { type Cache, type CacheEntry, cacheEpoch, entryChanged, isNotRegistered, notRegisteredAnswer, track } from './cache.js'
import type { Plan } from './plan.js'
import { isSnapshotAnswer } from './snapshot.js'
import type { Views } from './views.js'

/** Backoff after a failed refresh served stale, and of a remembered non-transient failure: 1 s doubling to this. */
const MAX_BACKOFF_MS = 30_000
/** A cold key's first retry after a transient failure comes 50–100 ms later; the wait doubles per failure... */
const COLD_RETRY_BASE_MS = 100
/** ...to 0.5–1 s at most, so a caller with a few seconds of budget still gets several attempts. */
const COLD_RETRY_MAX_MS = 1_000
/** Bound on a registry client's setup before it sends (see `RegistryCallOptions.onSetup`), or `requestTimeoutMs` when longer. */
const SETUP_TIMEOUT_MS = 10_000

/** The backoff after `failures` consecutive failures: 1 s doubling to 30 s. */
function backoffMs(failures: number): number {
  return Math.min(1000 * 2 ** (failures - 1), MAX_BACKOFF_MS)
}

/**
 * The wait before a cold key's next attempt after `failures` consecutive transient failures:
 * exponential, half of it random ("equal jitter"), so the containers of a fleet throttled
 * together spread their retries over the account's quota instead of coming back together,
 * and none comes back at once (bench/src/fleet.ts compares the choices).
 */
function coldRetryMs(failures: number): number {
  const backoff = Math.min(COLD_RETRY_BASE_MS * 2 ** (failures - 1), COLD_RETRY_MAX_MS)
  return backoff / 2 + (Math.random() * backoff) / 2
}

/** Keeps what the registry answered (its instances, or that nothing is registered), with no failure, error or backoff left. */
function store(entry: CacheEntry, data: Discovery, fetchedAt: number): void {
  entry.data = data
  entry.fetchedAt = fetchedAt
  entry.failures = 0
  entry.retryAt = 0
  entry.error = undefined
  entryChanged()
}

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

/** Resolves after `ms`; rejects with the signal's reason when it aborts first. */
function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason)
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal?.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
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
 * instances through transient ones. With nothing to serve, a transient failure is retried
 * with jittered backoff within the caller's budget, and any other failure is remembered
 * with backoff: served again without a request until the backoff ends.
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
      return entry.data as Discovery
    }
    return this.#ask(plan, entry, signal, now)
  }

  /**
   * The deploy-time snapshot's answer for `plan` while the entry still holds it and may serve it,
   * without starting a refresh: a prefetch at init binds it, and the first use refreshes it.
   */
  seeded(plan: Plan): Discovery | undefined {
    const now = Date.now()
    const entry = this.#cache.entry(plan.key, plan.query, this.#settings.maxStaleMs, now)
    const { data } = entry
    return data !== undefined && isSnapshotAnswer(data) && servable(entry, now, this.#settings) ? data : undefined
  }

  /**
   * Refreshes `plan`'s entry now, whatever its age (joining a refresh under way), unless it no
   * longer holds `served`: a value bound from `served` met a target that no longer exists.
   */
  async renew(plan: Plan, served: Discovery): Promise<void> {
    const entry = this.#cache.entry(plan.key, plan.query, this.#settings.maxStaleMs, Date.now())
    if (entry.data === served || entry.flight) await this.#refresh(entry)
  }

  /** Starts a background refresh of an expired entry unless one runs or backoff holds it. */
  revalidate(entry: CacheEntry, now: number): void {
    if (entry.flight || now < entry.retryAt) return
    this.#cache.maintain(now)
    this.#refresh(entry).catch(() => {
      // Handled in #fetch: stale is served, or the failure is remembered.
    })
  }

  /**
   * Waits for the registry's answer, one request at a time per entry (single flight). With
   * nothing to serve, a transient failure is retried when the backoff the failed request set
   * ends, until the caller's signal aborts or `retryBudgetMs` has passed; a remembered
   * non-transient failure is thrown without a request until its backoff ends.
   */
  async #ask(plan: Plan, first: CacheEntry, signal: AbortSignal | undefined, started: number): Promise<Discovery> {
    const settings = this.#settings
    const retries = settings.retryBudgetMs > 0
    const deadline = started + settings.retryBudgetMs
    const epoch = cacheEpoch()
    let entry = first
    let failed: unknown
    /** Says, once, that this caller stops waiting for the registry; gives what it throws. */
    const giveUp = (error: unknown, why: string): unknown => {
      settings.logger.warn('cloudmap-middy: gave up discovering, nothing cached to serve', {
        address: plan.dependency.label,
        attempts: entry.failures,
        elapsedMs: Date.now() - started,
        error: error instanceof Error ? error.name : String(error),
        why,
      })
      return error
    }
    for (let round = 0; ; round++) {
      const now = Date.now()
      if (round > 0) {
        // clearCache() ran: what a retry would fill is gone.
        if (epoch !== cacheEpoch()) throw entry.error ?? failed
        // The budget is spent (a frozen container thawed past it, typically).
        if (now > deadline) throw giveUp(entry.error ?? failed, `retryBudgetMs (${settings.retryBudgetMs} ms) spent`)
        entry = this.#cache.entry(plan.key, plan.query, settings.maxStaleMs, now)
      }
      const { error } = entry
      if (error !== undefined && entry.flight === undefined && now < entry.retryAt) {
        if (!isTransient(error)) {
          this.#debug?.(`cloudmap-middy: remembered failure of ${plan.dependency.label}, asked again in ${entry.retryAt - now} ms`)
          throw error
        }
        if (retries) {
          if (entry.retryAt > deadline)
            throw giveUp(error, `the next attempt would come after retryBudgetMs (${settings.retryBudgetMs} ms)`)
          await sleep(entry.retryAt - now, signal).catch((reason: unknown) => {
            throw giveUp(entry.error ?? reason, "the caller's time ran out")
          })
          continue
        }
      }
      try {
        await waitFor(this.#refresh(entry), signal)
        // Succeeded: there is data.
        return entry.data as Discovery
      } catch (failure) {
        if (failure instanceof ServiceNotFoundError) throw failure
        // The failure left an answer to serve: a not-found answer that stale-if-error kept, under backoff.
        if (this.#cache.holds(entry) && servable(entry, Date.now(), settings)) return entry.data as Discovery
        // The caller's budget ended while it waited: the registry's last answer says more than the abort.
        if (signal?.aborted) throw giveUp(entry.error ?? failure, "the caller's time ran out")
        if (!retries || !isTransient(failure)) throw failure
        failed = failure
      }
    }
  }

  #refresh(entry: CacheEntry): Promise<void> {
    if (entry.flight) return entry.flight
    const requests: Promise<unknown>[] = []
    const flight = this.#fetch(entry, requests).finally(() => {
      entry.flight = undefined
    })
    entry.flight = flight
    // Counted until the registry's own requests settle too: one that ignores the abort signal
    // still runs after the timeout ended the wait, and a container must not freeze on it.
    const settled = () => Promise.allSettled(requests)
    track(flight.then(settled, settled))
    return flight
  }

  /** Fetches the entry's answer; each registry request it makes goes into `requests`, so `#refresh` can count it until it settles. */
  async #fetch(entry: CacheEntry, requests: Promise<unknown>[]): Promise<void> {
    const request = <T>(promise: Promise<T>): Promise<T> => {
      requests.push(promise)
      return promise
    }
    const { registry, requestTimeoutMs, maxStaleMs, logger } = this.#settings
    // A timer rather than AbortSignal.timeout: cleared as soon as the answer is in, and on the same
    // clock as the backoff (what a test or a simulation fakes). Like AbortSignal.timeout, it keeps no process alive.
    const controller = new AbortController()
    let timer: ReturnType<typeof setTimeout> | undefined
    const abortIn = (ms: number, why: string): void => {
      clearTimeout(timer)
      if (controller.signal.aborted) return
      timer = setTimeout(() => controller.abort(new DOMException(why, 'TimeoutError')), ms)
      timer.unref?.()
    }
    abortIn(requestTimeoutMs, `no answer from the registry in ${requestTimeoutMs} ms`)
    // The request timeout runs from the first request on the wire: a CPU-starved cold start spends
    // longer than it in the SDK's one-time setup, and would give up on a request it was about to send.
    const setupMs = Math.max(requestTimeoutMs, SETUP_TIMEOUT_MS)
    let sent = false
    const { signal } = controller
    const options = {
      signal,
      awsClientCapture: this.#settings.awsClientCapture,
      onSetup: () => {
        if (!sent) abortIn(setupMs, `the registry's client did not send its request in ${setupMs} ms`)
      },
      onSent: () => {
        if (!sent) abortIn(requestTimeoutMs, `no answer from the registry in ${requestTimeoutMs} ms`)
        sent = true
      },
    }
    const previous = entry.data
    try {
      if (this.#settings.revalidate === 'revision' && previous?.revision !== undefined) {
        const revision = await waitFor(request(registry.revision(entry.query, options)), signal)
        if (revision === previous.revision) {
          entry.fetchedAt = Date.now()
          entry.failures = 0
          entryChanged()
          return
        }
      }
      // The SDK does not always stop at the signal (a retry's backoff sleeps through it): bound the wait here.
      const started = this.#debug ? performance.now() : 0
      const data = await waitFor(request(registry.discover(entry.query, options)), signal)
      this.#debug?.(
        `cloudmap-middy: DiscoverInstances ${describeAddress(entry.query)} -> ${data.instances.map((i) => i.instanceId).join(', ') || 'no instances'} in ${Math.round(performance.now() - started)} ms`,
      )
      store(entry, data, Date.now())
      if (previous) this.#views.rebuild(previous, data)
    } catch (error) {
      const now = Date.now()
      if (error instanceof ServiceNotFoundError) {
        // The instances go, the answer stays for a TTL: a dependency on a service that is not
        // there (an optional one, typically) costs one call per TTL, not one per invocation.
        store(entry, notRegisteredAnswer(error), now)
        if (previous && previous.instances.length > 0)
          logger.warn(`cloudmap-middy: evicted "${describeAddress(entry.query)}": it is no longer registered`)
        throw error
      }
      const transient = isTransient(error)
      if (previous && transient && now - entry.fetchedAt <= maxStaleMs) {
        entry.failures += 1
        entry.retryAt = now + backoffMs(entry.failures)
        logger.warn(
          `cloudmap-middy: serving stale instances of "${describeAddress(entry.query)}" (${Math.round((now - entry.fetchedAt) / 1000)} s old) after a failed refresh: ${describeError(error)}`,
        )
      } else if (this.#cache.holds(entry)) {
        // Nothing to serve: the failure is remembered with a backoff, so the entry's callers
        // wait for one retry (transient) or get the error without a request (any other).
        entry.failures += 1
        entry.error = error
        entry.retryAt = now + (transient ? coldRetryMs(entry.failures) : backoffMs(entry.failures))
        logger.debug?.('cloudmap-middy: DiscoverInstances failed, nothing cached to serve', {
          address: describeAddress(entry.query),
          attempt: entry.failures,
          error: error instanceof Error ? error.name : String(error),
          transient,
          nextAttemptInMs: Math.round(entry.retryAt - now),
        })
        if (previous) {
          entry.data = undefined
          entryChanged()
          if (previous.instances.length > 0)
            logger.warn(`cloudmap-middy: evicted "${describeAddress(entry.query)}" after: ${describeError(error)}`)
        }
      }
      throw error
    } finally {
      sent = true // a late signal from the registry arms nothing
      clearTimeout(timer)
    }
  }
}
