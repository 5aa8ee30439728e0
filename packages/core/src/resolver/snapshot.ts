import { selectInstances } from '../registry/select.js'
import { type SnapshotServices, snapshotKey } from '../snapshot.js'
import type { Discovery, DiscoveryQuery } from '../types/registry.js'

/** The answers made from the deploy-time snapshot: served stale, never fresh, and never stored by a refresh. */
const answers = new WeakSet<Discovery>()

/**
 * True for an answer made from `CLOUDMAP_MIDDY_SNAPSHOT`.
 *
 * @internal
 */
export function isSnapshotAnswer(data: Discovery): boolean {
  return answers.has(data)
}

/**
 * What a new cache entry starts with when the snapshot covers its query: the answer, and a fetch
 * time one TTL before the snapshot was read, so it is stale from the start.
 *
 * @internal
 */
export type Seed = (query: DiscoveryQuery) => { readonly data: Discovery; readonly fetchedAt: number } | undefined

/**
 * The snapshot's answer to a query, as Cloud Map would give it from the same registrations:
 * `queryParameters` filter, `optionalParameters` prefer, `maxResults` truncates. Not covered: a
 * service it does not hold, a namespace of another account, a query for unhealthy instances only.
 */
function answer(services: SnapshotServices, query: DiscoveryQuery): Discovery | undefined {
  if (query.account !== undefined || query.healthStatus === 'UNHEALTHY') return undefined
  const registered = services.get(snapshotKey(query.namespace, query.service))
  if (registered === undefined) return undefined
  const data: Discovery = { instances: selectInstances(registered, query) }
  answers.add(data)
  return data
}

/**
 * The seed of a cache from a snapshot read at `readAt` by a resolver whose TTL is `ttlMs`.
 *
 * @internal
 */
export function snapshotSeed(services: SnapshotServices, readAt: number, ttlMs: number): Seed {
  const fetchedAt = readAt - ttlMs - 1
  return (query) => {
    const data = answer(services, query)
    return data === undefined ? undefined : { data, fetchedAt }
  }
}
