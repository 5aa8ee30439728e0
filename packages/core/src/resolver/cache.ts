import type { ServiceNotFoundError } from '../errors.js'
import { remainingBudgetMs } from '../timers.js'
import type { Discovery, DiscoveryQuery, Registry } from '../types/registry.js'
import type { Seed } from './snapshot.js'

/** One service's instances as last fetched, shared by every resolver on the same registry. */
export interface CacheEntry {
  readonly key: string
  readonly query: DiscoveryQuery
  /** The last good answer; kept through transient failures (up to `maxStaleMs`), dropped on any other. */
  data?: Discovery | undefined
  fetchedAt: number
  /** The largest `maxStaleMs` of the resolvers that use it: older than that, nobody may serve it and it is pruned. */
  maxStaleMs: number
  /** The request under way, shared by every caller (single flight). */
  flight?: Promise<void> | undefined
  /** Starts `flight` at once while it is held until the response is out (see `holdRefreshes`). */
  startNow?: (() => void) | undefined
  /** Consecutive failed refreshes, for backoff while stale is served or a failure is remembered. */
  failures: number
  /** No background refresh before this time (backoff after a failure). */
  retryAt: number
  /**
   * The last failure, while there is no data to serve: a transient one is retried once
   * `retryAt` has passed; any other is given to callers without a request until then.
   */
  error?: unknown
}

/** Below this size a cache is not swept for growing: the sweep would cost more than the entries. */
const MIN_SWEEP_SIZE = 256
/** A cache that does not grow is swept at most this often, and only while it is used. */
const SWEEP_INTERVAL_MS = 60_000

const caches = new WeakMap<Registry, Cache>()
const inflight = new Set<Promise<unknown>>()
/**
 * Bumped whenever an entry leaves a cache or its answer or fetch time changes: while it is
 * unchanged, every entry and answer seen is still the current one, which lets the warm path
 * hand over what it built last time without looking at a single entry.
 */
let generation = 0
/** Bumped by `clearCache()`: a cache from an older epoch empties itself when next used (a WeakMap cannot be iterated). */
let epoch = 0

/** Answers of a registry that said the service (or its namespace) does not exist, with what it said (kept for a TTL like any other). */
const notRegistered = new WeakMap<Discovery, ServiceNotFoundError>()

/**
 * The answer cached when the registry says the service does not exist: `error`, kept so the
 * answer served from cache says what the registry said (a missing namespace stays one).
 *
 * @internal
 */
export function notRegisteredAnswer(error: ServiceNotFoundError): Discovery {
  const answer: Discovery = { instances: [] }
  notRegistered.set(answer, error)
  return answer
}

/**
 * The registry's "not registered" error behind an answer made by {@link notRegisteredAnswer}.
 *
 * @internal
 */
export function notRegisteredError(data: Discovery): ServiceNotFoundError | undefined {
  return notRegistered.get(data)
}

/**
 * True for an answer made by {@link notRegisteredAnswer}.
 *
 * @internal
 */
export function isNotRegistered(data: Discovery): boolean {
  return notRegistered.has(data)
}

/**
 * The cache's generation: while it is unchanged, every entry seen in a cache is still there,
 * with the same answer and fetch time.
 *
 * @internal
 */
export function cacheGeneration(): number {
  return generation
}

/**
 * Bumped by `clearCache()`: a retry loop started in an older epoch stops.
 *
 * @internal
 */
export function cacheEpoch(): number {
  return epoch
}

/**
 * Records that an entry's answer or fetch time changed (see {@link cacheGeneration}).
 *
 * @internal
 */
export function entryChanged(): void {
  generation += 1
}

/**
 * The entries of one registry. Entries that nobody may serve any more (older than their
 * `maxStaleMs`) are pruned as the cache is used: when it has doubled since the last sweep
 * (amortised O(1) per new entry, so memory stays bounded by the entries in use), and at most
 * once a minute otherwise. Never by a timer: a frozen container must not wake up to sweep.
 *
 * @internal
 */
export class Cache {
  readonly #entries = new Map<string, CacheEntry>()
  #epoch = epoch
  #sweepSize = MIN_SWEEP_SIZE
  #sweepAt = Number.NEGATIVE_INFINITY
  #seed: Seed | undefined
  /** Keys a seed was offered for: each is seeded once, so an entry pruned later never gets the deploy-time answer back. */
  readonly #seeded = new Set<string>()

  /** What new entries start with (the deploy-time snapshot), or `undefined` for nothing. */
  seedWith(seed: Seed | undefined): void {
    this.#seed = seed
  }

  /** How many entries it holds. */
  get size(): number {
    this.#sync()
    return this.#entries.size
  }

  get(key: string): CacheEntry | undefined {
    this.#sync()
    return this.#entries.get(key)
  }

  /** True while `entry` is the one cached under its key. */
  holds(entry: CacheEntry): boolean {
    return this.get(entry.key) === entry
  }

  /** The entry of `key`, added empty when missing; a resolver with a larger `maxStaleMs` keeps it longer. */
  entry(key: string, query: DiscoveryQuery, maxStaleMs: number, now: number): CacheEntry {
    // Before the lookup: a new entry has no data yet, and must not be taken for an old one.
    this.maintain(now)
    let entry = this.#entries.get(key)
    if (entry === undefined) {
      const seed = this.#seed !== undefined && !this.#seeded.has(key) ? this.#seed(query) : undefined
      if (this.#seed !== undefined) this.#seeded.add(key)
      // Every field set from the start: one object shape for every entry keeps the warm path's reads monomorphic.
      entry = {
        key,
        query,
        data: seed?.data,
        fetchedAt: seed?.fetchedAt ?? 0,
        maxStaleMs,
        flight: undefined,
        failures: 0,
        retryAt: 0,
        error: undefined,
      }
      this.#entries.set(key, entry)
      if (seed !== undefined) generation += 1
    } else if (entry.maxStaleMs < maxStaleMs) entry.maxStaleMs = maxStaleMs
    return entry
  }

  /** Prunes when the cache has grown or the last sweep is old enough; a couple of comparisons otherwise. */
  maintain(now: number): void {
    this.#sync()
    if (this.#entries.size >= this.#sweepSize || now >= this.#sweepAt) this.#sweep(now)
  }

  #sweep(now: number): void {
    let pruned = false
    for (const entry of this.#entries.values()) {
      // An entry with a request under way is about to be fresh (or to remember its failure); one
      // under backoff remembers a failure, kept until the backoff ends.
      if (entry.flight === undefined && now - entry.fetchedAt > entry.maxStaleMs && now >= entry.retryAt) {
        this.#entries.delete(entry.key)
        pruned = true
      }
    }
    if (pruned) generation += 1
    this.#sweepSize = Math.max(MIN_SWEEP_SIZE, this.#entries.size * 2)
    this.#sweepAt = now + SWEEP_INTERVAL_MS
  }

  #sync(): void {
    if (this.#epoch === epoch) return
    this.#entries.clear()
    this.#seeded.clear()
    this.#epoch = epoch
    this.#sweepSize = MIN_SWEEP_SIZE
  }
}

/**
 * The process-wide cache of one registry: it lives as long as the registry (or a resolver using it).
 *
 * @internal
 */
export function cacheOf(registry: Registry): Cache {
  let cache = caches.get(registry)
  if (!cache) {
    cache = new Cache()
    caches.set(registry, cache)
  }
  return cache
}

/** Tracks a refresh so `settleRefreshes` can wait for it before a container freezes. */
export function track(flight: Promise<unknown>): void {
  inflight.add(flight)
  flight.then(
    () => inflight.delete(flight),
    () => inflight.delete(flight),
  )
}

/** Resolved when the next registry request goes on the wire; made on demand, shared by every waiter. */
let nextSent: { readonly promise: Promise<void>; readonly resolve: () => void } | undefined

/**
 * A promise that resolves when the next request to a registry is on the wire (its client's
 * setup done): what a prefetch waits for before it loads anything else at init.
 *
 * @internal
 */
export function requestSent(): Promise<void> {
  if (!nextSent) {
    let resolve = () => {}
    const promise = new Promise<void>((done) => {
      resolve = done
    })
    nextSent = { promise, resolve }
  }
  return nextSent.promise
}

/**
 * Tells {@link requestSent}'s waiters that a registry request is on the wire.
 *
 * @internal
 */
export function markRequestSent(): void {
  const waiting = nextSent
  nextSent = undefined
  waiting?.resolve()
}

/** While an invocation's response is being made: the starts of the background refreshes it asked for. */
let held: Array<() => void> | undefined

/**
 * Holds the background refreshes asked for from now on (a stale answer served, its refresh
 * due) until {@link releaseRefreshes}: they count as under way for {@link pendingRefreshes}
 * and {@link settleRefreshes}, but send nothing, so preparing their requests takes no time
 * from the response. A caller that must wait for one of them (nothing left to serve) starts it
 * at once. Refreshes still held from an earlier call, never released, start now. For a
 * middleware whose refreshes an extension lets finish after the response.
 *
 * @example
 * ```ts
 * before: (request) => { if (invocationBegan(request.context.awsRequestId)) holdRefreshes() }
 * ```
 */
export function holdRefreshes(): void {
  // What an earlier invocation left held (a later middleware answered early: no release ran) starts now.
  releaseRefreshes(false)
  held = []
}

/**
 * Lets the refreshes held since {@link holdRefreshes} start: once the current turn of the event
 * loop is over (`afterResponse`: the runtime posts the response in it), or at once.
 *
 * @example
 * ```ts
 * after: (request) => { releaseRefreshes(invocationEnded(request.context.awsRequestId, 1_000)) }
 * ```
 */
export function releaseRefreshes(afterResponse: boolean): void {
  const starts = held
  held = undefined
  if (!starts || starts.length === 0) return
  const start = () => {
    for (const go of starts) go()
  }
  if (afterResponse) setImmediate(start)
  else start()
}

/**
 * A promise that resolves when a background refresh asked for now may start, with the function
 * that starts it at once; `undefined` when refreshes are not held.
 *
 * @internal
 */
export function heldStart(): { readonly started: Promise<void>; readonly startNow: () => void } | undefined {
  if (!held) return undefined
  let startNow = () => {}
  const started = new Promise<void>((resolve) => {
    startNow = resolve
  })
  held.push(startNow)
  return { started, startNow }
}

/**
 * How many refreshes are under way in this process.
 *
 * @example
 * ```ts
 * if (pendingRefreshes() > 0) await settleRefreshes(500)
 * ```
 */
export function pendingRefreshes(): number {
  return inflight.size
}

/**
 * Waits for every refresh under way, at most `timeoutMs`. Never rejects: a refresh's
 * failure was already handled (stale served, or the failure remembered) where it happened.
 * `timeoutMs` is clamped as {@link remainingBudgetMs} clamps the time left (it usually is
 * that): not a finite number or below 0 waits for nothing, above `MAX_DELAY_MS` waits that long.
 *
 * @example
 * ```ts
 * await settleRefreshes(500) // before a Lambda invocation returns
 * ```
 */
export async function settleRefreshes(timeoutMs: number): Promise<void> {
  if (inflight.size === 0) return
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, remainingBudgetMs(timeoutMs) ?? 0)
  })
  await Promise.race([Promise.allSettled([...inflight]), deadline])
  clearTimeout(timer)
}

/**
 * Forgets every cached instance set in this process (all registries, all resolvers).
 * Meant for tests; a refresh under way still completes but is neither kept nor waited for.
 *
 * @example
 * ```ts
 * afterEach(() => clearCache())
 * ```
 */
export function clearCache(): void {
  releaseRefreshes(false)
  nextSent = undefined
  epoch += 1
  generation += 1
  inflight.clear()
}
