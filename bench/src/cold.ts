import { DiscoverInstancesCommand, type ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery'
import { clearCache, createCloudMapClient, createResolver } from '@cloudmap-middy/core'
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
import type { Section } from './lib/report.js'
import { spawnDiscoverServer } from './lib/server.js'
import { countingLogger } from './lib/silent.js'
import { median, ms, ratio } from './lib/stats.js'

export interface ColdOptions {
  readonly runs: number
  /** How long the loopback server waits before answering, ms. */
  readonly delayMs: number
}

const DEPENDENCIES = 10

async function roundTrip(client: ServiceDiscoveryClient): Promise<number> {
  const started = performance.now()
  await client.send(new DiscoverInstancesCommand({ NamespaceName: NAMESPACE, ServiceName: 'svc0', HealthStatus: 'HEALTHY_OR_ELSE_ALL' }))
  return performance.now() - started
}

/**
 * Cold start: ten dependencies on ten services behind a loopback Cloud Map that
 * answers after `delayMs`. Each run starts from an empty cache and a new SDK
 * client (as a new Lambda container does), and times `cloudMap()` until the
 * handler body runs; the round trip is one DiscoverInstances through that same
 * client afterwards. The baseline resolves the ten one after another.
 */
export async function coldStart(options: ColdOptions): Promise<Section> {
  const slots = layout(DEPENDENCIES, DEPENDENCIES)
  const services = servicesOf(slots)
  const dependencies = Object.values(services)
  const server = await spawnDiscoverServer(tableOf(slots), options.delayMs)
  const clientConfig = {
    endpoint: server.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
  }
  const logger = countingLogger()
  const clients: ServiceDiscoveryClient[] = []
  // The resolver gets the client made by the same function `clientConfig` goes through, so the round trip can be timed on it.
  const freshClient = () => {
    const client = createCloudMapClient(clientConfig)
    clients.push(client)
    return client
  }

  const withCloudMap = async () => {
    clearCache()
    const client = freshClient()
    const resolver = createResolver({ client, logger })
    const requestsBefore = await server.requests()
    let reached = Number.NaN
    const started = performance.now()
    const handler = asHandler(
      middy<BenchEvent, BenchResult>()
        .use(cloudMap({ services, resolver }))
        .handler(async (event, context) => {
          reached = performance.now()
          return body(event, servicesFrom(context))
        }),
    )
    await handler(EVENT, lambdaContext())
    const elapsed = reached - started
    const requests = (await server.requests()) - requestsBefore
    const trips = [await roundTrip(client), await roundTrip(client), await roundTrip(client)]
    client.destroy()
    return { elapsed, requests, rtt: median(trips) }
  }

  const oneAfterAnother = async () => {
    clearCache()
    const client = freshClient()
    const resolver = createResolver({ client, logger })
    const started = performance.now()
    for (const dependency of dependencies) await resolver.resolve(dependency)
    const elapsed = performance.now() - started
    client.destroy()
    return elapsed
  }

  // The SDK's own floor: the ten requests in parallel on a new client, no library, no binding.
  const rawParallel = async () => {
    const client = freshClient()
    const started = performance.now()
    await Promise.all(
      slots.map((slot) =>
        client.send(
          new DiscoverInstancesCommand({ NamespaceName: NAMESPACE, ServiceName: slot.service, HealthStatus: 'HEALTHY_OR_ELSE_ALL' }),
        ),
      ),
    )
    const elapsed = performance.now() - started
    client.destroy()
    return elapsed
  }

  // One dependency on a new client: the least any cold start can cost, SDK set-up included.
  const firstCall = async () => {
    const client = freshClient()
    const elapsed = await roundTrip(client)
    client.destroy()
    return elapsed
  }

  try {
    // Untimed: the first request of the process loads the SDK's lazily imported modules.
    await withCloudMap()
    await oneAfterAnother()
    await rawParallel()

    const cold: number[] = []
    const coldRatios: number[] = []
    const sequential: number[] = []
    const sequentialRatios: number[] = []
    const first: number[] = []
    const raw: number[] = []
    const rtts: number[] = []
    const requestCounts: number[] = []
    for (let run = 0; run < options.runs; run++) {
      // Alternate which variant runs first.
      const order = run % 2 === 0 ? ['cloudMap', 'sequential', 'raw'] : ['raw', 'sequential', 'cloudMap']
      let rtt = Number.NaN
      let seq = Number.NaN
      for (const variant of order) {
        if (variant === 'cloudMap') {
          const result = await withCloudMap()
          cold.push(result.elapsed)
          requestCounts.push(result.requests)
          rtt = result.rtt
          rtts.push(rtt)
        } else if (variant === 'sequential') {
          seq = await oneAfterAnother()
          sequential.push(seq)
        } else {
          raw.push(await rawParallel())
        }
      }
      coldRatios.push((cold.at(-1) as number) / rtt)
      sequentialRatios.push(seq / rtt)
      first.push(await firstCall())
    }
    if (process.env.BENCH_DEBUG) console.error({ cold, sequential, rtts, first, raw })
    const coldRatio = median(coldRatios)
    const firstRatio = median(cold) / median(first)
    const extraRequests = requestCounts.filter((n) => n !== DEPENDENCIES)
    return {
      title: `2. Cold start (10 dependencies on 10 services, loopback Cloud Map answering after ${options.delayMs} ms)`,
      rows: [
        {
          figure: 'cloudMap() to handler body vs one round trip',
          measured: ratio(coldRatio),
          target: '≤ 1.30×',
          met: coldRatio <= 1.3,
          detail: `${ms(median(cold))} vs ${ms(median(rtts))} (one DiscoverInstances on the same, warmed client); per-run ratios ${ratio(Math.min(...coldRatios))} to ${ratio(Math.max(...coldRatios))}`,
        },
        {
          figure: 'resolving one after another vs one round trip',
          measured: ratio(median(sequentialRatios)),
          detail: `${ms(median(sequential))}; cloudMap() is ${ratio(median(sequential) / median(cold))} faster`,
        },
        {
          figure: 'cloudMap() vs 10 raw parallel DiscoverInstances',
          measured: ratio(median(cold) / median(raw)),
          detail: `${ms(median(cold))} vs ${ms(median(raw))} (Promise.all on a new client, no library): the SDK's own floor`,
        },
        {
          figure: 'cloudMap() vs one DiscoverInstances on a new client',
          measured: ratio(firstRatio),
          detail: `${ms(median(cold))} vs ${ms(median(first))}: the first request of a client also pays its set-up`,
        },
      ],
      notes: [
        `${options.runs} runs (plus one untimed warm-up), cache cleared and a new SDK client for every run and variant; the variants alternate their order; median of per-run ratios.`,
        'Timed from the `cloudMap()` call (prefetch starts there, as at module load) until the handler body runs, the first invocation following at once.',
        `DiscoverInstances requests per cloudMap() cold start: ${extraRequests.length === 0 ? `${DEPENDENCIES} every run (one per service)` : `not always ${DEPENDENCIES}: ${requestCounts.join(', ')}`}.`,
        'The resolver is given `client: createCloudMapClient(clientConfig)` (what `createResolver({ clientConfig })` does inside, disableHostPrefix included) so the round trip is timed on the very same client.',
      ],
    }
  } finally {
    for (const client of clients) client.destroy()
    await server.close()
  }
}
