import type { AnyDependency, Resolved } from '../dependency/dependency.js'
import { type DependencyFailure, DependencyResolutionError } from '../errors.js'
import { NOT_READY, type NotReady, type Plan, type PlannedResolver } from './plans.js'
import { plannedResolver, type ResolveOptions, type Resolver } from './resolver.js'

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
      throw new TypeError(`services.${name} is not a dependency: declare it with instance(), lambda(), queue(), topic() or http()`)
    }
    return dependency
  })
  const count = names.length

  // The plans of the resolver last used (almost always the only one), so a warm call looks nothing up.
  let lastResolver: Resolver | undefined
  let planned: PlannedResolver | undefined
  let plans: readonly Plan[] = []
  // The values last resolved, by position and by name: a warm call copies `last` (one allocation,
  // no per-name store) and writes only the names whose value changed (a pick among several instances).
  const previous: unknown[] = new Array(count).fill(NOT_READY)
  const last: Record<string, unknown> = {}
  for (const name of names) Object.defineProperty(last, name, { value: undefined, enumerable: true, writable: true, configurable: true })

  return {
    services,
    resolveSync(resolver) {
      if (resolver !== lastResolver) {
        lastResolver = resolver
        planned = plannedResolver(resolver)
        const current = planned
        plans = current ? dependencies.map((dependency) => current.plan(dependency)) : []
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
      // One clock reading for the whole set: the entries' ages are taken at the same instant.
      const now = Date.now()
      for (let i = 0; i < count; i++) {
        const value = planned.resolvePlanned(plans[i] as Plan, now)
        if (value === NOT_READY) return NOT_READY
        if (value !== previous[i]) {
          previous[i] = value
          last[names[i] as string] = value
        }
      }
      return { ...last } as ResolvedServices<S>
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
        failures.push({ name, address: (dependencies[i] as AnyDependency).label, reason: error.message, error })
      })
      if (failures.length > 0) throw new DependencyResolutionError(failures)
      return out as ResolvedServices<S>
    },
    prefetch(resolver) {
      return resolver.prefetch(dependencies)
    },
  }
}
