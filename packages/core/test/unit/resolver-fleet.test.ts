import {
  DiscoverInstancesCommand,
  RequestLimitExceeded,
  ServiceDiscoveryClient,
  ServiceDiscoveryServiceException,
} from '@aws-sdk/client-servicediscovery'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { settleRefreshes } from '../../src/adapter.js'
import {
  createCloudMapClient,
  createResolver,
  type DependencyResolutionError,
  DiscoveryError,
  defineServices,
  instance,
  NOT_READY,
} from '../../src/index.js'
import { clearCache } from '../../src/testing/index.js'

process.env.AWS_REGION ??= 'us-east-1'

// Time is Jest's fake clock: Date.now() and setTimeout move together, only when the test advances them.
const cloudMap = mockClient(ServiceDiscoveryClient)
const client = new ServiceDiscoveryClient({ region: 'us-east-1' })
const warnings: string[] = []
// A line as text: the stable message, then its fields.
const logger = { warn: (message: string, fields: object) => void warnings.push(`${message} ${JSON.stringify(fields)}`) }

const answer = (...ids: string[]) => ({
  Instances: ids.map((id) => ({ InstanceId: id, Attributes: { type: 'http', url: `https://${id}.example.com/` } })),
  InstancesRevision: 1,
})
const throttled = () => new RequestLimitExceeded({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } })
const accessDenied = () =>
  new ServiceDiscoveryServiceException({
    name: 'AccessDeniedException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    message: 'User is not authorized to perform: servicediscovery:DiscoverInstances',
  })
const discoverCalls = () => cloudMap.commandCalls(DiscoverInstancesCommand).length

/** A signal that aborts `ms` from now on the fake clock, as the middleware's does at the end of the Lambda's budget. */
function budget(ms: number): AbortSignal {
  const controller = new AbortController()
  setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms)
  return controller.signal
}

/** Settles `promise` while the fake clock runs `ms`; the value or the error, and when it settled. */
async function settle<T>(promise: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown; at: number }> {
  const started = Date.now()
  let outcome: { value?: T; error?: unknown; at: number } | undefined
  promise.then(
    (value) => {
      outcome = { value, at: Date.now() - started }
    },
    (error: unknown) => {
      outcome = { error, at: Date.now() - started }
    },
  )
  await jest.advanceTimersByTimeAsync(ms)
  if (!outcome) throw new Error(`still pending after ${ms} ms`)
  return outcome
}

beforeEach(() => {
  jest.useFakeTimers({ now: 1_700_000_000_000, doNotFake: ['nextTick', 'queueMicrotask'] })
  cloudMap.reset()
  clearCache()
  warnings.length = 0
})

afterEach(() => {
  jest.useRealTimers()
  jest.restoreAllMocks()
})

describe('Class: Resolver, cold keys under throttling', () => {
  it('It should resolve a cold key throttled twice within the budget, with 3 calls', async () => {
    // Prepare
    cloudMap.on(DiscoverInstancesCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves(answer('a'))
    const resolver = createResolver({ client, logger })

    // Act
    const { value, at } = await settle(resolver.resolve(instance('prod.web'), { signal: budget(6_000) }), 6_000)

    // Assess: the backoff before the 2nd and 3rd attempts is at most 100 ms and 200 ms.
    expect(value?.instanceId).toBe('a')
    expect(discoverCalls()).toBe(3)
    expect(at).toBeLessThanOrEqual(300)
  })

  it('It should make one request at a time for 50 concurrent cold resolves under throttling', async () => {
    // Prepare: each answer takes 20 ms; the first three are throttling errors.
    let inFlight = 0
    let most = 0
    let calls = 0
    cloudMap.on(DiscoverInstancesCommand).callsFake(async () => {
      calls += 1
      inFlight += 1
      most = Math.max(most, inFlight)
      await new Promise((resolve) => setTimeout(resolve, 20))
      inFlight -= 1
      if (calls <= 3) throw throttled()
      return answer('a')
    })
    const resolvers = [createResolver({ client, logger }), createResolver({ client, logger, ttlMs: 5_000 })]
    const signal = budget(6_000)

    // Act
    const all = Promise.all(Array.from({ length: 50 }, (_, i) => resolvers[i % 2]?.resolve(instance('prod.web'), { signal })))
    const { value } = await settle(all, 6_000)

    // Assess
    expect(value?.map((resolved) => resolved?.instanceId)).toEqual(Array(50).fill('a'))
    expect(most).toBe(1)
    expect(discoverCalls()).toBe(4)
  })

  it('It should end retries with the budget: a DiscoveryError naming the address, with the last throttling error', async () => {
    // Prepare: Math.random() in the middle, so each wait is three quarters of the backoff.
    jest.spyOn(Math, 'random').mockReturnValue(0.5)
    cloudMap.on(DiscoverInstancesCommand).rejects(throttled())
    const resolver = createResolver({ client, logger })

    // Act
    const { error, at } = await settle(resolver.resolve(instance('prod.web->a'), { signal: budget(1_500) }), 1_500)
    const callsAtTheEnd = discoverCalls()
    await jest.advanceTimersByTimeAsync(30_000)

    // Assess
    expect(error).toBeInstanceOf(DiscoveryError)
    expect(error).toMatchObject({ address: 'prod.web->a', transient: true })
    expect((error as Error).message).toBe('Cloud Map discovery of "prod.web->a" failed: RequestLimitExceeded: Rate exceeded')
    expect((error as Error).cause).toBeInstanceOf(RequestLimitExceeded)
    expect(at).toBe(1_500)
    // Attempts at 0, 75, 225, 525 and 1 125 ms; the next one would be at 1 875 ms. None once the caller is gone.
    expect(callsAtTheEnd).toBe(5)
    expect(discoverCalls()).toBe(callsAtTheEnd)
  })

  it('It should bound the retries of a prefetch, which has no signal, by retryBudgetMs', async () => {
    // Prepare
    cloudMap.on(DiscoverInstancesCommand).rejects(throttled())
    const resolver = createResolver({ client, logger, retryBudgetMs: 3_000 })

    // Act
    await settle(resolver.prefetch([instance('prod.web')]), 3_000)
    const calls = discoverCalls()
    await jest.advanceTimersByTimeAsync(60_000)

    // Assess: 100, 200, 400, 800, then 1.6 s and 2 s at most: 5 or more attempts in 3 s, none after it.
    expect(calls).toBeGreaterThanOrEqual(5)
    expect(discoverCalls()).toBe(calls)
  })

  it.each([
    ['smallest', 0, [50, 100, 200, 400, 500, 500, 500]],
    ['largest', 0.999_999, [100, 200, 400, 800, 1_000, 1_000, 1_000]],
  ])('It should wait half to all of a backoff doubling from 100 ms to 1 s between attempts (%s jitter)', async (_, random, expected) => {
    // Prepare
    jest.spyOn(Math, 'random').mockReturnValue(random)
    const times: number[] = []
    cloudMap.on(DiscoverInstancesCommand).callsFake(() => {
      times.push(Date.now())
      throw throttled()
    })
    const resolver = createResolver({ client, logger, retryBudgetMs: 10_000 }) // room for seven waits

    // Act
    await settle(
      resolver.resolve(instance('prod.web'), { signal: budget(1_000 + expected.reduce((a, b) => a + b)) }).catch(() => undefined),
      9_000,
    )

    // Assess
    const waits = times.slice(1).map((time, i) => Math.round((time - (times[i] as number)) / 10) * 10)
    expect(waits.slice(0, expected.length)).toEqual(expected)
  })

  it('It should let the next invocation wait out the backoff a failed one left, not ask at once', async () => {
    // Prepare
    jest.spyOn(Math, 'random').mockReturnValue(0.999_999)
    cloudMap.on(DiscoverInstancesCommand).rejectsOnce(throttled()).rejectsOnce(throttled()).resolves(answer('a'))
    const resolver = createResolver({ client, logger })
    const first = await settle(resolver.resolve(instance('prod.web'), { signal: budget(150) }), 150)

    // Act: the first failed at 100 ms (2nd attempt), its backoff runs to 300 ms.
    const second = await settle(resolver.resolve(instance('prod.web'), { signal: budget(1_000) }), 1_000)

    // Assess
    expect(first.error).toBeInstanceOf(DiscoveryError)
    expect(second.value?.instanceId).toBe('a')
    expect(second.at).toBe(150)
    expect(discoverCalls()).toBe(3)
  })

  it('It should make one attempt per resolve with retryBudgetMs 0, as without retries', async () => {
    // Prepare
    cloudMap.on(DiscoverInstancesCommand).rejectsOnce(throttled()).resolves(answer('a'))
    const resolver = createResolver({ client, logger, retryBudgetMs: 0 })

    // Act
    const first = await settle(resolver.resolve(instance('prod.web'), { signal: budget(6_000) }), 0)
    const second = await settle(resolver.resolve(instance('prod.web')), 0)

    // Assess
    expect(first.error).toBeInstanceOf(DiscoveryError)
    expect(second.value?.instanceId).toBe('a')
    expect(discoverCalls()).toBe(2)
  })
})

describe('Class: Resolver, remembered failures', () => {
  it('It should cost 1 call for AccessDenied twice in a row within the backoff', async () => {
    // Prepare
    cloudMap.on(DiscoverInstancesCommand).rejects(accessDenied())
    const resolver = createResolver({ client, logger })
    const dep = instance('prod.web->a')

    // Act
    const first = await settle(resolver.resolve(dep, { signal: budget(6_000) }), 0)
    await jest.advanceTimersByTimeAsync(500)
    const second = await settle(resolver.resolve(dep, { signal: budget(6_000) }), 0)

    // Assess
    expect(discoverCalls()).toBe(1)
    for (const { error } of [first, second]) {
      expect(error).toBeInstanceOf(DiscoveryError)
      expect(error).toMatchObject({ address: 'prod.web->a', transient: false })
      expect((error as Error).message).toContain('AccessDeniedException: User is not authorized')
    }
    expect(resolver.resolveSync(dep)).toBe(NOT_READY)
  })

  it('It should serve a success after the backoff, with one call for concurrent resolves', async () => {
    // Prepare
    cloudMap.on(DiscoverInstancesCommand).rejectsOnce(accessDenied()).resolves(answer('a'))
    const resolver = createResolver({ client, logger })
    const dep = instance('prod.web')
    await settle(resolver.resolve(dep), 0)

    // Act
    await jest.advanceTimersByTimeAsync(999)
    const during = await settle(resolver.resolve(dep), 0)
    await jest.advanceTimersByTimeAsync(1)
    const after = await settle(Promise.all([resolver.resolve(dep), resolver.resolve(dep), resolver.resolve(dep)]), 0)

    // Assess
    expect(during.error).toBeInstanceOf(DiscoveryError)
    expect(after.value?.map((resolved) => resolved.instanceId)).toEqual(['a', 'a', 'a'])
    expect(resolver.resolveSync(dep)).not.toBe(NOT_READY)
    expect(discoverCalls()).toBe(2)
  })

  it('It should double the backoff of a failure that persists, from 1 s to 30 s', async () => {
    // Prepare: one resolve every 100 ms for 2 minutes.
    cloudMap.on(DiscoverInstancesCommand).rejects(accessDenied())
    const resolver = createResolver({ client, logger })
    const times: number[] = []
    const start = Date.now()

    // Act
    for (let i = 0; i < 1_200; i++) {
      const before = discoverCalls()
      await resolver.resolve(instance('prod.web')).catch(() => undefined)
      if (discoverCalls() > before) times.push(Date.now() - start)
      await jest.advanceTimersByTimeAsync(100)
    }

    // Assess
    expect(times).toEqual([0, 1_000, 3_000, 7_000, 15_000, 31_000, 61_000, 91_000])
  })

  it('It should remember a non-transient failure of a warm refresh: the instances go and the error is served', async () => {
    // Prepare
    cloudMap.on(DiscoverInstancesCommand).resolvesOnce(answer('a')).rejects(accessDenied())
    const resolver = createResolver({ client, logger, ttlMs: 1_000 })
    const dep = instance('prod.web')
    await resolver.resolve(dep)
    await jest.advanceTimersByTimeAsync(1_001)

    // Act: stale served while the refresh runs; it is refused.
    const stale = resolver.resolveSync(dep)
    await settleRefreshes(1_000)
    const errors = []
    for (let i = 0; i < 5; i++) errors.push(await settle(resolver.resolve(dep), 0))

    // Assess
    expect(stale).not.toBe(NOT_READY)
    expect(resolver.resolveSync(dep)).toBe(NOT_READY)
    expect(errors.map(({ error }) => (error as DiscoveryError).transient)).toEqual([false, false, false, false, false])
    expect(discoverCalls()).toBe(2)
    expect(warnings).toEqual([
      expect.stringMatching(/^cloudmap-middy: evicted instances \{"address":"prod.web","error":"AccessDeniedException/),
    ])
  })

  it('It should report a remembered failure through a service set as one DependencyResolutionError, without a call', async () => {
    // Prepare
    cloudMap.on(DiscoverInstancesCommand).rejects(accessDenied())
    const resolver = createResolver({ client, logger })
    const set = defineServices({ web: instance('prod.web'), api: instance('prod.api') })
    await settle(set.resolve(resolver), 0)

    // Act
    const { error } = await settle(set.resolve(resolver), 0)

    // Assess
    expect(error).toMatchObject({ name: 'DependencyResolutionError' })
    expect((error as DependencyResolutionError).detail).toMatch(/web \(prod.web\): .*AccessDenied.*; api \(prod.api\): .*AccessDenied/)
    expect(discoverCalls()).toBe(2)
  })
})

describe('Class: Resolver, retries and the cache', () => {
  it('It should end the retries when the cache is cleared', async () => {
    // Prepare
    cloudMap.on(DiscoverInstancesCommand).rejects(throttled())
    const resolver = createResolver({ client, logger })
    const resolving = resolver.resolve(instance('prod.web'), { signal: budget(6_000) })
    resolving.catch(() => undefined)
    await jest.advanceTimersByTimeAsync(200)
    const calls = discoverCalls()

    // Act
    clearCache()
    const { error, at } = await settle(resolving, 1_000)

    // Assess: it gives up when its wait ends (at most 1 s), without another call.
    expect(error).toBeInstanceOf(DiscoveryError)
    expect(at).toBeLessThanOrEqual(1_000)
    expect(discoverCalls()).toBe(calls)
  })

  it('It should keep a remembered failure through a sweep of the cache until its backoff ends', async () => {
    // Prepare: the denied service, then 300 others, enough for the cache to sweep what nobody may serve.
    cloudMap.on(DiscoverInstancesCommand).callsFake((input: { ServiceName?: string }) => {
      if (input.ServiceName === 'denied') throw accessDenied()
      return answer('a')
    })
    const resolver = createResolver({ client, logger })
    await settle(resolver.resolve(instance('prod.denied')), 0)
    await settle(Promise.all(Array.from({ length: 300 }, (_, i) => resolver.resolve(instance(`prod.web${i}`)))), 0)

    // Act
    const { error } = await settle(resolver.resolve(instance('prod.denied')), 0)

    // Assess
    expect(error).toMatchObject({ name: 'DiscoveryError', transient: false })
    expect(discoverCalls()).toBe(301)
  })
})

describe('Function: createCloudMapClient, retries', () => {
  it('It should make one attempt per request unless the configuration or AWS_MAX_ATTEMPTS says otherwise', async () => {
    // Prepare
    const saved = process.env.AWS_MAX_ATTEMPTS
    delete process.env.AWS_MAX_ATTEMPTS
    try {
      // Act
      const ours = await createCloudMapClient({ region: 'eu-west-1' }).config.maxAttempts()
      const configured = await createCloudMapClient({ region: 'eu-west-1', maxAttempts: 4 }).config.maxAttempts()
      process.env.AWS_MAX_ATTEMPTS = '5'
      const fromEnv = await createCloudMapClient({ region: 'eu-west-1' }).config.maxAttempts()

      // Assess
      expect([ours, configured, fromEnv]).toEqual([1, 4, 5])
    } finally {
      if (saved === undefined) delete process.env.AWS_MAX_ATTEMPTS
      else process.env.AWS_MAX_ATTEMPTS = saved
    }
  })
})
