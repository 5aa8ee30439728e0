import { AttributeValidationError, InstanceNotFoundError, NoInstancesError, notRegisteredAt, ServiceNotFoundError } from '../errors.js'
import type { AnyDependency, BindContext, PickStrategy } from '../types/dependency.js'
import type { Discovery, RegisteredInstance } from '../types/registry.js'
import type { ResolverSettings } from '../types/resolver.js'
import { notRegisteredError } from './cache.js'
import type { Telemetry } from './telemetry.js'

/**
 * What one dependency makes of one instance set: its bound values, or the error that
 * resolving it gives. Built once per instance set and dependency.
 *
 * @internal
 */
export interface View {
  readonly values: readonly unknown[]
  readonly error?: Error
  cursor: number
}

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Error }

function ok(value: unknown): Outcome {
  return { ok: true, value }
}

function failed(error: unknown): Outcome {
  return { ok: false, error: error instanceof Error ? error : new Error(String(error)) }
}

/**
 * True for the errors that mean "nothing is registered there".
 *
 * @internal
 */
export function isMissing(error: unknown): boolean {
  return error instanceof ServiceNotFoundError || error instanceof InstanceNotFoundError || error instanceof NoInstancesError
}

/**
 * One of the view's values, by the strategy.
 *
 * @internal
 */
export function pick(strategy: PickStrategy, view: View): unknown {
  const { values } = view
  if (values.length === 1) return values[0]
  switch (strategy) {
    case 'first':
      return values[0]
    case 'round-robin': {
      const value = values[view.cursor % values.length]
      view.cursor = (view.cursor + 1) % values.length
      return value
    }
    default:
      return values[Math.floor(Math.random() * values.length)]
  }
}

/**
 * The ids that more than one instance of an answer carries, with how many carry each. Cloud
 * Map never answers that (an id names one instance of a service): a registry that does gives
 * invalid data, and no copy can be told to be the instance an address pins.
 */
function duplicateIds(instances: readonly RegisteredInstance[]): ReadonlyMap<string, number> | undefined {
  const seen = new Set<string>()
  let counts: Map<string, number> | undefined
  for (const { instanceId } of instances) {
    if (!seen.has(instanceId)) seen.add(instanceId)
    else {
      counts ??= new Map()
      counts.set(instanceId, (counts.get(instanceId) ?? 1) + 1)
    }
  }
  return counts
}

/**
 * A resolver's views, by instance set then dependency: attributes are validated once
 * per fetched set, and a set nobody holds any more takes its views with it.
 *
 * @internal
 */
export class Views {
  readonly #settings: ResolverSettings
  readonly #telemetry: Telemetry
  readonly #views = new WeakMap<Discovery, Map<AnyDependency, View | Promise<View>>>()
  readonly #renew: ((dependency: AnyDependency, served: Discovery) => Promise<unknown>) | undefined

  /** `renew` resolves a dependency again after a refresh of the entry that served `served` (see `BindContext.renew`). */
  constructor(
    settings: ResolverSettings,
    telemetry: Telemetry,
    renew?: (dependency: AnyDependency, served: Discovery) => Promise<unknown>,
  ) {
    this.#settings = settings
    this.#telemetry = telemetry
    this.#renew = renew
  }

  /** The view of `data` for `dependency`; a promise while an asynchronous validation runs. */
  of(dependency: AnyDependency, data: Discovery): View | Promise<View> {
    let views = this.#views.get(data)
    if (!views) {
      views = new Map()
      this.#views.set(data, views)
    }
    let view = views.get(dependency)
    if (!view) {
      view = this.#build(dependency, data)
      views.set(dependency, view)
      if (view instanceof Promise) {
        const settled = views
        view.then(
          (built) => settled.set(dependency, built),
          () => settled.delete(dependency),
        )
      }
    }
    return view
  }

  /** Validates the new instance set now, for the dependencies that used the old one, so the next invocation finds it ready. */
  rebuild(previous: Discovery, data: Discovery): void {
    const views = this.#views.get(previous)
    if (!views) return
    for (const dependency of views.keys()) {
      const view = this.of(dependency, data)
      if (view instanceof Promise) view.catch(() => undefined)
    }
  }

  #build(dependency: AnyDependency, data: Discovery): View | Promise<View> {
    const { label } = dependency
    const missing = notRegisteredError(data)
    if (missing) return { values: [], error: notRegisteredAt(missing, label), cursor: 0 }
    const pinned = dependency.address.instance
    const instances = pinned === undefined ? data.instances : data.instances.filter((i) => i.instanceId === pinned)
    if (instances.length === 0) {
      const error =
        pinned === undefined
          ? new NoInstancesError(label)
          : new InstanceNotFoundError(
              label,
              pinned,
              data.instances.map((i) => i.instanceId),
            )
      return { values: [], error, cursor: 0 }
    }
    // Made per build (once per instance set), not kept in a table: it would cost more than it saves.
    const { logger, clients, policy, awsClientCapture } = this.#settings
    const renew = this.#renew
    const context: BindContext = {
      label,
      address: dependency.address,
      logger,
      clients,
      policy,
      awsClientCapture,
      renew: renew && (() => renew(dependency, data)),
    }
    // Every copy of a duplicated id is invalid, dropped with a warning like any invalid instance.
    const duplicates = duplicateIds(data.instances)
    const outcomes = instances.map((registered): unknown => {
      const copies = duplicates?.get(registered.instanceId)
      if (copies !== undefined) {
        const message = `the registry answered ${copies} instances with this id, which names one instance`
        return failed(new AttributeValidationError(label, registered.instanceId, [{ path: ['instanceId'], message }]))
      }
      try {
        const value = dependency.bind(registered, context)
        return value instanceof Promise ? value.then(ok, failed) : ok(value)
      } catch (error) {
        return failed(error)
      }
    })
    const finish = (settled: readonly Outcome[]): View => {
      const values: unknown[] = []
      const errors: Error[] = []
      settled.forEach((outcome, index) => {
        if (outcome.ok) {
          values.push(outcome.value)
          return
        }
        errors.push(outcome.error)
        this.#telemetry.dropped(label, instances[index]?.instanceId ?? '', outcome.error)
      })
      const [first] = errors
      if (first && values.length === 0) return { values, error: first, cursor: 0 }
      dependency.link?.(values)
      return { values, cursor: 0 }
    }
    return outcomes.some((o) => o instanceof Promise)
      ? Promise.all(outcomes as Array<Outcome | Promise<Outcome>>).then(finish)
      : finish(outcomes as Outcome[])
  }
}
