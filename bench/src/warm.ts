import { type AnyDependency, createResolver, defineServices, NOT_READY, type Resolver } from '@cloudmap-middy/core'
import { staticRegistry } from '@cloudmap-middy/core/testing'
import { cloudMap } from '@cloudmap-middy/middy'
import middy, { type MiddlewareObj } from '@middy/core'
import { Bench } from 'tinybench'
import {
  asHandler,
  type BenchEvent,
  type BenchResult,
  body,
  EVENT,
  type Handler,
  hardCoded,
  lambdaContext,
  layout,
  servicesFrom,
  servicesOf,
  tableOf,
} from './lib/fixtures.js'
import type { Section } from './lib/report.js'
import { countingLogger } from './lib/silent.js'
import { duration, median, ratio } from './lib/stats.js'

export interface WarmOptions {
  /** Rounds of the three variants; each round runs them in a rotated order. */
  readonly rounds: number
  /** tinybench time budget per variant per round, ms. */
  readonly timeMs: number
  /** Invocations per sample, to keep the timer's resolution out of a ~µs figure. */
  readonly batch: number
}

const DEPENDENCIES = 10
const SERVICES = 5

/** The baseline of the naive variant: a middleware that awaits `resolver.resolve()` per dependency, every invocation. */
function naiveMiddleware(services: Readonly<Record<string, AnyDependency>>, resolver: Resolver): MiddlewareObj<BenchEvent, BenchResult> {
  const entries = Object.entries(services)
  return {
    before: async (request) => {
      const out: Record<string, unknown> = {}
      for (const [name, dependency] of entries) out[name] = await resolver.resolve(dependency)
      ;(request.context as unknown as { services: unknown }).services = out
    },
  }
}

/**
 * Warm overhead: the same Middy 7 handler with `cloudMap()` (every entry cached),
 * without it (targets hard-coded in a closure), and with a naive per-invocation
 * `await resolver.resolve()` middleware. Rounds interleave the variants; the
 * figure is the median over rounds of each round's ratio of medians.
 */
export async function warmOverhead(options: WarmOptions): Promise<Section> {
  const slots = layout(DEPENDENCIES, SERVICES)
  const services = servicesOf(slots)
  const registry = staticRegistry(tableOf(slots))
  const logger = countingLogger()
  // A TTL far longer than the run: this measures the all-cached path only.
  const resolver = createResolver({ registry, ttlMs: 3_600_000, logger })
  await resolver.prefetch(Object.values(services))

  const hard = hardCoded(slots)
  const plain = asHandler(middy<BenchEvent, BenchResult>().handler(async (event) => body(event, hard)))
  const withCloudMap = asHandler(
    middy<BenchEvent, BenchResult>()
      .use(cloudMap({ services, resolver }))
      .handler(async (event, context) => body(event, servicesFrom(context))),
  )
  // The floor for any middleware with a before and an after hook: Middy's own plumbing.
  const noop = () => undefined
  const empty = asHandler(
    middy<BenchEvent, BenchResult>()
      .use({ before: noop, after: noop, onError: noop })
      .handler(async (event) => body(event, hard)),
  )
  const naive = asHandler(
    middy<BenchEvent, BenchResult>()
      .use(naiveMiddleware(services, resolver))
      .handler(async (event, context) => body(event, servicesFrom(context))),
  )

  // The three must give the same answer, or the comparison means nothing.
  const expected = JSON.stringify(await plain(EVENT, lambdaContext()))
  for (const [name, handler] of [
    ['cloudMap', withCloudMap],
    ['naive', naive],
  ] as const) {
    const got = JSON.stringify(await handler(EVENT, lambdaContext()))
    if (got !== expected) throw new Error(`warm: the ${name} handler answered ${got}, not ${expected}`)
  }

  const callsBefore = [...registry.calls.values()].reduce((a, b) => a + b, 0)
  // What the middleware's warm `before` does, on its own: no Middy, no handler.
  const set = defineServices(services)
  const batch = options.batch
  // A new context per invocation, as the Lambda runtime passes: the middleware writes `services` on it.
  const invocations = (handler: Handler) => async () => {
    for (let n = 0; n < batch; n++) await handler(EVENT, lambdaContext())
  }
  const variants: ReadonlyArray<readonly [string, () => unknown]> = [
    ['hard-coded', invocations(plain)],
    ['cloudMap()', invocations(withCloudMap)],
    ['empty middleware', invocations(empty)],
    ['naive resolve()', invocations(naive)],
    [
      'resolveSync',
      () => {
        for (let n = 0; n < batch; n++) if (set.resolveSync(resolver) === NOT_READY) throw new Error('warm: resolveSync was not ready')
      },
    ],
  ]
  const perRound: Array<Record<string, number>> = []
  for (let round = 0; round < options.rounds; round++) {
    const bench = new Bench({ time: options.timeMs, warmupTime: Math.min(100, options.timeMs), iterations: 10, throws: true })
    // Rotate the order so no variant always runs first (JIT, GC debt from the previous one).
    for (let i = 0; i < variants.length; i++) {
      const [name, run] = variants[(i + round) % variants.length] as readonly [string, () => unknown]
      bench.add(name, run)
    }
    await bench.run()
    const medians: Record<string, number> = {}
    for (const task of bench.tasks) {
      const result = task.result
      if (result.state !== 'completed') throw new Error(`warm: task ${task.name} ended ${result.state}`)
      // tinybench reports ms per sample; one sample is `batch` invocations.
      medians[task.name] = (result.latency.p50 * 1e6) / options.batch
    }
    perRound.push(medians)
  }
  const callsDuring = [...registry.calls.values()].reduce((a, b) => a + b, 0) - callsBefore
  if (callsDuring !== 0) throw new Error(`warm: ${callsDuring} registry calls during the warm run; the cache was not warm`)

  const of = (name: string) => median(perRound.map((r) => r[name] as number))
  const ratioOf = (a: string, b: string) => median(perRound.map((r) => (r[a] as number) / (r[b] as number)))
  const cloudVsPlain = ratioOf('cloudMap()', 'hard-coded')
  const emptyVsPlain = ratioOf('empty middleware', 'hard-coded')
  const naiveVsPlain = ratioOf('naive resolve()', 'hard-coded')
  const naiveVsCloud = ratioOf('naive resolve()', 'cloudMap()')
  const spread = perRound.map((r) => ratio((r['cloudMap()'] as number) / (r['hard-coded'] as number))).join(', ')

  return {
    title: '1. Warm overhead (Middy 7, 10 dependencies on 5 services, all cached)',
    rows: [
      {
        figure: 'cloudMap() vs hard-coded ARNs',
        measured: ratio(cloudVsPlain),
        target: '≤ 1.10×',
        met: cloudVsPlain <= 1.1,
        detail: `${duration(of('cloudMap()'))} vs ${duration(of('hard-coded'))} per invocation; rounds: ${spread}`,
      },
      {
        figure: 'empty before/after middleware vs hard-coded ARNs',
        measured: ratio(emptyVsPlain),
        detail: `${duration(of('empty middleware'))} per invocation: the floor any middleware with these hooks pays in Middy`,
      },
      {
        figure: 'of which defineServices().resolveSync(), alone',
        measured: duration(of('resolveSync')),
        detail: `${Math.round((of('resolveSync') / (of('cloudMap()') - of('hard-coded'))) * 100)} % of the ${duration(of('cloudMap()') - of('hard-coded'))} cloudMap() adds: ten cached lookups (one clock read in all) and the services object`,
      },
      {
        figure: 'naive await resolve() ×10 vs hard-coded ARNs',
        measured: ratio(naiveVsPlain),
        detail: `${duration(of('naive resolve()'))} per invocation`,
      },
      {
        figure: 'naive await resolve() ×10 vs cloudMap()',
        measured: ratio(naiveVsCloud),
        detail: 'how much the synchronous warm path saves',
      },
    ],
    notes: [
      `${options.rounds} rounds × ${variants.length} tasks, tinybench ${options.timeMs} ms per variant per round, ${options.batch} sequential invocations per sample; ratio = median over rounds of (median cloudMap() / median hard-coded) of the same round.`,
      'Every handler is `async`, gets a new Lambda-like context per invocation (with `getRemainingTimeInMillis`, so Middy arms its early-timeout timer as in Lambda) and runs the same body (JSON answer from three dependencies); they were checked to answer identically.',
      'The registry was not called during the measured rounds (checked), so this is the all-cached path only.',
    ],
  }
}
