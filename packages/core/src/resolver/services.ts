import { type DependencyFailure, DependencyResolutionError } from '../errors.js'
import type { AnyDependency, Resolved } from '../types/dependency.js'
import { KIND_NAMES } from '../types/kinds.js'
import { NOT_READY, type NotReady, type ResolveOptions, type Resolver } from '../types/resolver.js'
import { cacheGeneration } from './cache.js'
import type { Plan } from './plan.js'
import type { PlannedResolver } from './plans.js'
import { plannedResolver } from './resolver.js'
import type { Telemetry } from './telemetry.js'
import { pick, type View } from './views.js'

/** A handler's dependencies by the name it uses for them. */
export type Services = Readonly<Record<string, AnyDependency>>

/** What a set of dependencies resolves to: one typed value per name. */
export type ResolvedServices<S extends Services> = { readonly [Name in keyof S]: Resolved<S[Name]> }

/**
 * A handler's dependencies, checked once and resolved together: synchronously when
 * every one is cached, otherwise in parallel with every failure reported at once.
 *
 * @example
 * ```ts
 * const services = defineServices({ jobs: lambda('prod.scheduler->get-job'), flags: instance('prod.config->flags') })
 * const resolved = await services.resolve(getDefaultResolver())
 * ```
 */
export interface ServiceSet<S extends Services> {
  /** The dependencies, by name, as given. */
  readonly services: S
  /** Every value when all can be had without waiting, else `NOT_READY`. */
  resolveSync(resolver: Resolver): ResolvedServices<S> | NotReady
  /** @throws {DependencyResolutionError} listing every dependency that failed. */
  resolve(resolver: Resolver, options?: ResolveOptions): Promise<ResolvedServices<S>>
  /** Starts resolving all of them (cold-start warm-up); never rejects. */
  prefetch(resolver: Resolver): Promise<void>
}

/** Every kind's factory, for a message: `lambda(), queue(), ... or instance()`. */
function factories(): string {
  const all = KIND_NAMES.map((kind) => `${kind}()`)
  return `${all.slice(0, -1).join(', ')} or ${all.at(-1)}`
}

function isDependency(value: unknown): value is AnyDependency {
  return typeof value === 'object' && value !== null && typeof (value as AnyDependency).bind === 'function' && 'address' in value
}

/**
 * Checks a services map and prepares it for resolution.
 *
 * @throws {TypeError} naming an entry that is not a dependency (`lambda()`, `queue()`, ...).
 * @example
 * ```ts
 * const set = defineServices({ events: topic('prod.events->job-events') })
 * ```
 */
export function defineServices<const S extends Services>(services: S): ServiceSet<S> {
  if (typeof services !== 'object' || services === null) throw new TypeError('services must be an object of dependencies')
  const names = Object.keys(services)
  const dependencies = names.map((name) => {
    const dependency = services[name]
    if (!isDependency(dependency)) {
      throw new TypeError(`services.${name} is not a dependency: declare it with ${factories()}`)
    }
    return dependency
  })
  const count = names.length

  // The plans of the resolver last used (almost always the only one), so a warm call looks nothing up.
  let lastResolver: Resolver | undefined
  let planned: PlannedResolver | undefined
  let plans: readonly Plan[] = []
  // Set when the resolver has a metrics sink: the warm path then counts its hits in one value.
  let counting: Telemetry | undefined
  // The warm path: the services object handed over last time, the views it was built from, and
  // until when it holds (the first expiry among its entries, while the cache's generation is unchanged).
  let snapshot: ResolvedServices<S> | undefined
  let validUntil = Number.NEGATIVE_INFINITY
  let seenGeneration = -1
  const views: Array<View | undefined | NotReady> = new Array(count).fill(NOT_READY)
  // Counts invocations: a dependency with several instances picks one the first time the
  // handler reads it in an invocation, so a handler pays only for what it touches.
  let invocation = 0

  /** The services object for `views`: plain values, and a getter that picks for a dependency with several instances. */
  const build = (): ResolvedServices<S> => {
    const object: Record<string, unknown> = {}
    for (let i = 0; i < count; i++) {
      const view = views[i] as View | undefined
      const name = names[i] as string
      if (view === undefined || view.values.length === 1) {
        Object.defineProperty(object, name, { value: view?.values[0], enumerable: true })
        continue
      }
      const strategy = (plans[i] as Plan).pick
      let pickedIn = 0
      let picked: unknown
      Object.defineProperty(object, name, {
        enumerable: true,
        get: () => {
          if (pickedIn !== invocation) {
            picked = pick(strategy, view)
            pickedIn = invocation
          }
          return picked
        },
      })
    }
    return Object.freeze(object) as ResolvedServices<S>
  }

  /** Looks at every entry (some expired, or something changed in the cache): the object again, rebuilt if a view changed. */
  const refresh = (current: PlannedResolver, now: number): ResolvedServices<S> | NotReady => {
    // Read first: a change while the entries are looked at makes the next call look again.
    const generation = cacheGeneration()
    let changed = snapshot === undefined
    let until = Number.POSITIVE_INFINITY
    let fresh = 0
    for (let i = 0; i < count; i++) {
      const plan = plans[i] as Plan
      const view = current.viewPlanned(plan, now)
      if (view === NOT_READY) {
        snapshot = undefined
        return NOT_READY
      }
      if (view !== views[i]) {
        views[i] = view
        changed = true
      }
      const freshUntil = current.freshUntil(plan)
      if (now <= freshUntil) fresh += 1
      until = Math.min(until, freshUntil)
    }
    // The stale ones were counted as such by viewPlanned.
    if (counting !== undefined && fresh > 0) counting.hits(fresh)
    // Not `changed` alone: the loop runs user code (schemas, a registry, the logger) that may call this set again and clear `snapshot`.
    if (changed || snapshot === undefined) snapshot = build()
    validUntil = until
    seenGeneration = generation
    return snapshot
  }

  return {
    services,
    resolveSync(resolver) {
      if (resolver !== lastResolver) {
        lastResolver = resolver
        planned = plannedResolver(resolver)
        const current = planned
        plans = current ? dependencies.map((dependency) => current.plan(dependency)) : []
        counting = current?.telemetry.metrics === undefined ? undefined : current.telemetry
        snapshot = undefined
        views.fill(NOT_READY)
      }
      if (planned === undefined) {
        const out: Record<string, unknown> = {}
        for (let i = 0; i < count; i++) {
          const value = resolver.resolveSync(dependencies[i] as AnyDependency)
          if (value === NOT_READY) return NOT_READY
          out[names[i] as string] = value
        }
        return out as ResolvedServices<S>
      }
      invocation += 1
      // One clock reading and two comparisons while nothing changed: the same object as last time.
      const now = Date.now()
      if (snapshot !== undefined && now <= validUntil && cacheGeneration() === seenGeneration) {
        // One value for every dependency served, whatever their number (O(1), allocation-free).
        if (counting !== undefined) counting.hits(count)
        return snapshot
      }
      return refresh(planned, now)
    },
    async resolve(resolver, options) {
      const settled = await Promise.allSettled(dependencies.map((dependency) => resolver.resolve(dependency, options)))
      const out: Record<string, unknown> = {}
      const failures: DependencyFailure[] = []
      settled.forEach((result, i) => {
        const name = names[i] as string
        if (result.status === 'fulfilled') {
          out[name] = result.value
          return
        }
        const error = result.reason instanceof Error ? result.reason : new Error(String(result.reason))
        const label = (dependencies[i] as AnyDependency).label
        failures.push({ name, label, address: label, reason: error.message, error })
      })
      if (failures.length > 0) throw new DependencyResolutionError(failures)
      return out as ResolvedServices<S>
    },
    prefetch(resolver) {
      return resolver.prefetch(dependencies)
    },
  }
}
