import type { AnyDependency } from '../types/dependency.js'
import type { DiscoveryQuery } from '../types/registry.js'
import { NOT_READY, type NotReady, type ResolverSettings } from '../types/resolver.js'
import { type Cache, cacheGeneration } from './cache.js'
import type { Plan } from './plan.js'
import { expired, freshUntil, type Refresher, servable } from './refresh.js'
import type { Telemetry } from './telemetry.js'
import { isMissing, pick, type View, type Views } from './views.js'

/**
 * The warm path of a resolver made by `createResolver`, for a `ServiceSet` that resolves the
 * same dependencies on every invocation: their plans once, then one clock reading per call.
 *
 * @internal
 */
export interface PlannedResolver {
  plan(dependency: AnyDependency): Plan
  /** `resolveSync` of the plan's dependency, with `now` read once by the caller. */
  resolvePlanned(plan: Plan, now: number): unknown
  /**
   * What `resolvePlanned` picks from: the plan's view (its values, one per valid instance),
   * `undefined` for an optional dependency with nothing registered, or `NOT_READY`.
   */
  viewPlanned(plan: Plan, now: number): View | undefined | NotReady
  /** Until when the entry `viewPlanned` last served the plan from is fresh (its fetch time plus the TTL). */
  freshUntil(plan: Plan): number
  /** Where a service set counts its hits: one value per invocation. */
  readonly telemetry: Telemetry
}

function sortedRecord(record: Readonly<Record<string, string>> | undefined): string {
  if (!record) return ''
  return JSON.stringify(
    Object.keys(record)
      .sort()
      .map((key) => [key, record[key]]),
  )
}

/**
 * Answers from the cache without waiting: plans a dependency once (key, query, pick),
 * then serves it with comparisons only while its entry and instance set are unchanged.
 *
 * @internal
 */
export class Planner implements PlannedResolver {
  readonly #settings: ResolverSettings
  readonly #cache: Cache
  readonly #views: Views
  readonly #refresher: Refresher
  readonly #plans = new WeakMap<AnyDependency, Plan>()
  readonly telemetry: Telemetry

  constructor(settings: ResolverSettings, cache: Cache, views: Views, refresher: Refresher, telemetry: Telemetry) {
    this.#settings = settings
    this.#cache = cache
    this.#views = views
    this.#refresher = refresher
    this.telemetry = telemetry
  }

  resolvePlanned(plan: Plan, now: number): unknown {
    const view = this.viewPlanned(plan, now)
    if (view === NOT_READY) return view
    if (now <= this.freshUntil(plan)) this.telemetry.hits(1)
    return view === undefined ? view : pick(plan.pick, view)
  }

  viewPlanned(plan: Plan, now: number): View | undefined | NotReady {
    let entry = plan.entry
    const generation = cacheGeneration()
    if (entry === undefined || plan.generation !== generation) {
      // First use, or an entry changed or left a cache since: the one kept may be gone.
      entry = this.#cache.get(plan.key)
      plan.entry = entry
      plan.generation = generation
      if (entry === undefined) return NOT_READY
      // Read by this resolver too: kept while this resolver may still serve it.
      if (entry.maxStaleMs < this.#settings.maxStaleMs) entry.maxStaleMs = this.#settings.maxStaleMs
    }
    const data = entry.data
    if (data === undefined) return NOT_READY
    const { dependency } = plan
    const age = now - entry.fetchedAt
    const stale = expired(entry, now, this.#settings)
    if (stale) {
      if (!servable(entry, now, this.#settings)) return NOT_READY
      this.#refresher.revalidate(entry, now)
    }
    let view = plan.view
    if (plan.data !== data || view === undefined) {
      const built = this.#views.of(dependency, data)
      if (built instanceof Promise) return NOT_READY
      plan.data = data
      plan.view = view = built
    }
    // An error answer (nothing registered there, no valid instance) older than the TTL is asked again before it is
    // served, unless backoff holds it after a failed refresh.
    if (view.error) {
      const current = !stale || now < entry.retryAt
      if (!(current && dependency.optional && isMissing(view.error))) return NOT_READY
    }
    // Told once it is served: a read that ends in NOT_READY is the refresher's miss, not a hit.
    if (stale) this.telemetry.stale(dependency.label, age, now < entry.retryAt ? 'refresh-failed' : 'revalidating')
    else this.telemetry.hit(dependency.label, age)
    return view.error ? undefined : view
  }

  freshUntil(plan: Plan): number {
    return plan.entry === undefined ? Number.NEGATIVE_INFINITY : freshUntil(plan.entry, this.#settings)
  }

  plan(dependency: AnyDependency): Plan {
    let plan = this.#plans.get(dependency)
    if (!plan) {
      const { namespace, service, account } = dependency.address
      const { queryParameters, optionalParameters, maxResults } = dependency.discovery
      const healthStatus = dependency.discovery.healthStatus ?? this.#settings.healthStatus
      const query: DiscoveryQuery = {
        namespace,
        service,
        healthStatus,
        ...(account === undefined ? {} : { account }),
        ...(queryParameters === undefined ? {} : { queryParameters }),
        ...(optionalParameters === undefined ? {} : { optionalParameters }),
        ...(maxResults === undefined ? {} : { maxResults }),
      }
      const key = [
        account ?? '',
        namespace,
        service,
        healthStatus,
        maxResults ?? '',
        sortedRecord(queryParameters),
        sortedRecord(optionalParameters),
      ].join('\u0000')
      const strategy = dependency.discovery.pick ?? this.#settings.pick
      plan = { dependency, key, query, pick: strategy, entry: undefined, generation: 0, data: undefined, view: undefined }
      this.#plans.set(dependency, plan)
    }
    return plan
  }
}
