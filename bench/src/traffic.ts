import { type AnyDependency, clearCache, createResolver, type Registry } from '@cloudmap-middy/core'
import { cloudMap } from '@cloudmap-middy/middy'
import middy from '@middy/core'
import { type CountingRegistry, countingRegistry, noCacheMiddleware, ttlCacheMiddleware } from './lib/baselines.js'
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
  /** Simulations per approach; the figure is the median. */
  readonly runs: number
  /** When the registry is down in the availability run, ms after the start: [from, to). */
  readonly outage: readonly [number, number]
}

const DEPENDENCIES = 10

type Approach = 'cloudMap()' | 'no cache' | 'TTL cache, no single flight'

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
  const run = async (event: BenchEvent, context: unknown) => body(event, servicesFrom(context))
  switch (approach) {
    case 'cloudMap()': {
      const resolver = createResolver({ registry, ttlMs: options.ttlMs, logger })
      return asHandler(middy<BenchEvent, BenchResult>().use(cloudMap({ services, resolver })).handler(run))
    }
    case 'no cache':
      return asHandler(middy<BenchEvent, BenchResult>().use(noCacheMiddleware(services, registry)).handler(run))
    case 'TTL cache, no single flight':
      return asHandler(
        middy<BenchEvent, BenchResult>()
          .use(ttlCacheMiddleware(services, registry, options.ttlMs))
          .handler(run),
      )
  }
}

/**
 * Runs `invocations` over `durationMs` of simulated time, `concurrency` at a time:
 * each batch starts at the next step of a fake `Date.now()` and is awaited before
 * the clock moves on. The handler is built at t = 0 (init), as at module load.
 */
async function simulate(approach: Approach, options: TrafficOptions, outage: readonly [number, number] | undefined): Promise<Outcome> {
  clearCache()
  const clock = installFakeClock()
  const start = clock.now
  try {
    const slots = layout(DEPENDENCIES, options.services)
    const down = () => outage !== undefined && clock.now - start >= outage[0] && clock.now - start < outage[1]
    const registry: CountingRegistry = countingRegistry(tableOf(slots), down)
    const logger = countingLogger()
    const handler = handlerFor(approach, servicesOf(slots), registry, options, logger)
    const batches = Math.ceil(options.invocations / options.concurrency)
    const step = options.durationMs / batches
    let failed = 0
    let done = 0
    for (let b = 0; b < batches; b++) {
      clock.now = start + Math.round(b * step)
      const size = Math.min(options.concurrency, options.invocations - done)
      const settled = await Promise.allSettled(Array.from({ length: size }, () => handler(EVENT, lambdaContext())))
      failed += settled.filter((s) => s.status === 'rejected').length
      done += size
    }
    return { calls: registry.calls(), throttled: registry.throttled(), failed, warnings: logger.warnings() }
  } finally {
    clock.restore()
  }
}

const APPROACHES: readonly Approach[] = ['cloudMap()', 'no cache', 'TTL cache, no single flight']

async function medians(options: TrafficOptions, outage: readonly [number, number] | undefined) {
  const out = new Map<Approach, Outcome>()
  const all = new Map<Approach, Outcome[]>(APPROACHES.map((a) => [a, []]))
  for (let run = 0; run < options.runs; run++) {
    for (const approach of APPROACHES) all.get(approach)?.push(await simulate(approach, options, outage))
  }
  for (const [approach, outcomes] of all) {
    out.set(approach, {
      calls: median(outcomes.map((o) => o.calls)),
      throttled: median(outcomes.map((o) => o.throttled)),
      failed: median(outcomes.map((o) => o.failed)),
      warnings: median(outcomes.map((o) => o.warnings)),
    })
  }
  return out
}

function describe(options: TrafficOptions): string {
  const minutes = options.durationMs / 60_000
  return `${count(options.invocations)} invocations, ${options.concurrency} at a time, over ${minutes} simulated min; TTL ${options.ttlMs / 1000} s; ${DEPENDENCIES} dependencies on ${options.services} services`
}

/** 3. Cloud Map calls with the cache and single flight, against no cache and a TTL cache without single flight. */
export async function cloudMapCalls(options: TrafficOptions): Promise<Section> {
  const results = await medians(options, undefined)
  const ours = results.get('cloudMap()') as Outcome
  const none = results.get('no cache') as Outcome
  const ttl = results.get('TTL cache, no single flight') as Outcome
  const target = options.services * Math.ceil(options.durationMs / options.ttlMs) + options.services
  const failures = [...results.values()].reduce((sum, o) => sum + o.failed, 0)
  if (failures > 0) throw new Error(`calls: ${failures} invocations failed with the registry up`)
  return {
    title: `3. Cloud Map calls (${describe(options)})`,
    rows: [
      {
        figure: 'cloudMap(): DiscoverInstances calls',
        measured: count(ours.calls),
        target: `≤ ${target}`,
        met: ours.calls <= target,
        detail: `target = ${options.services} services × ${options.durationMs / options.ttlMs} TTLs + ${options.services} at cold start; measured/target ${ratio(ours.calls / target)}`,
      },
      {
        figure: 'no cache: calls (one per dependency per invocation)',
        measured: count(none.calls),
        detail: `${ratio(none.calls / ours.calls)} the calls of cloudMap()`,
      },
      {
        figure: 'TTL cache without single flight: calls',
        measured: count(ttl.calls),
        detail: `${ratio(ttl.calls / ours.calls)} the calls of cloudMap(): every concurrent miss asks`,
      },
    ],
    notes: [
      `Median of ${options.runs} simulations per approach. Batches of ${options.concurrency} start together at the same simulated instant, ${((options.durationMs / options.invocations) * options.concurrency) / 1000} s apart; Date.now() is stubbed, timers and promises run for real, and every registry call answers one macrotask later (so concurrent callers overlap).`,
      'One process serves every invocation (the shared cache of one container or script); 50 separate Lambda containers would each pay their own cold start and refreshes.',
      'Baselines (bench/src/lib/baselines.ts) call the registry directly; they validate nothing, so they are, if anything, cheaper than a real hand-written version.',
    ],
  }
}

/** 4. Failed invocations while the registry throttles for a while in the middle of the run. */
export async function availability(options: TrafficOptions): Promise<Section> {
  const results = await medians(options, options.outage)
  const fraction = (o: Outcome) => o.failed / options.invocations
  const ours = results.get('cloudMap()') as Outcome
  const none = results.get('no cache') as Outcome
  const ttl = results.get('TTL cache, no single flight') as Outcome
  const [from, to] = options.outage
  return {
    title: `4. Availability (registry throttling from ${from / 60_000} to ${to / 60_000} min; ${describe(options)})`,
    rows: [
      {
        figure: 'cloudMap(): failed invocations',
        measured: percent(fraction(ours)),
        target: '0',
        met: ours.failed === 0,
        detail: `${count(ours.failed)} of ${count(options.invocations)}; ${count(ours.throttled)} throttled refreshes (backoff), ${count(ours.warnings)} stale warnings logged`,
      },
      {
        figure: 'no cache: failed invocations',
        measured: percent(fraction(none)),
        detail: `${count(none.failed)} of ${count(options.invocations)} (the outage is ${percent((to - from) / options.durationMs)} of the run)`,
      },
      {
        figure: 'TTL cache without single flight: failed invocations',
        measured: percent(fraction(ttl)),
        detail: `${count(ttl.failed)} of ${count(options.invocations)}: fails once its entries expire inside the outage`,
      },
    ],
    notes: [
      "Down means every DiscoverInstances throws an Error named 'RequestLimitExceeded' (Cloud Map's throttling); the same simulation as 3 otherwise.",
      'cloudMap() serves the last good instances (stale-if-error, maxStale 15 min by default) and backs off its refreshes.',
    ],
  }
}
