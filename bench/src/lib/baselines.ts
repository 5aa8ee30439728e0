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

/** Baseline (a): no cache. Every invocation asks the registry once per dependency (in parallel). */
export function noCacheMiddleware(
  services: Readonly<Record<string, AnyDependency>>,
  registry: Registry,
): MiddlewareObj<BenchEvent, BenchResult> {
  const entries = Object.entries(services)
  return {
    before: async (request) => {
      const values = await Promise.all(entries.map(([, dependency]) => registry.discover(queryOf(dependency))))
      const out: Record<string, Target> = {}
      entries.forEach(([name, dependency], i) => {
        out[name] = targetOf(dependency, values[i] as Discovery)
      })
      ;(request.context as unknown as { services: unknown }).services = out
    },
  }
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
  const entries = Object.entries(services)
  const cache = new Map<string, { data: Discovery; fetchedAt: number }>()
  const load = async (dependency: AnyDependency): Promise<Discovery> => {
    const key = `${dependency.address.namespace}\u0000${dependency.address.service}`
    const entry = cache.get(key)
    if (entry && Date.now() - entry.fetchedAt <= ttlMs) return entry.data
    const data = await registry.discover(queryOf(dependency))
    cache.set(key, { data, fetchedAt: Date.now() })
    return data
  }
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
