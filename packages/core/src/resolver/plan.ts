import type { AnyDependency, PickStrategy } from '../types/dependency.js'
import type { Discovery, DiscoveryQuery } from '../types/registry.js'
import type { CacheEntry } from './cache.js'
import type { View } from './views.js'

/**
 * What a resolver keeps per dependency: its cache key and query and, for the warm path,
 * the cache entry it found and the last instance set it served with the view built from it.
 *
 * @internal
 */
export interface Plan {
  readonly dependency: AnyDependency
  readonly key: string
  readonly query: DiscoveryQuery
  readonly pick: PickStrategy
  /** The cache entry as of `generation` (see `cacheGeneration`); looked up again once that changed. */
  entry: CacheEntry | undefined
  generation: number
  /** The instance set `view` was built from: while the entry still holds it, `view` is the one to pick from. */
  data: Discovery | undefined
  view: View | undefined
}
