import type { AnyDependency, Discovery, DiscoveryQuery, Registry } from '@cloudmap-middy/core'
import { staticRegistry } from '@cloudmap-middy/core/testing'
import type { MiddlewareObj } from '@middy/core'
import type { BenchEvent, BenchResult, Target } from './fixtures.js'

/** A registry that counts DiscoverInstances calls and can be taken down (throttling) on demand. */
export interface CountingRegistry extends Registry {
  /** DiscoverInstances calls, failed ones included. */
  readonly calls: () => number
  /** Calls answered with a throttling error. */
  readonly throttled: () => number
}

function throttling(): Error {
  const error = new Error('Rate exceeded')
  error.name = 'RequestLimitExceeded'
  return error
}

/** A macrotask hop: the answer comes back later, as from the network, so concurrent callers overlap. */
const hop = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * Serves `table` (staticRegistry format) and counts every call; while `down()` is
 * true every call throws the throttling error Cloud Map gives (`RequestLimitExceeded`).
 */
export function countingRegistry(table: Parameters<typeof staticRegistry>[0], down: () => boolean = () => false): CountingRegistry {
  const inner = staticRegistry(table)
  let calls = 0
  let throttled = 0
  return {
    calls: () => calls,
    throttled: () => throttled,
    async discover(query, options) {
      calls += 1
      await hop()
      if (down()) {
        throttled += 1
        throw throttling()
      }
      return inner.discover(query, options)
    },
    async revision(query, options) {
      await hop()
      if (down()) throw throttling()
      return inner.revision(query, options)
    },
  }
}

/** `namespace.service`: the service a dependency lives on. */
function serviceKey(dependency: AnyDependency): string {
  return `${dependency.address.namespace}.${dependency.address.service}`
}

function queryOf(dependency: AnyDependency): DiscoveryQuery {
  return { namespace: dependency.address.namespace, service: dependency.address.service, healthStatus: 'HEALTHY_OR_ELSE_ALL' }
}

/** What a hand-written lookup keeps of an instance: the pinned one's attributes. */
function targetOf(dependency: AnyDependency, data: Discovery): Target {
  const pinned = dependency.address.instance
  const found = data.instances.find((i) => pinned === undefined || i.instanceId === pinned)
  if (!found) throw new Error(`${dependency.label} is not registered`)
  const { arn, url } = found.attributes
  return { ...(arn ? { arn } : {}), ...(url ? { url } : {}), attributes: found.attributes }
}

/** A middleware whose `before` loads every dependency's discovery (in parallel) and puts the targets on `context.services`. */
function perDependencyMiddleware(
  services: Readonly<Record<string, AnyDependency>>,
  load: (dependency: AnyDependency) => Promise<Discovery>,
): MiddlewareObj<BenchEvent, BenchResult> {
  const entries = Object.entries(services)
  return {
    before: async (request) => {
      const values = await Promise.all(entries.map(([, dependency]) => load(dependency)))
      const out: Record<string, Target> = {}
      entries.forEach(([name, dependency], i) => {
        out[name] = targetOf(dependency, values[i] as Discovery)
      })
      ;(request.context as unknown as { services: unknown }).services = out
    },
  }
}

/** Baseline (a): no cache. Every invocation asks the registry once per dependency (in parallel). */
export function noCacheMiddleware(
  services: Readonly<Record<string, AnyDependency>>,
  registry: Registry,
): MiddlewareObj<BenchEvent, BenchResult> {
  return perDependencyMiddleware(services, (dependency) => registry.discover(queryOf(dependency)))
}

/**
 * Baseline (b): a TTL cache per service, without single flight and without stale
 * serving. Every caller that finds the entry missing or expired asks the registry
 * itself, and an error is the caller's.
 */
export function ttlCacheMiddleware(
  services: Readonly<Record<string, AnyDependency>>,
  registry: Registry,
  ttlMs: number,
): MiddlewareObj<BenchEvent, BenchResult> {
  const cache = new Map<string, { data: Discovery; fetchedAt: number }>()
  return perDependencyMiddleware(services, async (dependency) => {
    const key = `${dependency.address.namespace}\u0000${dependency.address.service}`
    const entry = cache.get(key)
    if (entry && Date.now() - entry.fetchedAt <= ttlMs) return entry.data
    const data = await registry.discover(queryOf(dependency))
    cache.set(key, { data, fetchedAt: Date.now() })
    return data
  })
}

/**
 * Baseline (c): Middy's own Cloud Map middleware, `@middy/service-discovery`, modelled on what
 * its documentation says (middy.js.org, "service-discovery"; in our words):
 *
 * - `fetchData` names one DiscoverInstances request per key; every key is one call, so a
 *   handler lists one key per service and picks the instance itself.
 * - At cold start it sends those requests early (prefetch) unless told not to; with
 *   `cacheExpiry: 0` nothing is kept, so there is nothing to prefetch for.
 * - The answers are cached under the middleware's `cacheKey` for `cacheExpiry` ms: -1 (the
 *   default) keeps them for as long as the container lives, 0 sends the requests on every
 *   invocation, n > 0 sends them again on the first invocation after n ms, which waits for them.
 * - The cache belongs to the middleware in its container; nothing is shared between containers.
 * - The documentation says nothing of serving an old answer when Cloud Map fails: modelled as
 *   the invocation that awaits the failed request failing, the next one asking again.
 */
export function middyServiceDiscoveryModel(
  services: Readonly<Record<string, AnyDependency>>,
  registry: Registry,
  /** -1 keeps the answers for the container's life, 0 asks every time, n: ms. */
  cacheExpiry: number,
): MiddlewareObj<BenchEvent, BenchResult> {
  const entries = Object.entries(services)
  // One fetchData key per service the dependencies live on.
  const queries = new Map<string, DiscoveryQuery>()
  for (const [, dependency] of entries) {
    queries.set(serviceKey(dependency), queryOf(dependency))
  }
  const fetchAll = async () => {
    const answers = await Promise.all([...queries.values()].map((query) => registry.discover(query)))
    return new Map([...queries.keys()].map((key, i) => [key, answers[i] as Discovery]))
  }
  let cached: { answers: Promise<Map<string, Discovery>>; fetchedAt: number } | undefined
  const load = () => {
    const fresh = cached && (cacheExpiry < 0 || (cacheExpiry > 0 && Date.now() - cached.fetchedAt < cacheExpiry))
    if (!fresh || !cached) {
      const answers = fetchAll()
      const entry = { answers, fetchedAt: Date.now() }
      cached = cacheExpiry === 0 ? undefined : entry
      // A failed request is not kept: the next invocation asks again.
      answers.catch(() => {
        if (cached === entry) cached = undefined
      })
      return answers
    }
    return cached.answers
  }
  if (cacheExpiry !== 0) load().catch(() => undefined)
  return {
    before: async (request) => {
      const answers = await load()
      const out: Record<string, Target> = {}
      for (const [name, dependency] of entries) {
        out[name] = targetOf(dependency, answers.get(serviceKey(dependency)) as Discovery)
      }
      ;(request.context as unknown as { services: unknown }).services = out
    },
  }
}
