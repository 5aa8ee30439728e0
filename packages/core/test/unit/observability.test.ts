import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger'
import { Metrics } from '@aws-lambda-powertools/metrics'
import { DiscoverInstancesCommand, RequestLimitExceeded, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { settleRefreshes } from '../../src/adapter.js'
import { CHANNELS, createResolver, defineServices, instance, METRICS, NOT_READY } from '../../src/index.js'
import { clearCache } from '../../src/testing/index.js'

process.env.AWS_REGION ??= 'us-east-1'

const cloudMap = mockClient(ServiceDiscoveryClient)
const client = new ServiceDiscoveryClient({ region: 'us-east-1' })
const answer = (service: string, ...ids: string[]) => ({
  Instances: ids.map((id) => ({ InstanceId: id, NamespaceName: 'prod', ServiceName: service, Attributes: { team: service } })),
  InstancesRevision: 1,
})
const throttled = () => new RequestLimitExceeded({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } })

// What Powertools prints: one JSON document per line on stdout and stderr (warnings), as in Lambda.
let printed: string[] = []
const lines = () => printed.flatMap((chunk) => chunk.split('\n')).filter((line) => line.startsWith('{'))
const documents = () => lines().map((line) => JSON.parse(line) as Record<string, unknown>)
const logLines = () => documents().filter((doc) => typeof doc.message === 'string')
const byMessage = (message: string) => logLines().filter((doc) => doc.message === message)
/** The metrics of the EMF documents printed so far, by name: a value, or the values added, as Powertools prints them. */
const emf = () => Object.assign({}, ...documents().filter((doc) => doc._aws !== undefined)) as Record<string, number | number[] | undefined>

let now = 1_700_000_000_000

beforeEach(() => {
  cloudMap.reset()
  clearCache()
  printed = []
  jest.spyOn(Date, 'now').mockImplementation(() => now)
  for (const stream of [process.stdout, process.stderr])
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk))
      return true
    })
})

afterEach(() => {
  jest.restoreAllMocks()
})

/** A resolver as a Powertools user sets it up, and a handler's two dependencies. */
function setup() {
  const logger = new PowertoolsLogger({ serviceName: 'checkout', logLevel: 'DEBUG' })
  const metrics = new Metrics({ namespace: 'shop', serviceName: 'checkout' })
  const resolver = createResolver({ client, logger, metrics, ttlMs: 60_000, maxStaleMs: 600_000 })
  const set = defineServices({ orders: instance('prod.orders'), pricing: instance('prod.pricing->p1') })
  return { logger, metrics, resolver, set }
}

describe('Observability: Powertools Logger and Metrics', () => {
  it('It should tell a cold start once per key and count a warm invocation in one value', async () => {
    // Prepare
    cloudMap.on(DiscoverInstancesCommand, { ServiceName: 'orders' }).resolves(answer('orders', 'o1'))
    cloudMap.on(DiscoverInstancesCommand, { ServiceName: 'pricing' }).resolves(answer('pricing', 'p1', 'p2'))
    const { metrics, resolver, set } = setup()

    // Act: the prefetch at init, the first invocation while it runs (it waits for the same requests), then two warm ones.
    const prefetch = set.prefetch(resolver)
    expect(set.resolveSync(resolver)).toBe(NOT_READY)
    await set.resolve(resolver)
    await prefetch
    metrics.publishStoredMetrics()
    const cold = emf()
    const misses = byMessage('cloudmap-middy: cache miss')
    const discovered = byMessage('cloudmap-middy: discovered')
    printed = []
    expect(set.resolveSync(resolver)).not.toBe(NOT_READY)
    expect(set.resolveSync(resolver)).not.toBe(NOT_READY)
    metrics.publishStoredMetrics()
    const warm = emf()

    // Assess: one miss and one discovery per key, as fields of stable messages.
    expect(misses.map((line) => line.address)).toEqual(['prod.orders', 'prod.pricing'])
    expect(misses[0]).toMatchObject({ level: 'DEBUG', service: 'checkout', reason: 'miss' })
    expect(discovered.map((line) => line.address)).toEqual(['prod.orders', 'prod.pricing'])
    expect(cold[METRICS.miss]).toEqual([1, 1])
    expect(cold[METRICS.hit]).toBeUndefined()
    expect(cold[METRICS.discoveryLatency]).toEqual([expect.any(Number), expect.any(Number)])
    expect(warm[METRICS.hit]).toEqual([2, 2])
    expect(warm[METRICS.miss]).toBeUndefined()
    // The EMF document declares every metric with its unit.
    const declared = (documents().find((doc) => doc._aws) as { _aws: { CloudWatchMetrics: [{ Metrics: unknown[] }] } })._aws
    expect(declared.CloudWatchMetrics[0].Metrics).toEqual([{ Name: METRICS.hit, Unit: 'Count' }])
  })

  it('It should log the discovery of a cold key with its instances and latency, each line once', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves(answer('orders', 'o1', 'o2'))
    const { resolver } = setup()

    await resolver.resolve(instance('prod.orders'))
    await resolver.resolve(instance('prod.orders'))

    expect(logLines().map((line) => line.message)).toEqual([
      'cloudmap-middy: cache miss',
      'cloudmap-middy: discovered',
      'cloudmap-middy: cache hit',
    ])
    expect(byMessage('cloudmap-middy: discovered')[0]).toMatchObject({
      address: 'prod.orders',
      instances: ['o1', 'o2'],
      durationMs: expect.any(Number),
    })
    expect(byMessage('cloudmap-middy: cache hit')[0]).toMatchObject({ address: 'prod.orders', ageMs: 0 })
  })

  it('It should count a stale answer and a throttled refresh, warning once with the facts as fields', async () => {
    // Prepare: warm, then past the TTL with Cloud Map throttling.
    cloudMap.on(DiscoverInstancesCommand).resolvesOnce(answer('orders', 'o1')).rejects(throttled())
    const { metrics, resolver } = setup()
    const single = defineServices({ orders: instance('prod.orders') })
    await single.resolve(resolver)
    metrics.clearMetrics()
    printed = []
    now += 61_000
    const stale: unknown[] = []
    const onStale = (message: unknown) => void stale.push(message)
    subscribe(CHANNELS.stale, onStale)

    // Act
    try {
      expect(single.resolveSync(resolver)).toMatchObject({ orders: { instanceId: 'o1' } })
      await settleRefreshes(1_000)
      expect(single.resolveSync(resolver)).toMatchObject({ orders: { instanceId: 'o1' } })
    } finally {
      unsubscribe(CHANNELS.stale, onStale)
    }
    metrics.publishStoredMetrics()

    // Assess
    const warnings = logLines().filter((line) => line.level === 'WARN')
    expect(warnings).toEqual([
      expect.objectContaining({
        message: 'cloudmap-middy: serving stale instances after a failed refresh',
        address: 'prod.orders',
        ageMs: 61_000,
        error: 'RequestLimitExceeded: Rate exceeded',
      }),
    ])
    // The failure is told by the warning, not again at debug.
    expect(byMessage('cloudmap-middy: discovery failed')).toEqual([])
    expect(byMessage('cloudmap-middy: stale answer served').map((line) => line.reason)).toEqual(['revalidating', 'refresh-failed'])
    const values = emf()
    expect(values[METRICS.stale]).toEqual([1, 1])
    expect(values[METRICS.refreshFailure]).toBe(1)
    expect(values[METRICS.throttle]).toBe(1)
    expect(values[METRICS.hit]).toBeUndefined()
    expect(stale).toEqual([
      { address: 'prod.orders', ageMs: 61_000, reason: 'revalidating' },
      { address: 'prod.orders', ageMs: 61_000, reason: 'refresh-failed' },
    ])
  })

  it('It should log a throttled attempt of a cold key at debug and count it, then the retry that succeeds', async () => {
    // Jest's clock: the retry's 50 ms backoff passes when the test moves it.
    jest.mocked(Date.now).mockRestore()
    jest.useFakeTimers({ now })
    jest.spyOn(Math, 'random').mockReturnValue(0)
    cloudMap.on(DiscoverInstancesCommand).rejectsOnce(throttled()).resolves(answer('orders', 'o1'))
    const { metrics, resolver } = setup()

    const resolving = resolver.resolve(instance('prod.orders'))
    await jest.advanceTimersByTimeAsync(50)
    const resolved = await resolving
    jest.useRealTimers()
    metrics.publishStoredMetrics()

    expect(resolved.instanceId).toBe('o1')
    expect(byMessage('cloudmap-middy: discovery failed')).toEqual([
      expect.objectContaining({
        level: 'DEBUG',
        address: 'prod.orders',
        attempt: 1,
        error: 'RequestLimitExceeded',
        transient: true,
        throttled: true,
        retryInMs: 50,
      }),
    ])
    expect(byMessage('cloudmap-middy: cache miss')).toHaveLength(1)
    expect(logLines().filter((line) => line.level === 'WARN')).toEqual([])
    const values = emf()
    expect(values[METRICS.throttle]).toBe(1)
    expect(values[METRICS.refreshFailure]).toBe(1)
    expect(values[METRICS.miss]).toBe(1)
  })
})

describe('Observability: diagnostics channels', () => {
  it('It should publish discovery start and end, the refresh and a dropped instance, only to subscribers', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves({
      Instances: [
        { InstanceId: 'good', Attributes: { type: 'lambda', arn: 'arn:aws:lambda:us-east-1:123456789012:function:good' } },
        { InstanceId: 'bad', Attributes: { type: 'sqs' } },
      ],
    })
    const events: Array<[string, unknown]> = []
    const listeners = Object.values(CHANNELS).map((name) => [name, (message: unknown) => void events.push([name, message])] as const)
    for (const [name, listener] of listeners) subscribe(name, listener)
    try {
      const resolver = createResolver({ client, logger: { warn: () => undefined } })
      const { lambda } = await import('../../src/index.js')
      await resolver.resolve(lambda('prod.jobs'))
    } finally {
      for (const [name, listener] of listeners) unsubscribe(name, listener)
    }

    const base = { address: 'prod.jobs', namespace: 'prod', service: 'jobs', reason: 'miss' }
    expect(events).toEqual([
      [CHANNELS.discoveryStart, base],
      [CHANNELS.discoveryEnd, { ...base, durationMs: expect.any(Number), instances: 2 }],
      [CHANNELS.refresh, { ...base, attempt: 1, outcome: 'changed', durationMs: expect.any(Number) }],
      [
        CHANNELS.instanceDropped,
        { address: 'prod.jobs', instanceId: 'bad', error: expect.objectContaining({ name: 'InstanceTypeMismatchError' }) },
      ],
    ])
  })
})

describe('Observability: the call channel', () => {
  it("It should publish each call's address, kind, operation and outcome", async () => {
    const { LambdaClient, InvokeCommand } = await import('@aws-sdk/client-lambda')
    const { staticRegistry } = await import('../../src/testing/index.js')
    const { lambda } = await import('../../src/index.js')
    const lambdaMock = mockClient(LambdaClient)
    lambdaMock.on(InvokeCommand).resolvesOnce({ StatusCode: 202 }).rejects(throttled())
    const registry = staticRegistry({ 'prod.jobs': { run: { type: 'lambda', arn: 'arn:aws:lambda:us-east-1:123456789012:function:run' } } })
    const resolver = createResolver({
      registry,
      logger: { warn: () => undefined },
      clients: { lambda: new LambdaClient({ region: 'us-east-1' }) },
    })
    const jobs = await resolver.resolve(lambda('prod.jobs'))
    const calls: unknown[] = []
    const listener = (message: unknown) => void calls.push(message)
    subscribe(CHANNELS.call, listener)
    try {
      await jobs.invoke({ id: '1' })
      await jobs.invoke({ id: '2' }).catch(() => undefined)
    } finally {
      unsubscribe(CHANNELS.call, listener)
      lambdaMock.restore()
    }
    const call = {
      address: 'prod.jobs',
      namespace: 'prod',
      service: 'jobs',
      kind: 'lambda',
      operation: 'Invoke',
      durationMs: expect.any(Number),
    }
    expect(calls).toEqual([
      { ...call, outcome: 'ok' },
      { ...call, outcome: 'error', error: expect.objectContaining({ name: 'RequestLimitExceeded' }) },
    ])
  })
})
