import { fileURLToPath } from 'node:url'
import type { ServiceDiscoveryClientConfig } from '@aws-sdk/client-servicediscovery'
import { createResolver, instance } from '@cloudmap-middy/core'
import { clearCache, staticRegistry } from '@cloudmap-middy/core/testing'
import { runSelf } from './lib/child.js'
import { installFakeClock } from './lib/clock.js'
import { NAMESPACE } from './lib/fixtures.js'
import type { Section } from './lib/report.js'
import { countingLogger } from './lib/silent.js'
import { count } from './lib/stats.js'

export interface MemoryOptions {
  /** Resolvers created with a `clientConfig`, each resolving one dependency, then dropped. */
  readonly resolvers: number
  /** Distinct query keys resolved once each, then left to expire. */
  readonly keys: number
}

/** Heap figures are bytes of `heapUsed` after full collections. */
interface Round {
  readonly before: number
  readonly after: number
  readonly calls: number
}

/** What the child process measured. */
interface Measured {
  /** (a) Resolvers dropped, with distinct and with equal configurations: a first round, then the measured one. */
  readonly distinct: { readonly first: Round; readonly second: Round }
  readonly equal: { readonly first: Round; readonly second: Round }
  /** (b) Expired keys: heap with the first wave fresh, after it was pruned, and after a second wave was pruned. */
  readonly keys: {
    readonly before: number
    readonly filled: number
    readonly pruned: number
    readonly again: number
    readonly calls: number
  }
  /** (c) DiscoverInstances calls of two resolvers with equal configurations. */
  readonly twoResolvers: { readonly calls: number }
}

const TARGET_MB = 1
const MAX_STALE_MS = 900_000

/**
 * Cloud Map's side of the SDK, in memory: the SDK builds, signs and parses every request as it
 * would over the network, with no socket (a pooled socket would stay in the heap being measured).
 */
function inMemoryCloudMap() {
  let calls = 0
  const body = new TextEncoder().encode(
    JSON.stringify({
      Instances: [{ InstanceId: 'i0', Attributes: { type: 'http', url: 'https://i0.svc0.internal/' } }],
      InstancesRevision: 1,
    }),
  )
  const requestHandler = {
    async handle() {
      calls += 1
      return { response: { statusCode: 200, headers: { 'content-type': 'application/x-amz-json-1.1' }, body } }
    },
  }
  return { requestHandler, calls: () => calls }
}

/** `heapUsed` once everything unreachable is gone; the waits let WeakRefs clear and finalizers run between collections. */
async function settledHeap(): Promise<number> {
  const gc = globalThis.gc
  if (!gc) throw new Error('memory: run with --expose-gc')
  for (let i = 0; i < 4; i++) {
    await new Promise((resolve) => setImmediate(resolve))
    gc()
  }
  return process.memoryUsage().heapUsed
}

async function measure(options: MemoryOptions): Promise<Measured> {
  const cloudMap = inMemoryCloudMap()
  const logger = countingLogger()
  const dependency = instance(`${NAMESPACE}.svc0`)
  const config = (more: ServiceDiscoveryClientConfig = {}): ServiceDiscoveryClientConfig => ({
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
    requestHandler: cloudMap.requestHandler,
    ...more,
  })
  const round = async (configOf: (i: number) => ServiceDiscoveryClientConfig): Promise<Round> => {
    clearCache()
    const before = await settledHeap()
    const callsBefore = cloudMap.calls()
    for (let i = 0; i < options.resolvers; i++) {
      await createResolver({ clientConfig: configOf(i), logger }).resolve(dependency)
    }
    return { before, after: await settledHeap(), calls: cloudMap.calls() - callsBefore }
  }

  // (a) Resolvers made with a clientConfig, each resolving one dependency, then dropped. Twice: what the
  // first round leaves is the process's, once (code compiled, tables grown); the second shows what resolvers keep.
  const distinct = {
    first: await round((i) => config({ customUserAgent: `first-${i}` })),
    second: await round((i) => config({ customUserAgent: `second-${i}` })),
  }
  const equal = { first: await round(() => config({ maxAttempts: 2 })), second: await round(() => config({ maxAttempts: 3 })) }

  // (b) Distinct query keys resolved once and never again, then the cache used past maxStale; then a second wave.
  clearCache()
  const clock = installFakeClock()
  let keys: Measured['keys']
  try {
    const registry = staticRegistry({ [`${NAMESPACE}.svc0`]: { i0: { type: 'http', url: 'https://i0.svc0.internal/' } } })
    const resolver = createResolver({ registry, logger, maxStaleMs: MAX_STALE_MS })
    const wave = async (first: number) => {
      for (let i = first; i < first + options.keys; i++) {
        await resolver.resolve(instance(`${NAMESPACE}.svc0`, { optionalParameters: { shard: String(i) } }))
      }
      const filled = await settledHeap()
      clock.now += MAX_STALE_MS + 60_000
      await resolver.resolve(dependency)
      return filled
    }
    await resolver.resolve(dependency)
    const before = await settledHeap()
    const filled = await wave(0)
    const pruned = await settledHeap()
    await wave(options.keys)
    const again = await settledHeap()
    keys = { before, filled, pruned, again, calls: registry.calls.get(`${NAMESPACE}.svc0`) ?? 0 }
  } finally {
    clock.restore()
  }

  // (c) Two resolvers with equal (separately built) configurations, one after the other.
  clearCache()
  const callsBefore = cloudMap.calls()
  await createResolver({ clientConfig: config({ maxAttempts: 2 }), logger }).resolve(dependency)
  await createResolver({ clientConfig: { maxAttempts: 2, ...config() }, logger }).resolve(dependency)
  return { distinct, equal, keys, twoResolvers: { calls: cloudMap.calls() - callsBefore } }
}

const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`
const grown = (from: number, to: number) => Math.max(0, to - from)
const retained = (round: Round) => grown(round.before, round.after)

/**
 * Memory: what resolvers and cache entries nobody uses any more leave in the heap. Runs in
 * a child process started with `--expose-gc`, so each figure is `heapUsed` after full
 * collections, against a baseline taken the same way just before.
 */
export async function memory(options: MemoryOptions): Promise<Section> {
  const { distinct, equal, keys, twoResolvers } = runSelf(import.meta.url, {
    flags: ['--expose-gc'],
    env: { BENCH_MEMORY: JSON.stringify(options) },
    name: 'memory: the measuring process',
  }) as Measured
  const resolvers = count(options.resolvers)
  const fresh = grown(keys.before, keys.filled)
  const afterPruning = grown(keys.before, keys.pruned)
  const secondWave = grown(keys.pruned, keys.again)
  const dropped = (kind: string, figures: { readonly first: Round; readonly second: Round }) => ({
    figure: `${resolvers} resolvers, ${kind} clientConfig, dropped: heap retained`,
    measured: mb(retained(figures.second)),
    target: `≤ ${TARGET_MB} MB`,
    met: retained(figures.second) <= TARGET_MB * 2 ** 20,
    detail: `${mb(figures.second.before)} before, ${mb(figures.second.after)} after; ${count(figures.second.calls)} DiscoverInstances; the process's first round left ${mb(retained(figures.first))}`,
  })
  return {
    title: `6. Memory (${resolvers} resolvers dropped; ${count(options.keys)} query keys expired)`,
    rows: [
      dropped('distinct', distinct),
      dropped('equal', equal),
      {
        figure: `${count(options.keys)} expired query keys, cache used past maxStale: heap retained`,
        measured: mb(afterPruning),
        target: '≤ 10 % of the fresh entries',
        met: afterPruning <= fresh / 10,
        detail: `the ${count(options.keys)} entries took ${mb(fresh)} while fresh; what stays is the resolver's lookup tables, sized for that peak and reused`,
      },
      {
        figure: `a second wave of ${count(options.keys)} new keys, expired and pruned: heap added`,
        measured: mb(secondWave),
        target: `≤ ${TARGET_MB} MB`,
        met: secondWave <= TARGET_MB * 2 ** 20,
        detail: `bounded: new keys reuse what the first wave grew; ${count(keys.calls)} registry calls in both waves`,
      },
      {
        figure: 'DiscoverInstances calls, two resolvers with equal clientConfig',
        measured: count(twoResolvers.calls),
        target: '1',
        met: twoResolvers.calls === 1,
        detail: 'createResolver({ clientConfig }) twice, with equal configurations built separately, each resolving the same dependency',
      },
    ],
    notes: [
      'Heap = `process.memoryUsage().heapUsed` after four `gc()` calls a macrotask apart (node --expose-gc, in a child process); retained = after − before, each against its own baseline. 1 MB = 2^20 bytes.',
      'Resolvers use `clientConfig` with a `requestHandler` that answers DiscoverInstances in memory: the SDK client, its middleware and signing run as in Lambda, without sockets. Each resolver is created, resolves one dependency and is dropped. "Distinct" configurations differ in `customUserAgent`. Each case runs twice and the second round is the figure: the first also pays what a process grows once (compiled code, hash tables), shown in the detail.',
      `Expired keys: one resolver on a static registry (maxStale ${MAX_STALE_MS / 60_000} min), each key a distinct \`optionalParameters\`; the clock is then moved past maxStale and one more dependency is resolved, which prunes.`,
    ],
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const options = JSON.parse(process.env.BENCH_MEMORY ?? '{"resolvers":300,"keys":2000}') as MemoryOptions
  process.stdout.write(`${JSON.stringify(await measure(options))}\n`)
}
