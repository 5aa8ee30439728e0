import type { ServiceDiscoveryClient, ServiceDiscoveryClientConfig } from '@aws-sdk/client-servicediscovery'
import { type CallClients, ClientPool, sharedClientPool } from '../calls/clients.js'
import type { TargetPolicy } from '../calls/target.js'
import type { AnyDependency, BindContext, Dependency, PickStrategy } from '../dependency/dependency.js'
import {
  CloudMapMiddyError,
  DiscoveryError,
  describeError,
  InstanceNotFoundError,
  NoInstancesError,
  ServiceNotFoundError,
} from '../errors.js'
import { consoleLogger, type Logger } from '../logger.js'
import { cloudMapRegistry } from '../registry/cloud-map.js'
import type { Discovery, DiscoveryQuery, HealthStatusFilter, Registry } from '../registry/types.js'
import { type CacheEntry, cacheGeneration, cacheOf, evict, track } from './cache.js'
import { isTransient } from '../transient.js'

/** Options of {@link createResolver}. Every field is optional. */
export interface ResolverOptions {
  /** Where instances come from. Default: Cloud Map, through `client` or `clientConfig`. */
  readonly registry?: Registry
  /** A Cloud Map client to use (ignored when `registry` is given). */
  readonly client?: ServiceDiscoveryClient
  /** Configuration of a new Cloud Map client (ignored when `registry` or `client` is given). */
  readonly clientConfig?: ServiceDiscoveryClientConfig
  /** How long fetched instances are fresh. Default 60 000, or env `CLOUDMAP_MIDDY_TTL_MS`. */
  readonly ttlMs?: number
  /**
   * How old instances may be and still be served, while a refresh runs or when it
   * failed transiently. Default 900 000 (15 min), or env `CLOUDMAP_MIDDY_MAX_STALE_MS`;
   * never less than `ttlMs`.
   */
  readonly maxStaleMs?: number
  /**
   * How an expired entry is revalidated: `full` calls DiscoverInstances; `revision`
   * first asks DiscoverInstancesRevision and refetches only when it changed (it does
   * not change on health changes). Default `full`.
   */
  readonly revalidate?: 'full' | 'revision'
  /** Default `HEALTHY_OR_ELSE_ALL`. */
  readonly healthStatus?: HealthStatusFilter
  /** Default `random`. */
  readonly pick?: PickStrategy
  /** Bound on one Cloud Map request, retries included. Default 3 000 ms. */
  readonly requestTimeoutMs?: number
  /** Default: `console`. */
  readonly logger?: Logger
  /** SDK clients for the call helpers; default: created lazily, once per process and region. */
  readonly clients?: CallClients
  /** Account ids a registered ARN may point to; a target elsewhere is refused before any call. */
  readonly allowedAccounts?: readonly string[]
  /** Regions a registered ARN may point to; a target elsewhere is refused before any call. */
  readonly allowedRegions?: readonly string[]
}

/** The options a resolver runs with, defaults applied. */
export interface ResolverSettings {
  readonly registry: Registry
  readonly ttlMs: number
  readonly maxStaleMs: number
  readonly revalidate: 'full' | 'revision'
  readonly healthStatus: HealthStatusFilter
  readonly pick: PickStrategy
  readonly requestTimeoutMs: number
  readonly logger: Logger
  readonly clients: ClientPool
  readonly policy: TargetPolicy
}

/** Per-call options of `resolve`. */
export interface ResolveOptions {
  /** Stops waiting (not the shared request) when aborted, e.g. when the Lambda runs out of time. */
  readonly signal?: AbortSignal
}

/** Returned by `resolveSync` when the value cannot be had without waiting. */
export const NOT_READY: unique symbol = Symbol('cloudmap-middy.not-ready')
export type NotReady = typeof NOT_READY

/**
 * Resolves dependencies through a registry, with the process-wide cache.
 *
 * @example
 * ```ts
 * const resolver = createResolver({ ttlMs: 30_000 })
 * const config = await resolver.resolve(instance('prod.config->flags'))
 * ```
 */
export interface Resolver {
  readonly settings: ResolverSettings
  /** Resolves one dependency: from cache when it can, else from the registry. */
  resolve<Value>(dependency: Dependency<Value>, options?: ResolveOptions): Promise<Value>
  /**
   * The value when it can be had without waiting: fresh, or stale within `maxStaleMs`
   * (a refresh is then started in the background). `NOT_READY` otherwise, and then
   * `resolve()` gives the value or the error. Never throws.
   */
  resolveSync<Value>(dependency: Dependency<Value>): Value | NotReady
  /** Resolves all of them in parallel and never rejects: warms the cache at init. */
  prefetch(dependencies: Iterable<AnyDependency>): Promise<void>
}

interface View {
  readonly values: readonly unknown[]
  readonly error?: Error
  cursor: number
}

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
}

/** Answers of a registry that said the service does not exist (kept for a TTL like any other). */
const notRegistered = new WeakSet<Discovery>()

const DEFAULT_TTL_MS = 60_000
const DEFAULT_MAX_STALE_MS = 900_000
const DEFAULT_REQUEST_TIMEOUT_MS = 3_000
const MAX_BACKOFF_MS = 30_000

/** An option in milliseconds, checked as the environment's values are. */
function milliseconds(name: string, value: number | undefined): number | undefined {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0))
    throw new RangeError(`${name}=${value} is not a number of milliseconds`)
  return value
}

function fromEnv(name: string): number | undefined {
  const text = process.env[name]
  if (text === undefined || text === '') return undefined
  const value = Number(text)
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name}="${text}" is not a number of milliseconds`)
  }
  return value
}

function sortedRecord(record: Readonly<Record<string, string>> | undefined): string {
  if (!record) return ''
  return JSON.stringify(
    Object.keys(record)
      .sort()
      .map((key) => [key, record[key]]),
  )
}

/** True for the errors that mean "nothing is registered there". */
function isMissing(error: unknown): boolean {
  return error instanceof ServiceNotFoundError || error instanceof InstanceNotFoundError || error instanceof NoInstancesError
}

function waitFor<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, { once: true })
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort)
        resolve(value)
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort)
        reject(error)
      },
    )
  })
}

class CachingResolver implements Resolver, PlannedResolver {
  readonly settings: ResolverSettings
  readonly #cache: Map<string, CacheEntry>
  readonly #plans = new WeakMap<AnyDependency, Plan>()
  readonly #views = new WeakMap<Discovery, Map<AnyDependency, View | Promise<View>>>()
  readonly #contexts = new WeakMap<AnyDependency, BindContext>()
  /** Set only when the logger has `debug`, so the warm path pays one check otherwise. */
  readonly #debug: ((message: string) => void) | undefined

  constructor(settings: ResolverSettings) {
    this.settings = settings
    const { logger } = settings
    this.#debug = logger.debug ? (message) => logger.debug?.(message) : undefined
    this.#cache = cacheOf(settings.registry)
  }

  resolveSync<Value>(dependency: Dependency<Value>): Value | NotReady {
    return this.resolvePlanned(this.plan(dependency), Date.now()) as Value | NotReady
  }

  /** @internal */
  resolvePlanned(plan: Plan, now: number): unknown {
    let entry = plan.entry
    const generation = cacheGeneration()
    if (entry === undefined || plan.generation !== generation) {
      // First use, or an entry left a cache since: the one kept may be gone.
      entry = this.#cache.get(plan.key)
      plan.entry = entry
      plan.generation = generation
      if (entry === undefined) return NOT_READY
    }
    const data = entry.data
    if (data === undefined) return NOT_READY
    const { dependency } = plan
    const age = now - entry.fetchedAt
    if (age > this.settings.ttlMs) {
      if (age > this.settings.maxStaleMs) return NOT_READY
      this.#debug?.(`cloudmap-middy: stale ${dependency.label} (${age} ms old), serving it while it refreshes`)
      this.#revalidate(entry, now)
    } else this.#debug?.(`cloudmap-middy: cache hit ${dependency.label} (${age} ms old)`)
    let view = plan.view
    if (plan.data !== data || view === undefined) {
      const built = this.#view(dependency, data)
      if (built instanceof Promise) return NOT_READY
      plan.data = data
      plan.view = view = built
    }
    if (view.error) return dependency.optional && isMissing(view.error) ? undefined : NOT_READY
    return pick(plan.pick, view)
  }

  async resolve<Value>(dependency: Dependency<Value>, options: ResolveOptions = {}): Promise<Value> {
    const ready = this.resolveSync(dependency)
    if (ready !== NOT_READY) return ready
    this.#debug?.(`cloudmap-middy: cache miss ${dependency.label}`)
    try {
      const data = await this.#load(dependency, options.signal)
      const view = await this.#view(dependency, data)
      if (view.error) throw view.error
      return pick(this.plan(dependency).pick, view) as Value
    } catch (error) {
      const failure = this.#failure(dependency, error)
      if (dependency.optional && isMissing(failure)) return undefined as Value
      throw failure
    }
  }

  async prefetch(dependencies: Iterable<AnyDependency>): Promise<void> {
    await Promise.allSettled(Array.from(dependencies, (dependency) => this.resolve(dependency)))
  }

  /** @internal */
  plan(dependency: AnyDependency): Plan {
    let plan = this.#plans.get(dependency)
    if (!plan) {
      const { namespace, service, account } = dependency.address
      const { queryParameters, optionalParameters, maxResults } = dependency.discovery
      const healthStatus = dependency.discovery.healthStatus ?? this.settings.healthStatus
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
      const strategy = dependency.discovery.pick ?? this.settings.pick
      plan = { dependency, key, query, pick: strategy, entry: undefined, generation: 0, data: undefined, view: undefined }
      this.#plans.set(dependency, plan)
    }
    return plan
  }

  /** Instances young enough to serve, waiting for the registry only when there are none. */
  async #load(dependency: AnyDependency, signal: AbortSignal | undefined): Promise<Discovery> {
    const plan = this.plan(dependency)
    let entry = this.#cache.get(plan.key)
    if (!entry) {
      entry = { key: plan.key, query: plan.query, fetchedAt: 0, failures: 0, retryAt: 0 }
      this.#cache.set(plan.key, entry)
    }
    const now = Date.now()
    if (entry.data && now - entry.fetchedAt <= this.settings.maxStaleMs) {
      if (now - entry.fetchedAt > this.settings.ttlMs) this.#revalidate(entry, now)
      return entry.data
    }
    await waitFor(this.#refresh(entry), signal)
    // A successful refresh always leaves data behind.
    return entry.data as Discovery
  }

  /** Starts a background refresh of an expired entry unless one runs or backoff holds it. */
  #revalidate(entry: CacheEntry, now: number): void {
    if (entry.flight || now < entry.retryAt) return
    this.#refresh(entry).catch(() => {
      // Handled in #fetch: stale is served, or the entry was evicted.
    })
  }

  #refresh(entry: CacheEntry): Promise<void> {
    if (entry.flight) return entry.flight
    const flight = this.#fetch(entry).finally(() => {
      entry.flight = undefined
    })
    entry.flight = flight
    track(flight)
    return flight
  }

  async #fetch(entry: CacheEntry): Promise<void> {
    const { registry, requestTimeoutMs, maxStaleMs, logger } = this.settings
    const signal = AbortSignal.timeout(requestTimeoutMs)
    const previous = entry.data
    try {
      if (this.settings.revalidate === 'revision' && previous?.revision !== undefined) {
        const revision = await waitFor(registry.revision(entry.query, { signal }), signal)
        if (revision === previous.revision) {
          entry.fetchedAt = Date.now()
          entry.failures = 0
          return
        }
      }
      // The SDK does not always stop at the signal (a retry's backoff sleeps through it): bound the wait here.
      const started = this.#debug ? performance.now() : 0
      const data = await waitFor(registry.discover(entry.query, { signal }), signal)
      this.#debug?.(
        `cloudmap-middy: DiscoverInstances ${describeQuery(entry.query)} -> ${data.instances.map((i) => i.instanceId).join(', ') || 'no instances'} in ${Math.round(performance.now() - started)} ms`,
      )
      entry.data = data
      entry.fetchedAt = Date.now()
      entry.failures = 0
      entry.retryAt = 0
      if (previous) this.#rebuildViews(previous, data)
    } catch (error) {
      const now = Date.now()
      if (error instanceof ServiceNotFoundError) {
        // The instances go, the answer stays for a TTL: a dependency on a service that is not
        // there (an optional one, typically) costs one call per TTL, not one per invocation.
        const missing: Discovery = { instances: [] }
        notRegistered.add(missing)
        entry.data = missing
        entry.fetchedAt = now
        entry.failures = 0
        entry.retryAt = 0
        if (previous && previous.instances.length > 0)
          logger.warn(`cloudmap-middy: evicted "${describeQuery(entry.query)}": it is no longer registered`)
        throw error
      }
      if (previous && isTransient(error) && now - entry.fetchedAt <= maxStaleMs) {
        entry.failures += 1
        entry.retryAt = now + Math.min(1000 * 2 ** (entry.failures - 1), MAX_BACKOFF_MS)
        logger.warn(
          `cloudmap-middy: serving stale instances of "${describeQuery(entry.query)}" (${Math.round((now - entry.fetchedAt) / 1000)} s old) after a failed refresh: ${describeError(error)}`,
        )
      } else if (evict(this.#cache, entry) && previous) {
        logger.warn(`cloudmap-middy: evicted "${describeQuery(entry.query)}" after: ${describeError(error)}`)
      }
      throw error
    }
  }

  /** Validates the new instance set now, for the dependencies that used the old one, so the next invocation finds it ready. */
  #rebuildViews(previous: Discovery, data: Discovery): void {
    const views = this.#views.get(previous)
    if (!views) return
    for (const dependency of views.keys()) {
      const view = this.#view(dependency, data)
      if (view instanceof Promise) view.catch(() => undefined)
    }
  }

  #context(dependency: AnyDependency): BindContext {
    let context = this.#contexts.get(dependency)
    if (!context) {
      context = { label: dependency.label, logger: this.settings.logger, clients: this.settings.clients, policy: this.settings.policy }
      this.#contexts.set(dependency, context)
    }
    return context
  }

  #view(dependency: AnyDependency, data: Discovery): View | Promise<View> {
    let views = this.#views.get(data)
    if (!views) {
      views = new Map()
      this.#views.set(data, views)
    }
    let view = views.get(dependency)
    if (!view) {
      view = this.#buildView(dependency, data)
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

  #buildView(dependency: AnyDependency, data: Discovery): View | Promise<View> {
    const { label } = dependency
    if (notRegistered.has(data)) return { values: [], error: new ServiceNotFoundError(label), cursor: 0 }
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
    const context = this.#context(dependency)
    const outcomes = instances.map((registered): unknown => {
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
        const id = instances[index]?.instanceId
        this.settings.logger.warn(`cloudmap-middy: dropped instance "${id}" of "${label}": ${outcome.error.message}`)
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

  /** The error a caller sees: ours as they are (named after the dependency), anything else a DiscoveryError. */
  #failure(dependency: AnyDependency, error: unknown): Error {
    if (error instanceof ServiceNotFoundError && error.address !== dependency.label) {
      return new ServiceNotFoundError(dependency.label, { cause: error })
    }
    if (error instanceof CloudMapMiddyError) return error
    return new DiscoveryError(dependency.label, error, isTransient(error))
  }
}

function pick(strategy: PickStrategy, view: View): unknown {
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

type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: Error }

function ok(value: unknown): Outcome {
  return { ok: true, value }
}

function failed(error: unknown): Outcome {
  return { ok: false, error: error instanceof Error ? error : new Error(String(error)) }
}

function describeQuery(query: DiscoveryQuery): string {
  return `${query.namespace}.${query.service}`
}

/**
 * Creates a resolver. Resolvers on the same registry share one process-wide cache
 * (the default Cloud Map registry is one per process), so N resolvers or N
 * dependencies on one service cost one DiscoverInstances per TTL.
 *
 * @example
 * ```ts
 * import { createResolver, instance } from '@cloudmap-middy/core'
 * import { z } from 'zod'
 *
 * const resolver = createResolver({ ttlMs: 30_000, pick: 'round-robin' })
 * const flags = instance('prod.config->flags', { attributes: z.object({ beta: z.enum(['on', 'off']) }) })
 * const { attributes } = await resolver.resolve(flags)
 * ```
 */
export function createResolver(options: ResolverOptions = {}): Resolver {
  const registry =
    options.registry ??
    (options.client
      ? cloudMapRegistry({ client: options.client })
      : options.clientConfig
        ? cloudMapRegistry({ clientConfig: options.clientConfig })
        : cloudMapRegistry())
  const ttlMs = milliseconds('ttlMs', options.ttlMs) ?? fromEnv('CLOUDMAP_MIDDY_TTL_MS') ?? DEFAULT_TTL_MS
  const maxStaleMs = Math.max(
    ttlMs,
    milliseconds('maxStaleMs', options.maxStaleMs) ?? fromEnv('CLOUDMAP_MIDDY_MAX_STALE_MS') ?? DEFAULT_MAX_STALE_MS,
  )
  return new CachingResolver({
    registry,
    ttlMs,
    maxStaleMs,
    revalidate: options.revalidate ?? 'full',
    healthStatus: options.healthStatus ?? 'HEALTHY_OR_ELSE_ALL',
    pick: options.pick ?? 'random',
    requestTimeoutMs: milliseconds('requestTimeoutMs', options.requestTimeoutMs) ?? DEFAULT_REQUEST_TIMEOUT_MS,
    logger: options.logger ?? consoleLogger(),
    clients: options.clients ? new ClientPool(options.clients) : sharedClientPool(),
    policy: {
      ...(options.allowedAccounts ? { allowedAccounts: new Set(options.allowedAccounts) } : {}),
      ...(options.allowedRegions ? { allowedRegions: new Set(options.allowedRegions) } : {}),
    },
  })
}

/**
 * The warm path of `resolver` when `createResolver` made it, else `undefined` (any other
 * `Resolver` is used through its public methods).
 *
 * @internal
 */
export function plannedResolver(resolver: Resolver): PlannedResolver | undefined {
  return resolver instanceof CachingResolver ? resolver : undefined
}

let defaultResolver: Resolver | undefined

/**
 * The resolver shared by the whole process (Cloud Map, default options), created
 * on first use. The middleware uses it unless given one.
 *
 * @example
 * ```ts
 * const jobs = await getDefaultResolver().resolve(lambda('prod.scheduler->get-job'))
 * ```
 */
export function getDefaultResolver(): Resolver {
  defaultResolver ??= createResolver()
  return defaultResolver
}
