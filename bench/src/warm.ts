import { subscribe } from 'node:diagnostics_channel'
import { PerformanceObserver } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { type AnyDependency, CHANNELS, createResolver, type MetricsSink } from '@cloudmap-middy/core'
import { staticRegistry } from '@cloudmap-middy/core/testing'
import { cloudMap } from '@cloudmap-middy/middy'
import middy, { type MiddlewareObj } from '@middy/core'
import { runSelf } from './lib/child.js'
import {
  asHandler,
  attributesOf,
  type BenchEvent,
  type BenchResult,
  EVENT,
  type Handler,
  lambdaContext,
  multiDependencyOf,
  multiInstanceLayout,
  multiTableOf,
} from './lib/fixtures.js'
import type { Row, Section } from './lib/report.js'
import { countingLogger } from './lib/silent.js'
import { bytes, duration, median, ratio, type Spread, spread, spreadText } from './lib/stats.js'

export interface WarmOptions {
  /** Repeated runs: each is a fresh set of processes (one per group below, plus one measuring allocation). */
  readonly runs: number
  /** Interleaved rounds inside a process; each times every variant once, in a rotated order. */
  readonly rounds: number
  /** Sequential invocations per timed batch (a hook-only variant makes 20 times as many calls). */
  readonly batch: number
  /** Untimed invocations of every variant before the rounds (JIT). */
  readonly warmup: number
  /** Invocations per allocation window (no collection may happen inside one). */
  readonly allocationInvocations: number
}

/**
 * What a process measures: the no-op handlers at 1, 10 and 50 dependencies (and at 10 with a
 * metrics sink); those that read one; the same with every diagnostics channel subscribed; or allocation.
 */
type Mode = 'noop' | 'read' | 'subscribed' | 'alloc'

const INSTANCES = 3
const HOOK_CALLS = 20
const RESULT: BenchResult = { statusCode: 200, body: 'ok' }
/** Where a handler that reads a dependency puts what it read, so the read is not optimised away. */
let sink: unknown

interface Variant {
  readonly name: string
  /** Runs `count` invocations (or hook calls), awaited one after another. */
  readonly run: (count: number) => Promise<void> | void
  /** Calls per invocation-equivalent: a hook-only variant is timed over more calls. */
  readonly scale: number
}

/** A middleware's warm hooks, called as Middy calls them, outside Middy: what the middleware itself costs. */
function hooksOnly(middleware: MiddlewareObj<BenchEvent, BenchResult>, read = false): (count: number) => void {
  const request = { event: EVENT, context: lambdaContext(), response: undefined, error: undefined, internal: {} }
  const before = middleware.before as (r: typeof request) => unknown
  const after = middleware.after as (r: typeof request) => unknown
  const context = request.context as unknown as { services: Record<string, { arn: string }> }
  return (count) => {
    for (let i = 0; i < count; i++) {
      if (before(request) !== undefined) throw new Error('warm: before returned a promise: not the warm path')
      if (read) sink = context.services.dep0?.arn
      if (after(request) !== undefined) throw new Error('warm: after returned a promise')
    }
  }
}

/**
 * A sink that stores as Powertools `Metrics` does (values by name, flushed at 100 values; here the
 * flush drops them): what `metrics` costs a warm invocation with a real sink behind it.
 */
function storingSink(): MetricsSink {
  const stored = new Map<string, number[]>()
  return {
    addMetric(name, _unit, value) {
      let values = stored.get(name)
      if (values === undefined) {
        values = []
        stored.set(name, values)
      }
      values.push(value)
      if (values.length >= 100) values.length = 0
    },
  }
}

/** The one clock read of the warm path, alone: what reading the time allocates. */
let clockSink = 0
function clockReads(count: number): void {
  for (let i = 0; i < count; i++) if (Date.now() > clockSink) clockSink = 0
}

function invocations(handler: Handler): (count: number) => Promise<void> {
  return async (count) => {
    // A new context per invocation, as the Lambda runtime passes: the middleware writes `services` on it.
    for (let i = 0; i < count; i++) await handler(EVENT, lambdaContext())
  }
}

/** The handlers of one process. Every cloudMap() one shares a resolver whose TTL outlasts the run: the all-cached path. */
async function variantsOf(mode: Mode): Promise<{ variants: Variant[]; registryCalls: () => number }> {
  const slots = multiInstanceLayout(50, INSTANCES)
  const registry = staticRegistry(multiTableOf(slots))
  const resolver = createResolver({ registry, ttlMs: 3_600_000, logger: countingLogger() })
  // The same, counting its hits: one addMetric per invocation.
  const counted = createResolver({ registry, ttlMs: 3_600_000, logger: countingLogger(), metrics: storingSink() })
  // Subscribed for the whole process: a subscription is process-wide, so it has a process of its own.
  if (mode === 'subscribed') for (const name of Object.values(CHANNELS)) subscribe(name, () => undefined)
  // New dependency objects per handler, as separate handler modules would declare them.
  const servicesOf = (count: number): Record<string, AnyDependency> =>
    Object.fromEntries(slots.slice(0, count).map((slot) => [slot.name, multiDependencyOf(slot)]))
  const withCloudMap = (count: number, using = resolver) =>
    asHandler(
      middy<BenchEvent, BenchResult>()
        .use(cloudMap({ services: servicesOf(count), resolver: using }))
        .handler(async () => RESULT),
    )
  const bare = asHandler(middy<BenchEvent, BenchResult>().handler(async () => RESULT))
  // Reading one dependency: the hand-written equivalent picks among the same three ARNs at random.
  const arns = (slots[0]?.instanceIds ?? []).map((instanceId) => attributesOf({ ...(slots[0] as (typeof slots)[0]), instanceId }).arn)
  const bareRead = asHandler(
    middy<BenchEvent, BenchResult>().handler(async () => {
      sink = arns[Math.floor(Math.random() * arns.length)]
      return RESULT
    }),
  )
  const cloudMapRead = asHandler(
    middy<BenchEvent, BenchResult>()
      .use(cloudMap({ services: servicesOf(10), resolver }))
      .handler(async (_event, context) => {
        sink = (context as unknown as { services: Record<string, { arn: string }> }).services.dep0?.arn
        return RESULT
      }),
  )
  const noop = () => undefined
  const empty = asHandler(
    middy<BenchEvent, BenchResult>()
      .use({ before: noop, after: noop, onError: noop })
      .handler(async () => RESULT),
  )
  const hooks = (count: number, read = false) =>
    hooksOnly(cloudMap({ services: servicesOf(count), resolver }) as MiddlewareObj<BenchEvent, BenchResult>, read)

  const handlerVariant = (name: string, handler: Handler): Variant => ({ name, run: invocations(handler), scale: 1 })
  const hookVariant = (name: string, count: number, read = false): Variant => ({ name, run: hooks(count, read), scale: HOOK_CALLS })
  const all: Record<Mode, () => Variant[]> = {
    noop: () => [
      handlerVariant('bare', bare),
      handlerVariant('cloudMap 1', withCloudMap(1)),
      handlerVariant('cloudMap 10', withCloudMap(10)),
      handlerVariant('cloudMap 50', withCloudMap(50)),
      handlerVariant('cloudMap 10 metrics', withCloudMap(10, counted)),
      hookVariant('hooks 1', 1),
      hookVariant('hooks 50', 50),
    ],
    subscribed: () => [
      handlerVariant('bare', bare),
      handlerVariant('cloudMap 10', withCloudMap(10)),
      handlerVariant('cloudMap 10 metrics', withCloudMap(10, counted)),
    ],
    read: () => [
      handlerVariant('bare read', bareRead),
      handlerVariant('cloudMap 10 read', cloudMapRead),
      handlerVariant('empty middleware', empty),
    ],
    alloc: () => [
      handlerVariant('bare', bare),
      handlerVariant('cloudMap 1', withCloudMap(1)),
      handlerVariant('cloudMap 50', withCloudMap(50)),
      hookVariant('hooks 1', 1),
      hookVariant('hooks 50', 50),
      hookVariant('hooks 10 read', 10, true),
      { name: 'clock read', run: clockReads, scale: HOOK_CALLS },
    ],
  }
  const variants = all[mode]()
  // The first invocation resolves (cold); every later one must find everything cached.
  for (const variant of variants) await variant.run(1)
  await resolver.prefetch(Object.values(servicesOf(50)))
  await counted.prefetch(Object.values(servicesOf(50)))
  const calls = () => [...registry.calls.values()].reduce((a, b) => a + b, 0)
  return { variants, registryCalls: calls }
}

/** ns per invocation (per hook pair for a hook-only variant), per variant, one figure per round. */
async function timeVariants(mode: Mode, options: WarmOptions): Promise<Record<string, number[]>> {
  const { variants, registryCalls } = await variantsOf(mode)
  for (const variant of variants) await variant.run(options.warmup * variant.scale)
  const callsBefore = registryCalls()
  const out: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.name, []]))
  for (let round = 0; round < options.rounds; round++) {
    for (let i = 0; i < variants.length; i++) {
      const variant = variants[(i + round) % variants.length] as Variant
      const count = options.batch * variant.scale
      const started = process.hrtime.bigint()
      await variant.run(count)
      out[variant.name]?.push(Number(process.hrtime.bigint() - started) / count)
    }
  }
  if (registryCalls() !== callsBefore) throw new Error('warm: the registry was called during the timed rounds; the cache was not warm')
  return out
}

/**
 * Bytes allocated per invocation: `heapUsed` grows by what is allocated while no collection
 * runs (the process has a 64 MB young generation, and a window with a collection is retried).
 */
async function allocationOf(options: WarmOptions): Promise<Record<string, number>> {
  const gc = globalThis.gc
  if (!gc) throw new Error('warm: the allocation process needs --expose-gc')
  let collections = 0
  const observer = new PerformanceObserver((list) => {
    collections += list.getEntries().length
  })
  observer.observe({ entryTypes: ['gc'] })
  // gc entries reach the observer asynchronously: wait for those of the collections just forced.
  const settle = () => new Promise((resolve) => setTimeout(resolve, 10))
  const { variants } = await variantsOf('alloc')
  for (const variant of variants) await variant.run(options.warmup * variant.scale)
  const out: Record<string, number> = {}
  for (const variant of variants) {
    const count = options.allocationInvocations * variant.scale
    const windows: number[] = []
    for (let attempt = 0; attempt < 8 && windows.length < 3; attempt++) {
      gc()
      gc()
      await settle()
      const seen = collections
      const before = process.memoryUsage().heapUsed
      await variant.run(count)
      const after = process.memoryUsage().heapUsed
      await settle()
      // Per invocation, or per before + after pair of a hook-only variant.
      if (collections === seen) windows.push((after - before) / count)
    }
    if (windows.length === 0) throw new Error(`warm: every allocation window of ${variant.name} had a collection`)
    // The least of the windows: anything above it is the runtime's own (compilation, feedback), not the invocation's.
    out[variant.name] = Math.min(...windows)
  }
  observer.disconnect()
  return out
}

function child(mode: Mode, options: WarmOptions): unknown {
  return runSelf(import.meta.url, {
    flags: mode === 'alloc' ? ['--expose-gc', '--min-semi-space-size=64', '--max-semi-space-size=64'] : [],
    env: { BENCH_WARM: JSON.stringify({ mode, options }) },
    name: `warm: the ${mode} process`,
  })
}

type Timings = Record<string, number[]>

/** Median over the rounds of one process of a per-round figure. */
function perRound(timings: Timings, figure: (round: (name: string) => number) => number): number {
  const rounds = (timings.bare ?? timings['bare read'] ?? []).length
  return median(Array.from({ length: rounds }, (_, r) => figure((name) => (timings[name] as number[])[r] as number)))
}

/**
 * 1. Warm overhead: a Middy 7 handler with `cloudMap()` and every entry cached, against the
 * bare handler, with 1, 10 and 50 dependencies of three instances each (random pick); the
 * body reads nothing (no-op), or reads one dependency. Every run is a set of fresh
 * processes, so a handler's call sites in Middy see at most four handlers, as close to
 * one Lambda as a side-by-side measurement gets; the variants alternate inside each.
 */
export async function warmOverhead(options: WarmOptions): Promise<Section> {
  const noop: Timings[] = []
  const read: Timings[] = []
  const subscribed: Timings[] = []
  const alloc: Array<Record<string, number>> = []
  for (let run = 0; run < options.runs; run++) {
    const modes: Mode[] = run % 2 === 0 ? ['noop', 'read', 'subscribed', 'alloc'] : ['alloc', 'subscribed', 'read', 'noop']
    for (const mode of modes) {
      if (mode === 'alloc') alloc.push(child(mode, options) as Record<string, number>)
      else ({ noop, read, subscribed })[mode].push(child(mode, options) as Timings)
    }
  }

  // Per run: the median over its rounds of each round's figure; then min / median / max over runs.
  const overRuns = (runs: Timings[], figure: (round: (name: string) => number) => number): Spread =>
    spread(runs.map((timings) => perRound(timings, figure)))
  const ratioTo = (runs: Timings[], name: string, base: string) => overRuns(runs, (r) => r(name) / r(base))
  const added = (name: string) => overRuns(noop, (r) => r(name) - r('bare'))
  const nsOf = (runs: Timings[], name: string) => overRuns(runs, (r) => r(name))
  const r1 = ratioTo(noop, 'cloudMap 1', 'bare')
  const r10 = ratioTo(noop, 'cloudMap 10', 'bare')
  const r50 = ratioTo(noop, 'cloudMap 50', 'bare')
  const added1 = added('cloudMap 1')
  const added10 = added('cloudMap 10')
  const added50 = added('cloudMap 50')
  const hooks1 = nsOf(noop, 'hooks 1')
  const hooks50 = nsOf(noop, 'hooks 50')
  const hookGrowth = ratioTo(noop, 'hooks 50', 'hooks 1')
  // Invocation level: (cloudMap 50 − bare) / (cloudMap 1 − bare), from each run's medians.
  const invocationGrowth = spread(
    noop.map((t) => perRound(t, (r) => r('cloudMap 50') - r('bare')) / perRound(t, (r) => r('cloudMap 1') - r('bare'))),
  )
  const metricsRatio = ratioTo(noop, 'cloudMap 10 metrics', 'bare')
  const metricsAdded = overRuns(noop, (r) => r('cloudMap 10 metrics') - r('cloudMap 10'))
  const subscribedRatio = ratioTo(subscribed, 'cloudMap 10', 'bare')
  const subscribedMetricsRatio = ratioTo(subscribed, 'cloudMap 10 metrics', 'bare')
  const readRatio = ratioTo(read, 'cloudMap 10 read', 'bare read')
  const emptyRatio = ratioTo(read, 'empty middleware', 'bare read')
  const bare = nsOf(noop, 'bare')

  const allocOf = (name: string) => spread(alloc.map((a) => a[name] as number))
  const hookAlloc50 = allocOf('hooks 50')
  const hookAlloc1 = allocOf('hooks 1')
  const clockAlloc = allocOf('clock read')
  // Per added dependency, from the hooks (exact); the whole-invocation figure is given beside it (noise of tens of bytes).
  const perDependency = spread(alloc.map((a) => ((a['hooks 50'] as number) - (a['hooks 1'] as number)) / 49))
  const perDependencyInvocation = spread(alloc.map((a) => ((a['cloudMap 50'] as number) - (a['cloudMap 1'] as number)) / 49))
  const readAlloc = spread(alloc.map((a) => (a['hooks 10 read'] as number) - (a['hooks 1'] as number)))
  // No allocation: under one byte per invocation on average over a window, i.e. not one object per invocation.
  const allocationMet = hookAlloc50.median < 1 && hookAlloc1.median < 1
  const perDependencyMet = Math.abs(perDependency.median) < 1
  const growthMet = hookGrowth.median <= 2

  const rows: Row[] = [
    {
      figure: `warm, 10 deps × ${INSTANCES} instances (random pick), no-op body, vs bare Middy`,
      before: '1.12–1.17×',
      measured: ratio(r10.median),
      range: spreadText(r10, ratio),
      target: '≤ 1.05×',
      met: r10.median <= 1.05,
      detail: `${duration(bare.median)} bare; +${duration(added10.median)} per invocation (runs: ${spreadText(added10, duration)})`,
      why: `+${duration(added10.median)} on ${duration(bare.median)}: cloudMap()'s hooks ${duration(hooks1.median)}, the rest Middy's own cost of a middleware (empty one: ${ratio(emptyRatio.median)})`,
    },
    {
      figure: `warm, 10 deps, metrics on (a sink storing as Powertools Metrics does), no channel subscribed, vs bare Middy`,
      measured: ratio(metricsRatio.median),
      range: spreadText(metricsRatio, ratio),
      target: '≤ 1.05×',
      met: metricsRatio.median <= 1.05,
      detail: `metrics add ${duration(metricsAdded.median)} per invocation to cloudMap 10 (runs: ${spreadText(metricsAdded, duration)}): one addMetric of the count of dependencies`,
      why: `cloudMap 10 with metrics at ${ratio(metricsRatio.median)} of bare`,
    },
    {
      figure: 'warm, 10 deps, every diagnostics channel subscribed, vs bare Middy (its own processes)',
      measured: ratio(subscribedRatio.median),
      range: spreadText(subscribedRatio, ratio),
      detail: `with metrics on too: ${ratio(subscribedMetricsRatio.median)} (runs: ${spreadText(subscribedMetricsRatio, ratio)}); the warm path publishes nothing (no event while every entry is fresh), so a subscriber costs it nothing`,
    },
    {
      figure: `warm, 50 deps × ${INSTANCES} instances, same`,
      before: '1.34–2.14×',
      measured: ratio(r50.median),
      range: spreadText(r50, ratio),
      target: '≤ 1.07×',
      met: r50.median <= 1.07,
      detail: `+${duration(added50.median)} per invocation (runs: ${spreadText(added50, duration)})`,
      why: `+${duration(added50.median)} on ${duration(bare.median)}: cloudMap()'s hooks ${duration(hooks50.median)}, the rest Middy's own cost of a middleware (empty one: ${ratio(emptyRatio.median)})`,
    },
    {
      figure: 'warm cost growth: ns the middleware adds at 50 deps / at 1 dep',
      before: 'O(n): ~20 ns per dep per invocation',
      measured: ratio(hookGrowth.median),
      range: spreadText(hookGrowth, ratio),
      target: '≤ 2×',
      met: growthMet,
      detail: `cloudMap()'s before + after hooks, as Middy calls them: ${duration(hooks1.median)} at 1 dep, ${duration(hooks50.median)} at 50. Whole invocations: +${duration(added1.median)} at 1 dep, +${duration(added10.median)} at 10, +${duration(added50.median)} at 50 over bare (ratio of those ${spreadText(invocationGrowth, ratio)}: differences of ~4 µs figures, noise-bound)`,
      why: `the hooks took ${spreadText(hookGrowth, ratio)} as long at 50 deps as at 1`,
    },
    {
      figure: 'warm allocation per added dependency, nothing changed',
      before: '~8 B per dep',
      measured: bytes(perDependency.median),
      range: spreadText(perDependency, bytes),
      target: '0',
      met: perDependencyMet,
      detail: `(hooks at 50 deps − hooks at 1 dep) / 49; from whole invocations: ${spreadText(perDependencyInvocation, bytes)} (heap accounting of a ~6 KB invocation, noise of tens of bytes)`,
      why: `${bytes(perDependency.median)} per dependency per invocation`,
    },
    {
      figure: 'warm allocation per invocation, nothing changed',
      measured: `${bytes(hookAlloc50.median)} at 50 deps`,
      range: spreadText(hookAlloc50, bytes),
      target: '0 (no allocation)',
      met: allocationMet,
      detail: `cloudMap()'s hooks: ${bytes(hookAlloc1.median)} at 1 dep, ${bytes(hookAlloc50.median)} at 50; one Date.now() alone: ${bytes(clockAlloc.median)}. For scale: a bare Middy invocation allocates ${bytes(allocOf('bare').median)}`,
      why:
        Math.abs(hookAlloc50.median - clockAlloc.median) < 1
          ? `the warm path's one clock read: Date.now() returns a heap number on this V8 (${bytes(clockAlloc.median)} per call, measured alone), the same at 1 and 50 deps; nothing else allocates`
          : `the hooks allocate ${bytes(hookAlloc50.median)} per invocation at 50 deps (one Date.now() alone: ${bytes(clockAlloc.median)})`,
    },
    {
      figure: 'warm, 1 dep × 3 instances, no-op body, vs bare Middy',
      measured: ratio(r1.median),
      range: spreadText(r1, ratio),
      detail: `+${duration(added1.median)} per invocation`,
    },
    {
      figure: 'warm, 10 deps, body reads one dependency (random pick), vs bare Middy picking among 3 hard-coded ARNs',
      measured: ratio(readRatio.median),
      range: spreadText(readRatio, ratio),
      detail: `${duration(nsOf(read, 'cloudMap 10 read').median)} vs ${duration(nsOf(read, 'bare read').median)}; reading it (the pick) allocates ${bytes(readAlloc.median)} per invocation (hooks with the read − hooks alone)`,
    },
    {
      figure: 'empty before/after/onError middleware vs bare Middy',
      measured: ratio(emptyRatio.median),
      range: spreadText(emptyRatio, ratio),
      detail: "Middy's own cost for any middleware with these hooks (from the read-one processes)",
    },
  ]
  return {
    title: `1. Warm overhead (Middy 7, dependencies of ${INSTANCES} instances each, all cached)`,
    rows,
    notes: [
      `${options.runs} runs; a run is three fresh processes (no-op handlers; handlers that read one dependency; allocation), their order alternating. In a process, ${options.warmup} untimed invocations per variant, then ${options.rounds} rounds that each time every variant over ${options.batch} sequential invocations (hook-only variants: ${options.batch * HOOK_CALLS} calls), in a rotated order. A run's figure is the median over its rounds of the same round's ratio; the table gives min / median / max over runs; the verdict is on the median.`,
      `Dependencies: ${INSTANCES} instances registered per service, one service per dependency, kinds lambda / lambda / topic / instance / http in turn; none pinned, so the default random pick runs when the handler reads one. The no-op body returns a constant and never reads \`context.services\`.`,
      'Every invocation gets a new Lambda-like context with `getRemainingTimeInMillis`, so Middy arms its early-timeout timer as in Lambda; the resolver is a static registry with a TTL longer than the run, and the registry was not called during the timed rounds (checked).',
      "Growth is measured on cloudMap()'s own hooks (before + after, called as Middy calls them, 20× as many calls per batch): the difference of two whole invocations is a few tens of ns on ~4 µs, within the noise of this machine; the whole-invocation figures are given beside it.",
      `Allocation: a process with --expose-gc and a 64 MB young generation; per variant, the least of three windows of ${options.allocationInvocations} invocations (${options.allocationInvocations * HOOK_CALLS} hook calls) with no collection inside, bytes = heapUsed growth / invocations. "No allocation" = under 1 B per invocation, i.e. not one object per invocation.`,
    ],
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { mode, options } = JSON.parse(process.env.BENCH_WARM ?? '{}') as { mode: Mode; options: WarmOptions }
  const result = mode === 'alloc' ? await allocationOf(options) : await timeVariants(mode, options)
  if ((mode === 'read' || mode === 'alloc') && typeof sink !== 'string')
    throw new Error('warm: the handlers that read a dependency read no ARN')
  process.stdout.write(`${JSON.stringify(result)}\n`)
  process.exit(0)
}
