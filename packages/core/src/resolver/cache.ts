import type { Discovery, DiscoveryQuery, Registry } from '../registry/types.js'

/** One service's instances as last fetched, shared by every resolver on the same registry. */
export interface CacheEntry {
  readonly key: string
  readonly query: DiscoveryQuery
  /** The last good answer; kept through transient failures. */
  data?: Discovery
  fetchedAt: number
  /** The request under way, shared by every caller (single flight). */
  flight?: Promise<void> | undefined
  /** Consecutive failed refreshes, for backoff while stale is served. */
  failures: number
  /** No background refresh before this time (backoff after a failure). */
  retryAt: number
}

const caches = new Map<Registry, Map<string, CacheEntry>>()
const inflight = new Set<Promise<void>>()
/** Bumped whenever an entry leaves a cache, so a reference kept to one is known to be still current while it is unchanged. */
let generation = 0

/**
 * The cache's generation: while it is unchanged, every entry seen in a cache is still there.
 *
 * @internal
 */
export function cacheGeneration(): number {
  return generation
}

/**
 * Removes `entry` from `cache`, if it is still the one there.
 *
 * @internal
 */
export function evict(cache: Map<string, CacheEntry>, entry: CacheEntry): boolean {
  if (cache.get(entry.key) !== entry) return false
  cache.delete(entry.key)
  generation += 1
  return true
}

/** The process-wide cache of one registry. */
export function cacheOf(registry: Registry): Map<string, CacheEntry> {
  let cache = caches.get(registry)
  if (!cache) {
    cache = new Map()
    caches.set(registry, cache)
  }
  return cache
}

/** Tracks a refresh so `settleRefreshes` can wait for it before a container freezes. */
export function track(flight: Promise<void>): void {
  inflight.add(flight)
  flight.then(
    () => inflight.delete(flight),
    () => inflight.delete(flight),
  )
}

/** How many refreshes are under way in this process. */
export function pendingRefreshes(): number {
  return inflight.size
}

/**
 * Waits for every refresh under way, at most `timeoutMs`. Never rejects: a refresh's
 * failure was already handled (stale served, entry evicted) where it happened.
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
    timer = setTimeout(resolve, Math.max(0, timeoutMs))
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
  for (const cache of caches.values()) cache.clear()
  generation += 1
  inflight.clear()
}
