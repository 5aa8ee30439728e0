import { describeAddress } from '../address/address.js'
import type { RefreshReason } from '../channels.js'
import { ServiceNotFoundError } from '../errors.js'
import { inSpan, type SpanAttributes } from '../otel.js'
import { isTransient } from '../transient.js'
import type { Discovery } from '../types/registry.js'
import type { ResolverSettings } from '../types/resolver.js'
import {
  type Cache,
  type CacheEntry,
  cacheEpoch,
  entryChanged,
  heldStart,
  isNotRegistered,
  markRequestSent,
  notRegisteredAnswer,
  track,
} from './cache.js'
import type { Plan } from './plan.js'
import { isSnapshotAnswer } from './snapshot.js'
import type { Telemetry } from './telemetry.js'
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
 * When `entry`'s answer stops being fresh for a resolver with these settings: its TTL after it
 * was fetched. The deploy-time snapshot's answer never is fresh: the resolver that read it first
 * dates it one of its own TTLs before init, which a resolver with a longer TTL would otherwise
 * take for fresh.
 *
 * @internal
 */
export function freshUntil(entry: CacheEntry, settings: ResolverSettings): number {
  return entry.data !== undefined && isSnapshotAnswer(entry.data) ? Number.NEGATIVE_INFINITY : entry.fetchedAt + settings.ttlMs
}

/**
 * True when `entry` is no longer fresh at `now` (see {@link freshUntil}).
 *
 * @internal
 */
export function expired(entry: CacheEntry, now: number, settings: ResolverSettings): boolean {
  return now > freshUntil(entry, settings)
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
  if (!expired(entry, now, settings)) return true
  return now - entry.fetchedAt <= settings.maxStaleMs && (now < entry.retryAt || !isNotRegistered(data))
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
  readonly #telemetry: Telemetry

  constructor(settings: ResolverSettings, cache: Cache, views: Views, telemetry: Telemetry) {
    this.#settings = settings
    this.#cache = cache
    this.#views = views
    this.#telemetry = telemetry
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
    const mustAsk = revalidateExpired && expired(entry, now, settings) && now >= entry.retryAt
    if (!mustAsk && servable(entry, now, settings)) {
      const age = now - entry.fetchedAt
      if (expired(entry, now, settings)) {
        this.#telemetry.stale(plan.dependency.label, age, now < entry.retryAt ? 'refresh-failed' : 'revalidating')
        this.revalidate(entry, now)
      }
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
    if (entry.data === served || entry.flight) await this.#refresh(entry, 'gone')
  }

  /** Starts a background refresh of an expired entry unless one runs or backoff holds it. */
  revalidate(entry: CacheEntry, now: number): void {
    if (entry.flight || now < entry.retryAt) return
    this.#cache.maintain(now)
    this.#refresh(entry, 'stale', heldStart()).catch(() => {
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
    const giveUp = (error: unknown, reason: string): unknown => {
      this.#telemetry.gaveUp(plan.dependency.label, {
        attempts: entry.failures,
        elapsedMs: Date.now() - started,
        error,
        reason,
        retryBudgetMs: settings.retryBudgetMs,
      })
      return error
    }
    for (let round = 0; ; round++) {
      const now = Date.now()
      if (round > 0) {
        // clearCache() ran: what a retry would fill is gone.
        if (epoch !== cacheEpoch()) throw entry.error ?? failed
        // The budget is spent (a frozen container thawed past it, typically).
        if (now > deadline) throw giveUp(entry.error ?? failed, 'retry budget spent')
        entry = this.#cache.entry(plan.key, plan.query, settings.maxStaleMs, now)
      }
      const { error } = entry
      if (error !== undefined && entry.flight === undefined && now < entry.retryAt) {
        if (!isTransient(error)) {
          this.#telemetry.remembered(plan.dependency.label, error, entry.retryAt - now)
          throw error
        }
        if (retries) {
          if (entry.retryAt > deadline) throw giveUp(error, 'next attempt after the retry budget')
          await sleep(entry.retryAt - now, signal).catch((reason: unknown) => {
            throw giveUp(entry.error ?? reason, 'caller out of time')
          })
          continue
        }
      }
      try {
        const reason: RefreshReason = entry.data === undefined ? 'miss' : 'expired'
        // One miss per request made for a key with nothing to serve: not per caller waiting for it, nor per retry.
        if (round === 0 && entry.flight === undefined) this.#telemetry.miss(describeAddress(entry.query), reason)
        await waitFor(this.#refresh(entry, reason), signal)
        // Succeeded: there is data.
        return entry.data as Discovery
      } catch (failure) {
        if (failure instanceof ServiceNotFoundError) throw failure
        // The failure left an answer to serve: a not-found answer that stale-if-error kept, under backoff.
        if (this.#cache.holds(entry) && servable(entry, Date.now(), settings)) return entry.data as Discovery
        // The caller's budget ended while it waited: the registry's last answer says more than the abort.
        if (signal?.aborted) throw giveUp(entry.error ?? failure, 'caller out of time')
        if (!retries || !isTransient(failure)) throw failure
        failed = failure
      }
    }
  }

  /** The refresh of `entry` (joined when one is under way; a held one then starts at once), started when `held` says. */
  #refresh(entry: CacheEntry, reason: RefreshReason, held?: ReturnType<typeof heldStart>): Promise<void> {
    if (entry.flight) {
      entry.startNow?.()
      return entry.flight
    }
    const requests: Promise<unknown>[] = []
    const { query } = entry
    const address = describeAddress(query)
    // An INTERNAL span when OpenTelemetry is registered (the SDK instrumentation's DiscoverInstances span is its child).
    const run = () =>
      inSpan(
        `discover ${address}`,
        query.namespace,
        query.service,
        { 'cloudmap_middy.cache.outcome': reason },
        (annotate) => this.#fetch(entry, requests, address, reason, annotate),
        (error) => error instanceof ServiceNotFoundError,
      )
    entry.startNow = held?.startNow
    const flight = (held ? held.started.then(run) : run()).finally(() => {
      entry.flight = undefined
      entry.startNow = undefined
    })
    entry.flight = flight
    // Counted until the registry's own requests settle too: one that ignores the abort signal
    // still runs after the timeout ended the wait, and a container must not freeze on it.
    const settled = () => Promise.allSettled(requests)
    track(flight.then(settled, settled))
    return flight
  }

  /** Fetches the entry's answer; each registry request it makes goes into `requests`, so `#refresh` can count it until it settles. */
  async #fetch(
    entry: CacheEntry,
    requests: Promise<unknown>[],
    address: string,
    reason: RefreshReason,
    annotate: (attributes: SpanAttributes) => void,
  ): Promise<void> {
    const request = <T>(promise: Promise<T>): Promise<T> => {
      requests.push(promise)
      return promise
    }
    const telemetry = this.#telemetry
    const { query } = entry
    const attempt = entry.failures + 1
    const startedAt = performance.now()
    const { registry, requestTimeoutMs, maxStaleMs } = this.#settings
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
        if (!sent) {
          abortIn(requestTimeoutMs, `no answer from the registry in ${requestTimeoutMs} ms`)
          markRequestSent()
        }
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
          annotate({ 'cloudmap_middy.refresh.outcome': 'unchanged' })
          telemetry.refreshed(query, address, reason, attempt, startedAt, 'unchanged')
          return
        }
      }
      // The SDK does not always stop at the signal (a retry's backoff sleeps through it): bound the wait here.
      const discovered = telemetry.discovery(query, address, reason)
      const data = await waitFor(request(registry.discover(query, options)), signal).catch((error: unknown) => {
        discovered(undefined, error)
        throw error
      })
      discovered(data.instances)
      store(entry, data, Date.now())
      if (previous) this.#views.rebuild(previous, data)
      annotate({ 'cloudmap_middy.refresh.outcome': 'changed', 'cloudmap_middy.instance.count': data.instances.length })
      telemetry.refreshed(query, address, reason, attempt, startedAt, 'changed')
    } catch (error) {
      const now = Date.now()
      if (error instanceof ServiceNotFoundError) {
        // The instances go, the answer stays for a TTL: a dependency on a service that is not
        // there (an optional one, typically) costs one call per TTL, not one per invocation.
        store(entry, notRegisteredAnswer(error), now)
        annotate({ 'cloudmap_middy.refresh.outcome': 'not-registered' })
        telemetry.refreshed(query, address, reason, attempt, startedAt, 'not-registered', error)
        if (previous && previous.instances.length > 0) telemetry.evicted(address, error)
        throw error
      }
      const transient = isTransient(error)
      let warned = false
      if (previous && transient && now - entry.fetchedAt <= maxStaleMs) {
        entry.failures += 1
        entry.retryAt = now + backoffMs(entry.failures)
        telemetry.keptStale(address, now - entry.fetchedAt, error)
        warned = true
      } else if (this.#cache.holds(entry)) {
        // Nothing to serve: the failure is remembered with a backoff, so the entry's callers
        // wait for one retry (transient) or get the error without a request (any other).
        entry.failures += 1
        entry.error = error
        entry.retryAt = now + (transient ? coldRetryMs(entry.failures) : backoffMs(entry.failures))
        if (previous) {
          entry.data = undefined
          entryChanged()
          if (previous.instances.length > 0) {
            telemetry.evicted(address, error)
            warned = true
          }
        }
      }
      annotate({ 'cloudmap_middy.refresh.outcome': 'failed' })
      const retryInMs = entry.retryAt > now ? Math.round(entry.retryAt - now) : undefined
      telemetry.refreshed(query, address, reason, attempt, startedAt, 'failed', error, retryInMs, warned)
      throw error
    } finally {
      sent = true // a late signal from the registry arms nothing
      clearTimeout(timer)
    }
  }
}
