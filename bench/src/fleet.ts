import { ServiceDiscoveryClient, type ServiceDiscoveryClientConfig } from '@aws-sdk/client-servicediscovery'
import { createCloudMapClient, createResolver, type ResolverOptions } from '@cloudmap-middy/core'
import { clearCache } from '@cloudmap-middy/core/testing'
import { cloudMap } from '@cloudmap-middy/middy'
import middy from '@middy/core'
import {
  asHandler,
  type BenchEvent,
  type BenchResult,
  body,
  EVENT,
  lambdaContext,
  layout,
  NAMESPACE,
  servicesFrom,
  servicesOf,
  tableOf,
} from './lib/fixtures.js'
import type { Row, Section } from './lib/report.js'
import { discoverAnswer, type Table } from './lib/server.js'
import { countingLogger } from './lib/silent.js'
import { count, median, ms, percent, ratio } from './lib/stats.js'

/**
 * 7. A fleet deploy: `containers` Lambda containers cold-start within `spreadMs`, each with its
 * own SDK client, registry and cache (nothing shared between containers), each declaring
 * `services` services, against one account's DiscoverInstances quota: a token bucket of
 * `burst` tokens refilled at `rate` per second (Cloud Map: 1,000 TPS, burst 2,000; scaled here).
 * Each container's first invocation has `budgetMs` for discovery.
 */
export interface FleetOptions {
  readonly containers: number
  /** A fleet larger than the quota can serve in the budget, to see how close to the limit it gets. */
  readonly overload: number
  readonly services: number
  /** Tokens per second. */
  readonly rate: number
  readonly burst: number
  readonly budgetMs: number
  readonly spreadMs: number
  /** Deploys simulated per variant (one random seed each); figures pool them. */
  readonly seeds: number
  /**
   * Deploys for the headline figure (the library and the behaviour before, at `containers`):
   * more than `seeds`, as its target (99.9 %) allows one failure in a thousand, which three
   * deploys of 200 containers cannot tell from luck. Default: `seeds`.
   */
  readonly headlineSeeds?: number
  /** Also the SDK retry settings and request timeouts side by side, and fleet sizes around the limit. */
  readonly sweep: boolean
}

/** Share of requests Cloud Map never answers, in the request-timeout comparison of the sweep. */
const LOSS = 0.01

/** The rest of init after `.use()` (where the prefetch starts) until the runtime calls the handler. */
const INIT_TO_INVOKE_MS = 10
/** The middleware's default `timeoutMarginMs`: the Lambda has this much more than the discovery budget. */
const MARGIN_MS = 500
/** Cloud Map's answer time: an accepted DiscoverInstances, a throttled one. Uniform in [min, max). */
const LATENCY_MS = { accepted: [15, 35], throttled: [5, 15] } as const
const START = 1_700_000_000_000

// ---------------------------------------------------------------------------------------------
// Virtual time. Everything the library, the middleware, Middy and the SDK read as time or wait
// on goes through Date.now, setTimeout/clearTimeout and AbortSignal.timeout, all replaced here
// for the run; promises run for real. The clock jumps to the next timer once every promise
// chain has settled, so a run is independent of the machine's speed and load, and Math.random
// is seeded, so a seed gives the same deploy every time.
// ---------------------------------------------------------------------------------------------

interface VirtualTimer {
  readonly at: number
  readonly seq: number
  readonly run: () => void
  cancelled: boolean
}

/** A min-heap of timers by due time, then by creation order (as Node runs timers due together). */
class TimerQueue {
  readonly #heap: VirtualTimer[] = []

  get size(): number {
    return this.#heap.length
  }

  push(timer: VirtualTimer): void {
    const heap = this.#heap
    heap.push(timer)
    let i = heap.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(heap[i] as VirtualTimer, heap[parent] as VirtualTimer)) break
      ;[heap[i], heap[parent]] = [heap[parent] as VirtualTimer, heap[i] as VirtualTimer]
      i = parent
    }
  }

  pop(): VirtualTimer | undefined {
    const heap = this.#heap
    const top = heap[0]
    const last = heap.pop()
    if (heap.length > 0 && last) {
      heap[0] = last
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        const right = left + 1
        let least = i
        if (left < heap.length && before(heap[left] as VirtualTimer, heap[least] as VirtualTimer)) least = left
        if (right < heap.length && before(heap[right] as VirtualTimer, heap[least] as VirtualTimer)) least = right
        if (least === i) break
        ;[heap[i], heap[least]] = [heap[least] as VirtualTimer, heap[i] as VirtualTimer]
        i = least
      }
    }
    return top
  }
}

function before(a: VirtualTimer, b: VirtualTimer): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}

/** mulberry32: a small seeded generator, for Math.random during a run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const settled = () => new Promise<void>((resolve) => setImmediate(resolve))

class VirtualTime {
  now = START
  /** Timers run so far (a measure of the simulation's work). */
  fired = 0
  readonly #queue = new TimerQueue()
  #seq = 0

  schedule(delay: number, run: () => void): VirtualTimer {
    // As Node: a delay below 1 ms (or not a number) is 1 ms; whole milliseconds, as Date.now() reads them.
    // Infinity: never (the timer is only ever cancelled).
    const wait = delay === Number.POSITIVE_INFINITY ? delay : Number.isFinite(delay) && delay >= 1 ? Math.ceil(delay) : 1
    const timer: VirtualTimer = { at: this.now + wait, seq: this.#seq++, run, cancelled: false }
    this.#queue.push(timer)
    return timer
  }

  /** Runs timers in order until none is left, letting every promise chain settle before the clock moves. */
  async run(): Promise<void> {
    for (;;) {
      // Two turns of the event loop: microtasks, and anything they queued with setImmediate.
      await settled()
      await settled()
      let timer = this.#queue.pop()
      while (timer?.cancelled) timer = this.#queue.pop()
      if (!timer || timer.at === Number.POSITIVE_INFINITY) return
      this.now = timer.at
      this.fired += 1
      timer.run()
    }
  }
}

/** A handle as Node's setTimeout returns one, enough for the callers here (clearTimeout, unref). */
class TimerHandle {
  constructor(readonly timer: VirtualTimer) {}
  ref(): this {
    return this
  }
  unref(): this {
    return this
  }
  hasRef(): boolean {
    return true
  }
}

function installVirtualTime(seed: number): { readonly time: VirtualTime; restore(): void } {
  const time = new VirtualTime()
  const original = {
    now: Date.now,
    setTimeout: globalThis.setTimeout,
    clearTimeout: globalThis.clearTimeout,
    abortTimeout: AbortSignal.timeout,
    random: Math.random,
  }
  Date.now = () => time.now
  globalThis.setTimeout = ((callback: (...args: unknown[]) => void, delay?: number, ...args: unknown[]) =>
    new TimerHandle(time.schedule(delay ?? 0, () => callback(...args)))) as unknown as typeof setTimeout
  globalThis.clearTimeout = ((handle: unknown) => {
    if (handle instanceof TimerHandle) handle.timer.cancelled = true
    else original.clearTimeout(handle as Parameters<typeof clearTimeout>[0])
  }) as typeof clearTimeout
  AbortSignal.timeout = (delay: number) => {
    const controller = new AbortController()
    time.schedule(delay, () => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')))
    return controller.signal
  }
  Math.random = seeded(seed)
  return {
    time,
    restore() {
      Date.now = original.now
      globalThis.setTimeout = original.setTimeout
      globalThis.clearTimeout = original.clearTimeout
      AbortSignal.timeout = original.abortTimeout
      Math.random = original.random
    },
  }
}

// ---------------------------------------------------------------------------------------------
// One account's Cloud Map: DiscoverInstances behind a token bucket, as an SDK request handler,
// so every container's client (serialisation, signing, retry strategy) runs as deployed.
// ---------------------------------------------------------------------------------------------

interface Counts {
  accepted: number
  throttled: number
  /** Accepted, then abandoned by the client before the answer came (its timeout). */
  abandoned: number
  /** When the last request arrived. */
  lastAt: number
}

class TokenBucket {
  #tokens: number
  #last: number

  constructor(
    readonly burst: number,
    readonly rate: number,
    now: number,
  ) {
    this.#tokens = burst
    this.#last = now
  }

  take(now: number): boolean {
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) * this.rate) / 1000)
    this.#last = now
    if (this.#tokens < 1) return false
    this.#tokens -= 1
    return true
  }
}

interface WireRequest {
  readonly body?: unknown
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

function jsonResponse(statusCode: number, payload: unknown) {
  return {
    response: {
      statusCode,
      headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': 'fleet' },
      body: encoder.encode(JSON.stringify(payload)),
    },
  }
}

function fakeCloudMap(time: VirtualTime, bucket: TokenBucket, table: Table, counts: Counts, loss: number) {
  const uniform = ([min, max]: readonly [number, number]) => min + Math.random() * (max - min)
  return {
    async handle(request: WireRequest, options: { abortSignal?: AbortSignal } = {}) {
      const accepted = bucket.take(time.now)
      counts.lastAt = time.now
      if (accepted) counts.accepted += 1
      else counts.throttled += 1
      // A lost request (a dead connection): no answer until the client gives up on it.
      const lost = loss > 0 && Math.random() < loss
      const { abortSignal } = options
      await new Promise<void>((resolve, reject) => {
        const latency = lost ? Number.POSITIVE_INFINITY : uniform(accepted ? LATENCY_MS.accepted : LATENCY_MS.throttled)
        const timer = time.schedule(latency, () => {
          abortSignal?.removeEventListener('abort', onAbort)
          resolve()
        })
        const onAbort = () => {
          timer.cancelled = true
          if (accepted) counts.abandoned += 1
          reject(Object.assign(new Error('Request aborted'), { name: 'AbortError' }))
        }
        if (abortSignal?.aborted) onAbort()
        else abortSignal?.addEventListener('abort', onAbort, { once: true })
      })
      if (!accepted) return jsonResponse(400, { __type: 'RequestLimitExceeded', message: 'Rate exceeded' })
      const text = typeof request.body === 'string' ? request.body : decoder.decode(request.body as Uint8Array)
      const input = JSON.parse(text) as { NamespaceName: string; ServiceName: string }
      const instances = table[`${input.NamespaceName}.${input.ServiceName}`] ?? {}
      return jsonResponse(200, discoverAnswer(input, instances))
    },
  }
}

// ---------------------------------------------------------------------------------------------
// The deploy.
// ---------------------------------------------------------------------------------------------

/** How a container talks to Cloud Map: its client and its resolver's options. */
interface Variant {
  readonly name: string
  readonly client: (config: ServiceDiscoveryClientConfig) => ServiceDiscoveryClient
  readonly resolver: ResolverOptions
  /** Share of requests never answered. */
  readonly loss?: number
  /** Each container starts with the deploy-time snapshot of the registrations (CLOUDMAP_MIDDY_SNAPSHOT). */
  readonly snapshot?: boolean
}

const LIBRARY: Variant = {
  name: 'cloudMap()',
  client: (config) => createCloudMapClient(config),
  resolver: {},
}
/** The library with a deploy-time snapshot in every container (`grantServices(fn, services, { snapshot: true })`). */
const SNAPSHOT: Variant = { ...LIBRARY, name: 'cloudMap() with a snapshot', snapshot: true }
/** The behaviour before this change: one attempt per resolve, the SDK's default client, a 3 s request timeout. */
const BASELINE: Variant = {
  name: 'before',
  client: (config) => new ServiceDiscoveryClient(config),
  resolver: { retryBudgetMs: 0, requestTimeoutMs: 3_000 },
}
/** The retry settings of the Cloud Map client, and the request timeout, other than the defaults chosen. */
const ALTERNATIVES: readonly Variant[] = [
  {
    name: 'cloudMap() on a client with the SDK default retries (maxAttempts 3, standard)',
    client: (config) => new ServiceDiscoveryClient(config),
    resolver: {},
  },
  {
    name: 'cloudMap() on a client with maxAttempts 3, adaptive',
    client: (config) => new ServiceDiscoveryClient({ ...config, maxAttempts: 3, retryMode: 'adaptive' }),
    resolver: {},
  },
  {
    name: 'before, on a client with maxAttempts 3, adaptive',
    client: (config) => new ServiceDiscoveryClient({ ...config, maxAttempts: 3, retryMode: 'adaptive' }),
    resolver: BASELINE.resolver,
  },
  { ...LIBRARY, name: `cloudMap(), ${LOSS * 100} % of requests lost, requestTimeoutMs 1 s (default)`, loss: LOSS },
  {
    ...LIBRARY,
    name: `cloudMap(), ${LOSS * 100} % of requests lost, requestTimeoutMs 3 s (the default before)`,
    resolver: { requestTimeoutMs: 3_000 },
    loss: LOSS,
  },
]

interface Deploy {
  readonly containers: number
  /** Milliseconds from each first invocation's start to its handler body; NaN when it failed. */
  readonly times: readonly number[]
  readonly counts: Counts
  /** Virtual time from the deploy's start until the last request. */
  readonly spanMs: number
}

async function deploy(variant: Variant, options: FleetOptions, containers: number, seed: number): Promise<Deploy> {
  clearCache()
  const { time, restore } = installVirtualTime(seed)
  try {
    const slots = layout(options.services, options.services)
    const counts: Counts = { accepted: 0, throttled: 0, abandoned: 0, lastAt: START }
    const bucket = new TokenBucket(options.burst, options.rate, time.now)
    const table = tableOf(slots)
    const requestHandler = fakeCloudMap(time, bucket, table, counts, variant.loss ?? 0)
    if (variant.snapshot) {
      const services = Object.fromEntries(slots.map((slot) => [slot.service, table[`${NAMESPACE}.${slot.service}`]]))
      process.env.CLOUDMAP_MIDDY_SNAPSHOT = JSON.stringify({ v: 1, ns: { [NAMESPACE]: services } })
    }
    const logger = countingLogger()
    const times = new Array<number>(containers).fill(Number.NaN)
    const start = (i: number) => {
      // Init: a client, a resolver and a handler of its own; `.use()` starts the prefetch.
      const client = variant.client({
        region: 'us-east-1',
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' },
        requestHandler: requestHandler as NonNullable<ServiceDiscoveryClientConfig['requestHandler']>,
      })
      const resolver = createResolver({ client, logger, ...variant.resolver })
      let reached = Number.NaN
      const handler = asHandler(
        middy<BenchEvent, BenchResult>({ timeoutEarlyInMillis: 0 })
          .use(cloudMap({ services: servicesOf(slots), resolver }))
          .handler(async (event, context) => {
            reached = Date.now()
            return body(event, servicesFrom(context))
          }),
      )
      setTimeout(() => {
        const invoked = Date.now()
        const deadline = invoked + options.budgetMs + MARGIN_MS
        const context = { ...lambdaContext(), getRemainingTimeInMillis: () => deadline - Date.now() }
        handler(EVENT, context).then(
          () => {
            times[i] = reached - invoked
          },
          () => undefined,
        )
      }, INIT_TO_INVOKE_MS)
    }
    for (let i = 0; i < containers; i++) setTimeout(() => start(i), Math.random() * options.spreadMs)
    await time.run()
    return { containers, times, counts, spanMs: counts.lastAt - START }
  } finally {
    delete process.env.CLOUDMAP_MIDDY_SNAPSHOT
    restore()
  }
}

interface Pooled {
  readonly containers: number
  readonly runs: number
  /** First invocations that reached the handler body, all runs. */
  readonly succeeded: number
  readonly attempted: number
  /** Per run: the fewest that succeeded. */
  readonly worstSucceeded: number
  readonly accepted: number
  readonly maxAccepted: number
  readonly throttled: number
  readonly abandoned: number
  readonly p50: number
  readonly p99: number
  readonly spanMs: number
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number
}

async function pooled(variant: Variant, options: FleetOptions, containers: number, seeds = options.seeds): Promise<Pooled> {
  const deploys: Deploy[] = []
  for (let seed = 1; seed <= seeds; seed++) deploys.push(await deploy(variant, options, containers, seed))
  const ok = deploys.map((d) => d.times.filter((t) => Number.isFinite(t)))
  const times = ok.flat().sort((a, b) => a - b)
  return {
    containers,
    runs: deploys.length,
    succeeded: times.length,
    attempted: containers * deploys.length,
    worstSucceeded: Math.min(...ok.map((t) => t.length)),
    accepted: median(deploys.map((d) => d.counts.accepted)),
    maxAccepted: Math.max(...deploys.map((d) => d.counts.accepted)),
    throttled: median(deploys.map((d) => d.counts.throttled)),
    abandoned: median(deploys.map((d) => d.counts.abandoned)),
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    spanMs: median(deploys.map((d) => d.spanMs)),
  }
}

const share = (p: Pooled) => p.succeeded / p.attempted
const deploys = (p: Pooled) => `${p.runs} deploy${p.runs === 1 ? '' : 's'}`
const timing = (p: Pooled) => (p.succeeded === 0 ? 'none succeeded' : `p50 ${ms(p.p50)}, p99 ${ms(p.p99)}`)
const perDeploy = (p: Pooled) => count(Math.round(p.succeeded / p.runs))
const calls = (p: Pooled, services: number) =>
  `${count(p.accepted)} accepted (${ratio(p.accepted / (p.containers * services))} the minimum), ${count(p.throttled)} throttled`

/**
 * 7. A fleet deploy: success of first invocations and DiscoverInstances calls when many
 * containers cold-start at once against one account's quota, with this change's retries
 * and remembered failures vs one attempt per resolve (the behaviour before).
 */
export async function fleet(options: FleetOptions): Promise<Section> {
  const { containers, services, rate, burst, budgetMs } = options
  const minimum = containers * services
  const limit = Math.floor((burst + (rate * budgetMs) / 1000) / services)
  // One deploy at a time: each owns the clock while it runs.
  const ours = await pooled(LIBRARY, options, containers, options.headlineSeeds)
  const before = await pooled(BASELINE, options, containers, options.headlineSeeds)
  const overloaded = await pooled(LIBRARY, options, options.overload)
  const overloadedBefore = await pooled(BASELINE, options, options.overload)
  const overloadedSnapshot = await pooled(SNAPSHOT, options, options.overload)
  const sizes = options.sweep ? [0.8, 0.9, 1, 1.1].map((f) => Math.round(f * limit)) : []
  const sweep: Pooled[] = []
  for (const size of sizes) sweep.push(await pooled(LIBRARY, options, size))
  const atLimit = sweep[sizes.indexOf(limit)]
  const alternatives: Array<readonly [Variant, Pooled, Pooled]> = []
  for (const variant of options.sweep ? ALTERNATIVES : []) {
    alternatives.push([variant, await pooled(variant, options, containers), await pooled(variant, options, limit)])
  }
  const measured = [ours, ...sweep].sort((a, b) => a.containers - b.containers)
  const largest = Math.max(0, ...measured.filter((p) => share(p) >= 0.999).map((p) => p.containers))
  const short = measured.find((p) => p.containers > largest)
  const scale = 1_000 / rate

  const rows: Row[] = [
    {
      figure: 'cloudMap(): first invocations that succeed within the budget',
      before: percent(share(before)),
      measured: percent(share(ours)),
      target: '≥ 99.9 %',
      met: share(ours) >= 0.999,
      detail: `${count(ours.succeeded)} of ${count(ours.attempted)} over ${deploys(ours)} (the worst deploy: ${count(ours.worstSucceeded)} of ${count(containers)}); before: ${count(before.succeeded)} of ${count(before.attempted)}`,
    },
    {
      figure: 'cloudMap(): accepted DiscoverInstances calls',
      before: count(before.accepted),
      measured: count(ours.accepted),
      target: `≤ 1.5× the minimum (${count(minimum * 1.5)})`,
      met: ours.maxAccepted <= minimum * 1.5,
      detail: `${ratio(ours.accepted / minimum)} the minimum of ${count(minimum)} (containers × services); median of ${deploys(ours)}, the most ${count(ours.maxAccepted)}; before: ${ratio(before.accepted / minimum)} (its failed keys never got their answer)`,
    },
    {
      figure: 'cloudMap(): throttled DiscoverInstances calls',
      before: count(before.throttled),
      measured: count(ours.throttled),
      detail: `answered RequestLimitExceeded; a throttled call takes no token from the quota: it is what asking again within the budget costs (${ratio(ours.throttled / Math.max(1, before.throttled))} before's)`,
    },
    {
      figure: 'cloudMap(): time to first success (invocation start → handler body)',
      before: timing(before),
      measured: timing(ours),
      detail: `successful first invocations of every deploy pooled (about half the fleet gets the burst and answers in one round trip, so p50 falls on either side of that); the last DiscoverInstances of a deploy is sent ${ms(ours.spanMs)} after it starts (median; before: ${ms(before.spanMs)})`,
    },
    {
      figure: `demand over the limit (${count(options.overload)} containers): first invocations that succeed`,
      before: `${perDeploy(overloadedBefore)} (${percent(overloadedBefore.succeeded / overloadedBefore.runs / limit)} of the limit)`,
      measured: `${perDeploy(overloaded)} (${percent(overloaded.succeeded / overloaded.runs / limit)} of the limit)`,
      detail: `physical limit (burst + rate × budget) / services = (${count(burst)} + ${count(rate)} × ${budgetMs / 1000}) / ${services} = ${count(limit)} containers; ${percent(share(overloaded))} of the ${count(options.overload)} succeed (before: ${percent(share(overloadedBefore))}); ${calls(overloaded, services)}`,
    },
    {
      figure: `with snapshots (CLOUDMAP_MIDDY_SNAPSHOT), demand over the limit (${count(options.overload)} containers): first invocations that succeed`,
      measured: percent(share(overloadedSnapshot)),
      target: '100 %',
      met: overloadedSnapshot.succeeded === overloadedSnapshot.attempted,
      detail: `${count(overloadedSnapshot.succeeded)} of ${count(overloadedSnapshot.attempted)}; ${timing(overloadedSnapshot)}; the prefetch makes no request, each first use refreshes in the background: ${calls(overloadedSnapshot, services)}`,
    },
    ...sweep.map(
      (p): Row => ({
        figure: `cloudMap(), ${count(p.containers)} containers (${percent(p.containers / limit)} of the limit): first invocations that succeed`,
        measured: percent(share(p)),
        detail: `${count(p.succeeded)} of ${count(p.attempted)}; ${calls(p, services)}; ${timing(p)}`,
      }),
    ),
    ...alternatives.map(
      ([variant, p, full]): Row => ({
        figure: `${variant.name}: first invocations that succeed, ${count(containers)} / ${count(limit)} containers`,
        measured: `${percent(share(p))} / ${percent(share(full))}`,
        detail: `${count(containers)} containers: ${calls(p, services)}, ${timing(p)}; at the limit: ${count(full.succeeded)} of ${count(full.attempted)}, ${count(full.throttled)} throttled${atLimit ? ` (the defaults: ${percent(share(atLimit))}, ${count(atLimit.throttled)} throttled)` : ''}`,
      }),
    ),
    {
      figure: 'at the real quota (1,000 TPS, burst 2,000; 5 services, 6 s): containers that can deploy at once',
      measured: options.sweep ? count(largest * scale) : `≥ ${count(largest * scale)}`,
      detail: `on paper, from the fleets measured here × ${scale} (the quota is ${scale}× the one simulated; Cloud Map's latency is small against the budget, so the deploy scales with it): the largest fleet with ≥ 99.9 % of first invocations succeeding, ${count(largest)} here${short ? ` (${count(short.containers)}: ${count(short.succeeded)} of ${count(short.attempted)})` : ''}${options.sweep ? '' : ' (only that size was measured; the full run tries sizes up to the limit)'}. Physical limit (2,000 + 1,000 × 6) / 5 = 1,600`,
    },
  ]
  return {
    title: `7. Fleet deploy (${count(containers)} containers × ${services} services cold-starting within ${options.spreadMs / 1000} s, each with its own cache; one account's quota ${count(rate)} TPS, burst ${count(burst)}; ${budgetMs / 1000} s discovery budget per first invocation)`,
    rows,
    notes: [
      `Virtual time: Date.now, setTimeout/clearTimeout and AbortSignal.timeout are replaced for the run and the clock jumps to the next timer once every promise has settled; Math.random is seeded (seeds 1–${options.seeds}, pooled; 1–${options.headlineSeeds ?? options.seeds} for the first figure and its before). The figures do not depend on the machine's speed or load, and a seed replays the same deploy.`,
      `Each container: its own ServiceDiscoveryClient (the real SDK: serialisation, signing, retry strategy) and resolver, so its own registry and cache; \`middy().use(cloudMap({ services, resolver }))\` at init (the prefetch starts there), the first invocation ${INIT_TO_INVOKE_MS} ms later with getRemainingTimeInMillis = budget + ${MARGIN_MS} ms (the middleware's margin). Starts uniform over ${options.spreadMs / 1000} s.`,
      `Cloud Map: one token bucket for the account (${count(burst)} tokens, ${count(rate)}/s, full at the start) in the SDK's request handler; an accepted call answers in ${LATENCY_MS.accepted.join('–')} ms, a throttled one (RequestLimitExceeded, HTTP 400, no token taken) in ${LATENCY_MS.throttled.join('–')} ms. Calls are counted until the last request of the deploy settles, a prefetch still retrying after its invocation failed included.`,
      "cloudMap(): the defaults: a cold key retries a transient failure after 50–100 ms, doubling to 0.5–1 s, one request at a time per key, until the invocation's budget ends (the prefetch: 10 s); its client makes one attempt per request (maxAttempts 1); a request is abandoned after 1 s.",
      "Before: `retryBudgetMs: 0` (one attempt per resolve; the prefetch's and the invocation's share one flight) and `requestTimeoutMs: 3000` on a client with the SDK defaults (maxAttempts 3, standard: a throttled request is retried after a random 0–1 s, then 0–2 s).",
      'Over the limit, a container needs all five of its keys answered within its own budget, while the tokens go to whichever key asks when one is free: keys, not containers, share the quota, so fewer containers than the limit complete.',
    ],
  }
}
