import { type AnyDependency, createResolver, type Registry } from '@cloudmap-middy/core'
import { clearCache } from '@cloudmap-middy/core/testing'
import { cloudMap } from '@cloudmap-middy/middy'
import middy, { type MiddlewareObj } from '@middy/core'
import { countingRegistry, middyServiceDiscoveryModel, noCacheMiddleware, ttlCacheMiddleware } from './lib/baselines.js'
import { installFakeClock } from './lib/clock.js'
import {
  asHandler,
  type BenchEvent,
  type BenchResult,
  body,
  EVENT,
  type Handler,
  lambdaContext,
  layout,
  servicesFrom,
  servicesOf,
  tableOf,
} from './lib/fixtures.js'
import type { Section } from './lib/report.js'
import { countingLogger } from './lib/silent.js'
import { count, median, percent, ratio } from './lib/stats.js'

export interface TrafficOptions {
  readonly invocations: number
  /** Invocations started together, at the same simulated instant. */
  readonly concurrency: number
  /** Simulated duration, ms. */
  readonly durationMs: number
  readonly ttlMs: number
  readonly services: number
  /** Lambda containers in the per-container model, each with its own cache; every batch gives each one invocation. */
  readonly containers: number
  /** Simulations per approach; the figure is the median. */
  readonly runs: number
  /** When the registry is down in the availability run, ms after the start: [from, to). */
  readonly outage: readonly [number, number]
}

const DEPENDENCIES = 10

type Approach =
  | 'cloudMap()'
  | 'no cache'
  | 'TTL cache, no single flight'
  | 'service-discovery, cacheExpiry -1'
  | 'service-discovery, cacheExpiry TTL'
  | 'service-discovery, cacheExpiry 0'

/** How the invocations meet the caches: one process serving every invocation, or one cache per container. */
type Model = 'shared' | 'per container'

interface Outcome {
  readonly calls: number
  readonly throttled: number
  readonly failed: number
  readonly warnings: number
}

function handlerFor(
  approach: Approach,
  services: Readonly<Record<string, AnyDependency>>,
  registry: Registry,
  options: TrafficOptions,
  logger: ReturnType<typeof countingLogger>,
): Handler {
  let middleware: MiddlewareObj<BenchEvent, BenchResult>
  switch (approach) {
    case 'cloudMap()': {
      const resolver = createResolver({ registry, ttlMs: options.ttlMs, logger })
      // Typed with the context it adds `services` to; the runtime passes a plain Lambda context.
      middleware = cloudMap({ services, resolver }) as MiddlewareObj<BenchEvent, BenchResult>
      break
    }
    case 'no cache':
      middleware = noCacheMiddleware(services, registry)
      break
    case 'TTL cache, no single flight':
      middleware = ttlCacheMiddleware(services, registry, options.ttlMs)
      break
    case 'service-discovery, cacheExpiry -1':
    case 'service-discovery, cacheExpiry TTL':
    case 'service-discovery, cacheExpiry 0': {
      const expiry = approach.endsWith('-1') ? -1 : approach.endsWith(' 0') ? 0 : options.ttlMs
      middleware = middyServiceDiscoveryModel(services, registry, expiry)
      break
    }
  }
  const run = async (event: BenchEvent, context: unknown) => body(event, servicesFrom(context))
  return asHandler(middy<BenchEvent, BenchResult>().use(middleware).handler(run))
}

/**
 * Runs `invocations` over `durationMs` of simulated time, `concurrency` at a time:
 * each batch starts at the next step of a fake `Date.now()` and is awaited before
 * the clock moves on. The handlers are built at t = 0 (init), as at module load.
 * Shared: one handler (one process, one cache) serves every invocation of a batch at once.
 * Per container: `containers` handlers, each with its own registry client and so its own
 * cache, as separate Lambda containers; the invocations of a batch go round the containers.
 */
async function simulate(
  approach: Approach,
  model: Model,
  options: TrafficOptions,
  outage: readonly [number, number] | undefined,
): Promise<Outcome> {
  clearCache()
  const clock = installFakeClock()
  const start = clock.now
  try {
    const slots = layout(DEPENDENCIES, options.services)
    const down = () => outage !== undefined && clock.now - start >= outage[0] && clock.now - start < outage[1]
    const logger = countingLogger()
    const containers = model === 'shared' ? 1 : options.containers
    // A cache is per registry: one registry per container, as each container has its own client.
    const registries = Array.from({ length: containers }, () => countingRegistry(tableOf(slots), down))
    const handlers = registries.map((registry) => handlerFor(approach, servicesOf(slots), registry, options, logger))
    const batches = Math.ceil(options.invocations / options.concurrency)
    const step = options.durationMs / batches
    let failed = 0
    let done = 0
    for (let b = 0; b < batches; b++) {
      clock.now = start + Math.round(b * step)
      const size = Math.min(options.concurrency, options.invocations - done)
      const settled = await Promise.allSettled(
        Array.from({ length: size }, (_, i) => (handlers[i % containers] as Handler)(EVENT, lambdaContext())),
      )
      failed += settled.filter((s) => s.status === 'rejected').length
      done += size
    }
    const sum = (figure: (registry: (typeof registries)[number]) => number) => registries.reduce((total, r) => total + figure(r), 0)
    return { calls: sum((r) => r.calls()), throttled: sum((r) => r.throttled()), failed, warnings: logger.warnings() }
  } finally {
    clock.restore()
  }
}

/** The approaches and the model each is simulated in. */
const RUNS: ReadonlyArray<readonly [Approach, Model]> = [
  ['cloudMap()', 'shared'],
  ['cloudMap()', 'per container'],
  ['service-discovery, cacheExpiry -1', 'per container'],
  ['service-discovery, cacheExpiry TTL', 'per container'],
  ['service-discovery, cacheExpiry 0', 'per container'],
  ['no cache', 'shared'],
  ['TTL cache, no single flight', 'shared'],
]

const keyOf = (approach: Approach, model: Model) => `${approach} (${model})`

async function medians(
  options: TrafficOptions,
  outage: readonly [number, number] | undefined,
): Promise<(approach: Approach, model: Model) => Outcome> {
  const all = new Map<string, Outcome[]>(RUNS.map(([approach, model]) => [keyOf(approach, model), []]))
  for (let run = 0; run < options.runs; run++) {
    for (const [approach, model] of RUNS) all.get(keyOf(approach, model))?.push(await simulate(approach, model, options, outage))
  }
  const out = new Map<string, Outcome>()
  for (const [key, outcomes] of all) {
    out.set(key, {
      calls: median(outcomes.map((o) => o.calls)),
      throttled: median(outcomes.map((o) => o.throttled)),
      failed: median(outcomes.map((o) => o.failed)),
      warnings: median(outcomes.map((o) => o.warnings)),
    })
  }
  return (approach, model) => out.get(keyOf(approach, model)) as Outcome
}

/** The median outcome of each run of RUNS, by the name the sections give it. */
function outcomesOf(of: (approach: Approach, model: Model) => Outcome) {
  return {
    shared: of('cloudMap()', 'shared'),
    perContainer: of('cloudMap()', 'per container'),
    forever: of('service-discovery, cacheExpiry -1', 'per container'),
    expiring: of('service-discovery, cacheExpiry TTL', 'per container'),
    always: of('service-discovery, cacheExpiry 0', 'per container'),
    none: of('no cache', 'shared'),
    ttl: of('TTL cache, no single flight', 'shared'),
  }
}

function describe(options: TrafficOptions): string {
  const minutes = options.durationMs / 60_000
  return `${count(options.invocations)} invocations, ${options.concurrency} at a time, over ${minutes} simulated min; TTL ${options.ttlMs / 1000} s; ${DEPENDENCIES} dependencies on ${options.services} services`
}

const SERVICE_DISCOVERY_NOTE =
  "@middy/service-discovery is modelled on its documentation (bench/src/lib/baselines.ts, middyServiceDiscoveryModel): one DiscoverInstances per `fetchData` key (one key per service here), sent at cold start, kept per container for `cacheExpiry` (-1 = the container's life, the default; n ms, then asked again by the first invocation after, which waits; 0 = asked on every invocation). Its docs say nothing of serving an old answer when Cloud Map fails: a failed request fails the invocation that awaits it."

/** 3. Cloud Map calls: one process's shared cache, then one cache per container, against Middy's own middleware and naive caches. */
export async function cloudMapCalls(options: TrafficOptions): Promise<Section> {
  const of = await medians(options, undefined)
  const { shared, perContainer, forever, expiring, always, none, ttl } = outcomesOf(of)
  const ttls = options.durationMs / options.ttlMs
  const target = options.services * Math.ceil(ttls) + options.services
  // The per-container model: every container pays its own cold start and its own refreshes.
  const { containers, services } = options
  const model = containers * services * ttls
  const containerTarget = containers * services * (Math.ceil(ttls) + 1)
  const failures = RUNS.reduce((sum, [approach, m]) => sum + of(approach, m).failed, 0)
  if (failures > 0) throw new Error(`calls: ${failures} invocations failed with the registry up`)
  return {
    title: `3. Cloud Map calls (${describe(options)})`,
    rows: [
      {
        figure: 'cloudMap(), one process (shared cache): DiscoverInstances calls',
        measured: count(shared.calls),
        target: `≤ ${target}`,
        met: shared.calls <= target,
        detail: `target = ${services} services × ${ttls} TTLs + ${services} at cold start; measured/target ${ratio(shared.calls / target)}`,
      },
      {
        figure: `cloudMap(), ${containers} containers each with its own cache: calls`,
        measured: count(perContainer.calls),
        target: `≤ ${count(containerTarget)}`,
        met: perContainer.calls <= containerTarget,
        detail: `model: containers × services × (duration / TTL) = ${containers} × ${services} × ${ttls} = ${count(model)}; target adds each container's cold start; measured/model ${ratio(perContainer.calls / model)}`,
      },
      {
        figure: `@middy/service-discovery, cacheExpiry -1 (default), ${containers} containers: calls`,
        measured: count(forever.calls),
        detail: `${ratio(forever.calls / perContainer.calls)} the calls of cloudMap(): one per service per container, at cold start, never again; a re-registered instance is never seen while the container lives`,
      },
      {
        figure: `@middy/service-discovery, cacheExpiry ${options.ttlMs / 1000} s, ${containers} containers: calls`,
        measured: count(expiring.calls),
        detail: `${ratio(expiring.calls / perContainer.calls)} the calls of cloudMap(); the invocation after each expiry waits for the round trip (cloudMap() refreshes while it serves the answer it has)`,
      },
      {
        figure: `@middy/service-discovery, cacheExpiry 0, ${containers} containers: calls`,
        measured: count(always.calls),
        detail: `${ratio(always.calls / perContainer.calls)} the calls of cloudMap(): one per service per invocation`,
      },
      {
        figure: 'no cache, one process: calls (one per dependency per invocation)',
        measured: count(none.calls),
        detail: `${ratio(none.calls / shared.calls)} the calls of cloudMap() in one process`,
      },
      {
        figure: 'TTL cache without single flight, one process: calls',
        measured: count(ttl.calls),
        detail: `${ratio(ttl.calls / shared.calls)} the calls of cloudMap() in one process: every concurrent miss asks`,
      },
    ],
    notes: [
      `Median of ${options.runs} simulations per approach. Batches of ${options.concurrency} start together at the same simulated instant, ${((options.durationMs / options.invocations) * options.concurrency) / 1000} s apart; Date.now() is stubbed, timers and promises run for real, and every registry call answers one macrotask later (so concurrent callers overlap).`,
      `One process (shared cache): one handler serves every invocation, ${options.concurrency} at a time (a container or a script). Per container: ${containers} handlers, each with its own registry client and so its own cache (as ${containers} Lambda containers, which is what ${options.concurrency} concurrent invocations are in Lambda); each batch gives every container one invocation; all start at t = 0.`,
      SERVICE_DISCOVERY_NOTE,
      'Baselines (bench/src/lib/baselines.ts) call the registry directly; they validate nothing, so they are, if anything, cheaper than a real hand-written version.',
    ],
  }
}

/** 4. Failed invocations while the registry throttles for a while in the middle of the run. */
export async function availability(options: TrafficOptions): Promise<Section> {
  const of = await medians(options, options.outage)
  const fraction = (o: Outcome) => o.failed / options.invocations
  const { shared, perContainer, forever, expiring, always, none, ttl } = outcomesOf(of)
  const [from, to] = options.outage
  const failedOf = (o: Outcome) => `${count(o.failed)} of ${count(options.invocations)}`
  return {
    title: `4. Availability (registry throttling from ${from / 60_000} to ${to / 60_000} min; ${describe(options)})`,
    rows: [
      {
        figure: 'cloudMap(), one process: failed invocations',
        measured: percent(fraction(shared)),
        target: '0',
        met: shared.failed === 0,
        detail: `${failedOf(shared)}; ${count(shared.throttled)} throttled refreshes (backoff), ${count(shared.warnings)} stale warnings logged`,
      },
      {
        figure: `cloudMap(), ${options.containers} containers: failed invocations`,
        measured: percent(fraction(perContainer)),
        target: '0',
        met: perContainer.failed === 0,
        detail: `${failedOf(perContainer)}; ${count(perContainer.throttled)} throttled refreshes, ${count(perContainer.warnings)} stale warnings`,
      },
      {
        figure: `@middy/service-discovery, cacheExpiry -1, ${options.containers} containers: failed invocations`,
        measured: percent(fraction(forever)),
        detail: `${failedOf(forever)}: it never asks again after cold start (nor sees a change)`,
      },
      {
        figure: `@middy/service-discovery, cacheExpiry ${options.ttlMs / 1000} s, ${options.containers} containers: failed invocations`,
        measured: percent(fraction(expiring)),
        detail: `${failedOf(expiring)}: an invocation that finds the answers expired inside the outage waits for a request that fails`,
      },
      {
        figure: `@middy/service-discovery, cacheExpiry 0, ${options.containers} containers: failed invocations`,
        measured: percent(fraction(always)),
        detail: failedOf(always),
      },
      {
        figure: 'no cache, one process: failed invocations',
        measured: percent(fraction(none)),
        detail: `${failedOf(none)} (the outage is ${percent((to - from) / options.durationMs)} of the run)`,
      },
      {
        figure: 'TTL cache without single flight, one process: failed invocations',
        measured: percent(fraction(ttl)),
        detail: `${failedOf(ttl)}: fails once its entries expire inside the outage`,
      },
    ],
    notes: [
      "Down means every DiscoverInstances throws an Error named 'RequestLimitExceeded' (Cloud Map's throttling); the same simulation as 3 otherwise.",
      'cloudMap() serves the last good instances (stale-if-error, maxStale 15 min by default) and backs off its refreshes.',
      SERVICE_DISCOVERY_NOTE,
    ],
  }
}
