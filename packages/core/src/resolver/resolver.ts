import type { ServiceDiscoveryClient, ServiceDiscoveryClientConfig } from '@aws-sdk/client-servicediscovery'
import { describeAddress } from '../address/address.js'
import { recordDeclaration } from '../declarations.js'
import { warmDependency } from '../dependency/dependency.js'
import { CloudMapMiddyError, DiscoveryError, notRegisteredAt, ServiceNotFoundError } from '../errors.js'
import { consoleLogger, type Logger } from '../logger.js'
import type { MetricsSink } from '../metrics.js'
import { createTargetPolicy } from '../policy/policy.js'
import { cloudMapRegistry } from '../registry/cloud-map.js'
import { readSnapshot, SNAPSHOT_ENV } from '../snapshot.js'
import { describeBadTimeout, isTimeout } from '../timers.js'
import { isTransient } from '../transient.js'
import type { AwsClientCapture, CallClients } from '../types/calls.js'
import type { AnyDependency, Dependency, PickStrategy } from '../types/dependency.js'
import type { Discovery, DiscoveryQuery, HealthStatusFilter, Registry } from '../types/registry.js'
import { NOT_READY, type NotReady, type ResolveOptions, type Resolver, type ResolverSettings } from '../types/resolver.js'
import { cacheOf, requestSent } from './cache.js'
import { type PlannedResolver, Planner } from './plans.js'
import { Refresher } from './refresh.js'
import { snapshotSeed } from './snapshot.js'
import { Telemetry } from './telemetry.js'
import { isMissing, pick, Views } from './views.js'

/** Options of {@link createResolver}. Every field is optional. */
export interface ResolverOptions {
  /** Where instances come from. Default: Cloud Map, through `client` or `clientConfig`. */
  readonly registry?: Registry
  /** A Cloud Map client to use (ignored when `registry` is given). */
  readonly client?: ServiceDiscoveryClient
  /**
   * Configuration of a Cloud Map client (ignored when `registry` or `client` is given).
   * Resolvers given equal configurations share one client and one cache: see `cloudMapRegistry`
   * for what counts as equal (plain values by value, functions and class instances by identity).
   */
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
  /**
   * Bound on one Cloud Map request on the wire: from when the SDK hands it to its HTTP handler
   * to the answer (the SDK's own retries included, when its client makes any: the client the
   * resolver creates makes one attempt, see `createCloudMapClient`). The client's setup before
   * that (credentials, endpoint rules, modules the SDK loads on its first request: slow on a
   * CPU-starved cold start) is bounded apart, by 10 s or this bound when longer. A registry
   * other than Cloud Map's that does not report when it sends (`RegistryCallOptions.onSent`)
   * is timed from the call. A request that takes longer is abandoned and, with nothing cached
   * to serve, retried. Default 1 000 ms: DiscoverInstances answers in tens of milliseconds, and
   * a lost request then costs a second, not a third, of a few seconds of budget. It also bounds
   * how long an invocation waits at its end for a refresh under way.
   */
  readonly requestTimeoutMs?: number
  /**
   * How long a resolution keeps retrying a transient failure (throttling, network, 5xx,
   * timeout) when nothing is cached to serve: after each failure it waits a jittered,
   * exponential backoff (50–100 ms, doubling to 0.5–1 s) shared by every caller of the key, so
   * they make one request at a time. Retries end when the caller's `signal` aborts (the
   * middleware's is bounded by the Lambda's remaining time) or this long after the
   * resolution started, whichever comes first; a prefetch at init has no signal, so this is
   * its bound. So a cold start that cannot reach Cloud Map fails within this time, not at the
   * end of the invocation. A non-transient failure (AccessDenied, ...) is not retried: it is
   * remembered for the key and given to its callers without a request for 1 s, doubling per
   * failure to 30 s. `0` turns retries off: each resolution makes one attempt of its own, or
   * shares one under way. Each failed attempt is logged at debug (address, attempt, error name,
   * the wait before the next one), and a caller giving up at warn.
   *
   * @default 3000
   */
  readonly retryBudgetMs?: number
  /**
   * Where log lines go: a stable message and its facts as fields (`logger.warn(message, { address,
   * ... })`), which a Powertools `Logger` merges into its JSON. Default: `console` (debug lines with
   * env `CLOUDMAP_MIDDY_LOG=debug`).
   */
  readonly logger?: Logger
  /**
   * Where the resolver counts cache hits, misses, stale answers served, refresh failures,
   * throttles and discovery latency (names and units: `METRICS`). A Powertools `Metrics` fits;
   * the resolver never flushes it (the handler's `logMetrics` middleware does) and adds no
   * dimension. Default: none.
   */
  readonly metrics?: MetricsSink
  /** SDK clients for the call helpers; default: created lazily, once per process and region. */
  readonly clients?: CallClients
  /**
   * Traces the requests of every SDK client the resolver creates: the Cloud Map client (that
   * of the process-wide registry, or of `clientConfig`) and the call helpers' clients. Injected
   * clients (`client`, `clients`) are used as given. Powertools Tracer's
   * `tracer.captureAWSv3Client.bind(tracer)` and the X-Ray SDK's `captureAWSv3Client` fit.
   *
   * In Lambda, a request made outside an invocation (the prefetch at init: there is no trace id
   * yet) goes through an uncaptured client, with `X-Amzn-Trace-Id: Sampled=0`, so that neither
   * the capture nor the X-Ray SDK's `https` patch logs `Missing AWS Lambda trace data for
   * X-Ray`; requests made in an invocation are captured (DiscoverInstances under its trace). The
   * capture does not count as a client of the resolver's own: `useStaticRegistry()` still takes
   * it over, and it shares the cache of resolvers without a capture (the answers are the same).
   * Each capture function gets clients of its own: create it once (`.bind()` makes a new one).
   *
   * @example
   * ```ts
   * import { Tracer } from '@aws-lambda-powertools/tracer'
   *
   * const tracer = new Tracer({ serviceName: 'orders' })
   * const resolver = createResolver({ awsClientCapture: tracer.captureAWSv3Client.bind(tracer) })
   * ```
   */
  readonly awsClientCapture?: AwsClientCapture
  /** Account ids a registered ARN or queue URL may point to; a target elsewhere is refused before any call. */
  readonly allowedAccounts?: readonly string[]
  /** Regions a registered ARN or queue URL may point to; a target elsewhere is refused before any call. */
  readonly allowedRegions?: readonly string[]
  /**
   * Hosts a registered HTTP base URL may point to: names, `*.suffix` wildcards, IP addresses and
   * CIDR blocks (see `TargetPolicyOptions`). Link-local and instance-metadata addresses are refused
   * even without it.
   */
  readonly allowedHosts?: readonly string[]
  /**
   * Whether the resolver's Cloud Map cache starts from the deploy-time snapshot in
   * `CLOUDMAP_MIDDY_SNAPSHOT` (see docs/snapshot-format.md), served as a stale answer and
   * refreshed on first use. Only resolvers reading Cloud Map (no `registry`) read it; turn it
   * off for a client of another region or account than the function's.
   *
   * @default true
   */
  readonly snapshot?: boolean
}

const DEFAULT_TTL_MS = 60_000
const DEFAULT_MAX_STALE_MS = 900_000
const DEFAULT_REQUEST_TIMEOUT_MS = 1_000
const DEFAULT_RETRY_BUDGET_MS = 3_000

/** An option (or, `shown` given, an environment variable) in milliseconds: a finite number, 0 or more. */
function milliseconds(name: string, value: number | undefined, shown: unknown = value): number | undefined {
  if (value !== undefined && !(Number.isFinite(value) && value >= 0))
    throw new RangeError(`${name}=${shown} is not a number of milliseconds`)
  return value
}

/** A timer, above 0 (0 would time every request out at once) and at most MAX_DELAY_MS (beyond, it fires at once). */
function requestTimeout(value: number | undefined): number {
  if (value === undefined) return DEFAULT_REQUEST_TIMEOUT_MS
  if (!isTimeout(value)) throw new RangeError(`requestTimeoutMs: ${describeBadTimeout(value)}`)
  return value
}

function fromEnv(name: string): number | undefined {
  const text = process.env[name]
  return text ? milliseconds(name, Number(text), `"${text}"`) : undefined
}

/** The capture function, checked at declaration: anything else would fail only at the first request. */
function capture(value: AwsClientCapture | undefined): AwsClientCapture | undefined {
  if (value !== undefined && typeof value !== 'function')
    throw new TypeError(`awsClientCapture=${String(value)} is not a function (e.g. tracer.captureAWSv3Client.bind(tracer))`)
  return value
}

/** The `metrics` option, checked when the resolver is created: a sink without `addMetric` would fail at the first count. */
function metricsSink(metrics: MetricsSink | undefined): MetricsSink | undefined {
  if (metrics !== undefined && typeof (metrics as Partial<MetricsSink> | null)?.addMetric !== 'function')
    throw new TypeError('metrics must have addMetric(name, unit, value), as a Powertools Metrics has')
  return metrics
}

/** A resolver on the process-wide cache of its registry: a warm path (`Planner`) and a refresh path (`Refresher`). */
class CachingResolver implements Resolver {
  readonly settings: ResolverSettings
  /** The warm path, handed to a `ServiceSet` by `plannedResolver`. */
  readonly planner: Planner
  readonly #refresher: Refresher
  readonly #views: Views

  constructor(settings: ResolverSettings) {
    this.settings = settings
    const telemetry = new Telemetry(settings.logger, settings.metrics)
    const cache = cacheOf(settings.registry)
    this.#views = new Views(settings, telemetry, (dependency, served) => this.#renew(dependency, served))
    this.#refresher = new Refresher(settings, cache, this.#views, telemetry)
    this.planner = new Planner(settings, cache, this.#views, this.#refresher, telemetry)
  }

  resolveSync<Value>(dependency: Dependency<Value>): Value | NotReady {
    return this.planner.resolvePlanned(this.planner.plan(dependency), Date.now()) as Value | NotReady
  }

  async resolve<Value>(dependency: Dependency<Value>, options: ResolveOptions = {}): Promise<Value> {
    // resolveSync's work, with the plan kept for a miss.
    const plan = this.planner.plan(dependency)
    const ready = this.planner.resolvePlanned(plan, Date.now()) as Value | NotReady
    // A miss is told by the refresher, once per request to the registry (not once per caller).
    if (ready !== NOT_READY) return ready
    try {
      let data = await this.#refresher.load(plan, options.signal)
      let view = await this.#views.of(dependency, data)
      // An expired error answer (no instances, not the pinned one, none valid) is asked again before it is served.
      if (view.error) {
        data = await this.#refresher.load(plan, options.signal, true)
        view = await this.#views.of(dependency, data)
      }
      if (view.error) throw view.error
      return pick(plan.pick, view) as Value
    } catch (error) {
      const failure = this.#failure(dependency, error)
      if (dependency.optional && isMissing(failure)) return undefined as Value
      throw failure
    }
  }

  async prefetch(dependencies: Iterable<AnyDependency>): Promise<void> {
    const all = Array.from(dependencies)
    // In Lambda, where init is the phase made for it, the SDK modules the calls will send with
    // load while Cloud Map answers; elsewhere (a test, a script) they load on the first call.
    const sent = process.env.LAMBDA_TASK_ROOT ? requestSent() : undefined
    const prefetched = Promise.allSettled(all.map((dependency) => this.#prefetch(dependency)))
    if (sent) {
      const warm = () => {
        for (const dependency of all) warmDependency(dependency)
      }
      // Two turns after the first request reached the HTTP handler (a plain connection is made and
      // the request written by then; a TLS handshake may still be under way, and the imports,
      // synchronous once their files are read, then delay it by what they would cost at the first
      // call anyway), or as soon as the prefetch is done when it needed none (a snapshot).
      const written = sent.then(() => new Promise<void>((resolve) => setImmediate(() => setImmediate(resolve))))
      Promise.race([written, prefetched])
        .then(warm, warm)
        .catch(() => undefined)
    }
    await prefetched
  }

  /** A dependency the snapshot covers is bound from it, with no request: its first use refreshes it. */
  #prefetch(dependency: AnyDependency): Promise<unknown> {
    const data = this.#refresher.seeded(this.planner.plan(dependency))
    return data === undefined ? this.resolve(dependency) : Promise.resolve(this.#views.of(dependency, data))
  }

  /** After a refresh of the entry that served `served`, the dependency's value (see `BindContext.renew`). */
  async #renew(dependency: AnyDependency, served: Discovery): Promise<unknown> {
    await this.#refresher.renew(this.planner.plan(dependency), served)
    return this.resolve(dependency)
  }

  /** The error a caller sees: ours as they are (named after the dependency), anything else a DiscoveryError. */
  #failure(dependency: AnyDependency, error: unknown): Error {
    if (error instanceof ServiceNotFoundError && error.label !== dependency.label) {
      return notRegisteredAt(error, dependency.label, { cause: error })
    }
    if (error instanceof CloudMapMiddyError) return error
    return new DiscoveryError(dependency.label, error, isTransient(error))
  }
}

/**
 * Creates a resolver. Resolvers on the same registry share one process-wide cache
 * (the default Cloud Map registry is one per process, and equal `clientConfig`s share
 * one), so N resolvers or N dependencies on one service cost one DiscoverInstances per
 * TTL. The cache lives as long as its registry is in use; entries nobody reads past
 * `maxStaleMs` are pruned as the cache is used, never by a timer.
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
        : processRegistry)
  const ttlMs = milliseconds('ttlMs', options.ttlMs) ?? fromEnv('CLOUDMAP_MIDDY_TTL_MS') ?? DEFAULT_TTL_MS
  const maxStaleMs = Math.max(
    ttlMs,
    milliseconds('maxStaleMs', options.maxStaleMs) ?? fromEnv('CLOUDMAP_MIDDY_MAX_STALE_MS') ?? DEFAULT_MAX_STALE_MS,
  )
  if (options.registry === undefined && options.snapshot !== false) seedFromSnapshot(registry, ttlMs, options.logger ?? consoleLogger())
  const resolver = new CachingResolver({
    registry,
    ttlMs,
    maxStaleMs,
    revalidate: options.revalidate ?? 'full',
    healthStatus: options.healthStatus ?? 'HEALTHY_OR_ELSE_ALL',
    pick: options.pick ?? 'random',
    requestTimeoutMs: requestTimeout(options.requestTimeoutMs),
    retryBudgetMs: milliseconds('retryBudgetMs', options.retryBudgetMs) ?? DEFAULT_RETRY_BUDGET_MS,
    logger: options.logger ?? consoleLogger(),
    metrics: metricsSink(options.metrics),
    clients: options.clients,
    awsClientCapture: capture(options.awsClientCapture),
    policy: createTargetPolicy(options),
  })
  recordDeclaration({ type: 'resolver', resolver })
  return resolver
}

/** The text of `CLOUDMAP_MIDDY_SNAPSHOT` each Cloud Map registry's cache was last seeded from. */
const seededFrom = new WeakMap<Registry, string | undefined>()

/**
 * Seeds a Cloud Map registry's cache from `CLOUDMAP_MIDDY_SNAPSHOT`, read once per text
 * (docs/snapshot-format.md). What is malformed is left out with a warning, never thrown.
 */
function seedFromSnapshot(registry: Registry, ttlMs: number, logger: Logger): void {
  const text = process.env[SNAPSHOT_ENV]
  if (seededFrom.has(registry) && seededFrom.get(registry) === text) return
  seededFrom.set(registry, text)
  const { services, problems } = readSnapshot(text)
  for (const problem of problems) logger.warn('cloudmap-middy: snapshot problem', { variable: SNAPSHOT_ENV, problem })
  cacheOf(registry).seedWith(services.size === 0 ? undefined : snapshotSeed(services, Date.now(), ttlMs))
}

/**
 * The warm path of `resolver` when `createResolver` made it, else `undefined` (any other
 * `Resolver` is used through its public methods).
 *
 * @internal
 */
export function plannedResolver(resolver: Resolver): PlannedResolver | undefined {
  return resolver instanceof CachingResolver ? resolver.planner : undefined
}

let defaultResolver: Resolver | undefined
/** Set by `useStaticRegistry` (testing): what resolvers without a registry or client of their own read. */
let defaultRegistry: Registry | undefined
/** The first address the process-wide registry asked Cloud Map about, while no static registry was in force. */
let askedCloudMap: string | undefined

/** Cloud Map's process-wide registry, or the one `useStaticRegistry` put in its place: chosen at each request. */
function registryInForce(query: DiscoveryQuery): Registry {
  if (defaultRegistry) return defaultRegistry
  askedCloudMap ??= describeAddress(query)
  return cloudMapRegistry()
}

/**
 * The registry of every resolver created without a `registry`, `client` or `clientConfig`: it
 * reads the one in force when it sends, so `useStaticRegistry` takes over resolvers created
 * before it (a handler module imported first), as long as none of them has asked Cloud Map yet.
 */
const processRegistry: Registry = {
  discover: (query, options) => registryInForce(query).discover(query, options),
  revision: (query, options) => registryInForce(query).revision(query, options),
}

/**
 * Makes every resolver without a `registry`, `client` or `clientConfig` of its own — the
 * process default among them, whenever it was created — read from `registry`; `undefined`
 * goes back to Cloud Map. Used by `useStaticRegistry` in `@cloudmap-middy/core/testing`.
 *
 * @throws {Error} when `registry` is given after such a resolver already asked Cloud Map
 * (through the process-wide client, real or mocked): what it sent cannot be taken back, and
 * a test that goes on would pass with requests to Cloud Map it does not know of.
 * @internal
 */
export function setDefaultRegistry(registry: Registry | undefined): void {
  if (registry !== undefined && defaultRegistry === undefined && askedCloudMap !== undefined) {
    throw new Error(
      `useStaticRegistry() came too late: the process already asked Cloud Map for "${askedCloudMap}" (a handler module's prefetch, typically, when it is imported). Call useStaticRegistry() before the handler module is imported: with ESM, import the handler with \`await import()\` after it (a static import is hoisted above it), or call it in a setup file (Jest \`setupFiles\`, Vitest \`setupFiles\` or \`vi.hoisted\`).`,
    )
  }
  defaultRegistry = registry
  // The process default is made again when it is next asked for (it reads the registry in force anyway).
  defaultResolver = undefined
}

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
