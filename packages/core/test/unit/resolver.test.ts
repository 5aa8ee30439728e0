import {
  DiscoverInstancesCommand,
  DiscoverInstancesRevisionCommand,
  RequestLimitExceeded,
  ServiceDiscoveryClient,
  ServiceNotFound,
} from '@aws-sdk/client-servicediscovery'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { z } from 'zod'
import { pendingRefreshes, settleRefreshes } from '../../src/adapter.js'
import {
  AttributeValidationError,
  createResolver,
  type Discovery,
  DiscoveryError,
  InstanceNotFoundError,
  instance,
  NOT_READY,
  NoInstancesError,
  optional,
  type Registry,
  ServiceNotFoundError,
} from '../../src/index.js'
import { clearCache } from '../../src/testing/index.js'
import { gate, until } from '../events.js'

process.env.AWS_REGION ??= 'us-east-1'

const cloudMap = mockClient(ServiceDiscoveryClient)
const client = new ServiceDiscoveryClient({ region: 'us-east-1' })
const warnings: string[] = []
// A line as text: the stable message, then its fields.
const logger = { warn: (message: string, fields: object) => void warnings.push(`${message} ${JSON.stringify(fields)}`) }

const arn = (name: string) => `arn:aws:lambda:us-east-1:123456789012:function:${name}`
const answer = (...ids: string[]) => ({
  Instances: ids.map((id) => ({
    InstanceId: id,
    NamespaceName: 'prod',
    ServiceName: 'scheduler',
    Attributes: { type: 'lambda', arn: arn(id) },
  })),
  InstancesRevision: 1,
})
const discoverCalls = () => cloudMap.commandCalls(DiscoverInstancesCommand).length

let now = 1_700_000_000_000
const advance = (ms: number) => {
  now += ms
}

beforeEach(() => {
  cloudMap.reset()
  clearCache()
  warnings.length = 0
  jest.spyOn(Date, 'now').mockImplementation(() => now)
})

afterEach(() => {
  jest.restoreAllMocks()
})

describe('Class: Resolver', () => {
  it('It should send the query with the default health filter and map the instances', async () => {
    // Prepare
    cloudMap.on(DiscoverInstancesCommand).resolves(answer('get-job'))
    const resolver = createResolver({ client, logger })
    const dep = instance('prod.scheduler', { queryParameters: { stage: 'blue' }, maxResults: 5 })

    // Act
    const resolved = await resolver.resolve(dep)

    // Assess
    expect(resolved).toEqual({
      instanceId: 'get-job',
      label: 'prod.scheduler',
      address: 'prod.scheduler',
      attributes: { type: 'lambda', arn: arn('get-job') },
    })
    expect(cloudMap.commandCalls(DiscoverInstancesCommand)[0]?.args[0].input).toEqual({
      NamespaceName: 'prod',
      ServiceName: 'scheduler',
      HealthStatus: 'HEALTHY_OR_ELSE_ALL',
      QueryParameters: { stage: 'blue' },
      MaxResults: 5,
    })
  })

  it('It should pass OwnerAccount and OptionalParameters for a shared namespace', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves(answer('a'))
    const resolver = createResolver({ client, logger, healthStatus: 'HEALTHY' })
    await resolver.resolve(
      instance({ namespace: 'shared', service: 'billing.v2', account: '123456789012' }, { optionalParameters: { zone: 'a' } }),
    )
    expect(cloudMap.commandCalls(DiscoverInstancesCommand)[0]?.args[0].input).toEqual({
      NamespaceName: 'shared',
      ServiceName: 'billing.v2',
      HealthStatus: 'HEALTHY',
      OptionalParameters: { zone: 'a' },
      OwnerAccount: '123456789012',
    })
  })

  it('It should make one DiscoverInstances call for 100 concurrent resolves of one address', async () => {
    const answered = gate()
    cloudMap.on(DiscoverInstancesCommand).callsFake(async () => {
      await answered.opened
      return answer('get-job')
    })
    const resolver = createResolver({ client, logger })
    const dep = instance('prod.scheduler->get-job')

    const resolving = Promise.all(Array.from({ length: 100 }, () => resolver.resolve(dep)))
    await until(() => discoverCalls() > 0, 'the first DiscoverInstances call')
    answered.open()
    const results = await resolving

    expect(discoverCalls()).toBe(1)
    expect(new Set(results.map((r) => r.instanceId))).toEqual(new Set(['get-job']))
  })

  it('It should share one call between two resolvers and between dependencies on one service', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves(answer('get-job', 'run-job'))
    const first = createResolver({ logger })
    const second = createResolver({ logger, ttlMs: 5_000 })

    await Promise.all([
      first.resolve(instance('prod.scheduler->get-job')),
      second.resolve(instance('prod.scheduler->run-job')),
      second.resolve(instance('prod.scheduler')),
    ])

    expect(discoverCalls()).toBe(1)
  })

  it('It should make no call within the TTL and answer synchronously', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves(answer('get-job'))
    const resolver = createResolver({ client, logger, ttlMs: 60_000 })
    const dep = instance('prod.scheduler->get-job')
    await resolver.resolve(dep)

    advance(59_000)
    const value = resolver.resolveSync(dep)
    await resolver.resolve(dep)

    expect(value).not.toBe(NOT_READY)
    expect(value).toBe(await resolver.resolve(dep))
    expect(discoverCalls()).toBe(1)
    expect(pendingRefreshes()).toBe(0)
  })

  it('It should serve stale at once after the TTL while one refresh runs', async () => {
    let release: () => void = () => undefined
    cloudMap
      .on(DiscoverInstancesCommand)
      .resolvesOnce(answer('old'))
      .callsFake(async () => {
        await new Promise<void>((resolve) => {
          release = resolve
        })
        return answer('new')
      })
    const resolver = createResolver({ client, logger, ttlMs: 1_000 })
    const dep = instance('prod.scheduler')
    await resolver.resolve(dep)
    advance(1_001)

    const during = [resolver.resolveSync(dep), resolver.resolveSync(dep), await resolver.resolve(dep)]
    expect(during.map((value) => (typeof value === 'symbol' ? value : value.instanceId))).toEqual(['old', 'old', 'old'])
    expect(discoverCalls()).toBe(2)
    expect(pendingRefreshes()).toBe(1)

    release()
    await settleRefreshes(1_000)
    expect(pendingRefreshes()).toBe(0)
    expect((await resolver.resolve(dep)).instanceId).toBe('new')
    expect(discoverCalls()).toBe(2)
  })

  it('It should count a refresh until the registry request settles, even when the registry ignores the abort signal', async () => {
    // Prepare: a registry of the user's own that never looks at the signal.
    jest.useFakeTimers({ doNotFake: ['Date', 'nextTick', 'queueMicrotask'] })
    let release: (data: Discovery) => void = () => undefined
    const registry: Registry = {
      discover: () =>
        new Promise<Discovery>((resolve) => {
          release = resolve
        }),
      revision: async () => undefined,
    }
    const resolver = createResolver({ registry, logger, requestTimeoutMs: 1_000, retryBudgetMs: 0 })

    try {
      // Act: the request timeout ends the wait; the registry's request goes on.
      const resolving = resolver.resolve(instance('prod.scheduler')).catch((caught: unknown) => caught)
      await jest.advanceTimersByTimeAsync(1_000)
      const error = await resolving
      const during = pendingRefreshes()
      release({ instances: [] })
      await settleRefreshes(1_000)

      // Assess
      expect(error).toMatchObject({ name: 'DiscoveryError', cause: expect.objectContaining({ name: 'TimeoutError' }) })
      expect(during).toBe(1)
      expect(pendingRefreshes()).toBe(0)
    } finally {
      jest.useRealTimers()
    }
  })

  it('It should wait up to the longest timer for a refresh when settleRefreshes is given 1e300, not 1 ms', async () => {
    // Prepare
    jest.useFakeTimers({ doNotFake: ['Date', 'nextTick', 'queueMicrotask'] })
    let release: (data: Discovery) => void = () => undefined
    const registry: Registry = {
      discover: () =>
        new Promise<Discovery>((resolve) => {
          release = resolve
        }),
      revision: async () => undefined,
    }
    const resolving = createResolver({ registry, logger })
      .resolve(instance('prod.scheduler'))
      .catch((caught: unknown) => caught)
    let settled = false

    try {
      // Act
      const settling = settleRefreshes(1e300).then(() => {
        settled = true
      })
      await jest.advanceTimersByTimeAsync(100)
      const early = settled
      release({ instances: [] })
      await settling
      await resolving

      // Assess
      expect(early).toBe(false)
      expect(settled).toBe(true)
    } finally {
      jest.useRealTimers()
    }
  })

  it.each([
    ['throttling', new RequestLimitExceeded({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } })],
    ['a network error', Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })],
    ['a 503', Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable', $metadata: { httpStatusCode: 503 } })],
  ])('It should serve stale with a warning when the refresh fails with %s', async (_, failure) => {
    cloudMap.on(DiscoverInstancesCommand).resolvesOnce(answer('old')).rejects(failure)
    const resolver = createResolver({ client, logger, ttlMs: 1_000, maxStaleMs: 600_000 })
    const dep = instance('prod.scheduler')
    await resolver.resolve(dep)
    advance(5_000)

    const stale = await resolver.resolve(dep)
    await settleRefreshes(1_000)
    const after = await resolver.resolve(dep)

    expect(stale.instanceId).toBe('old')
    expect(after.instanceId).toBe('old')
    expect(warnings).toEqual([
      expect.stringMatching(
        /^cloudmap-middy: serving stale instances after a failed refresh \{"address":"prod.scheduler","ageMs":5000,"error":/,
      ),
    ])
  })

  it('It should back off after a failed refresh instead of calling on every invocation', async () => {
    cloudMap
      .on(DiscoverInstancesCommand)
      .resolvesOnce(answer('old'))
      .rejects(new RequestLimitExceeded({ message: 'slow down', $metadata: {} }))
    const resolver = createResolver({ client, logger, ttlMs: 1_000 })
    const dep = instance('prod.scheduler')
    await resolver.resolve(dep)
    advance(2_000)
    await resolver.resolve(dep)
    await settleRefreshes(1_000)

    for (let i = 0; i < 20; i++) {
      advance(10)
      await resolver.resolve(dep)
    }
    expect(discoverCalls()).toBe(2)
    advance(1_000)
    await resolver.resolve(dep)
    expect(discoverCalls()).toBe(3)
  })

  it('It should throw once stale data is older than maxStaleMs and the registry still fails', async () => {
    cloudMap
      .on(DiscoverInstancesCommand)
      .resolvesOnce(answer('old'))
      .rejects(new RequestLimitExceeded({ message: 'slow down', $metadata: {} }))
    // No retries: the clock here moves only when the test says so (retries are in resolver-fleet.test.ts).
    const resolver = createResolver({ client, logger, ttlMs: 1_000, maxStaleMs: 10_000, retryBudgetMs: 0 })
    const dep = instance('prod.scheduler')
    await resolver.resolve(dep)
    advance(10_001)

    expect(resolver.resolveSync(dep)).toBe(NOT_READY)
    await expect(resolver.resolve(dep)).rejects.toThrow(DiscoveryError)
  })

  it('It should evict on ServiceNotFound and throw on the next resolve', async () => {
    cloudMap
      .on(DiscoverInstancesCommand)
      .resolvesOnce(answer('old'))
      .rejects(new ServiceNotFound({ message: 'Service not found', $metadata: { httpStatusCode: 404 } }))
    const resolver = createResolver({ client, logger, ttlMs: 1_000 })
    const dep = instance('prod.scheduler->old')
    await resolver.resolve(dep)
    advance(1_001)

    await resolver.resolve(dep) // stale, starts the refresh
    await settleRefreshes(1_000)

    expect(resolver.resolveSync(dep)).toBe(NOT_READY)
    const error = await resolver.resolve(dep).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ServiceNotFoundError)
    expect((error as ServiceNotFoundError).address).toBe('prod.scheduler->old')
    expect((error as Error).message).toBe('Cloud Map service "prod.scheduler->old" is not registered')
  })

  it('It should wrap a failure with no previous value in a DiscoveryError that names the address', async () => {
    cloudMap.on(DiscoverInstancesCommand).rejects(new RequestLimitExceeded({ message: 'Rate exceeded', $metadata: {} }))
    const resolver = createResolver({ client, logger, retryBudgetMs: 0 })

    const error = await resolver.resolve(instance('prod.scheduler->get-job')).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(DiscoveryError)
    expect(error).toMatchObject({ address: 'prod.scheduler->get-job', transient: true })
    expect((error as Error).message).toContain('"prod.scheduler->get-job"')
    expect((error as Error).cause).toBeInstanceOf(RequestLimitExceeded)
  })

  it('It should stop waiting when the caller signal aborts', async () => {
    cloudMap.on(DiscoverInstancesCommand).callsFake(() => new Promise(() => undefined))
    const resolver = createResolver({ client, logger, requestTimeoutMs: 60_000 })

    const controller = new AbortController()
    const resolving = resolver.resolve(instance('prod.scheduler'), { signal: controller.signal }).catch((e: unknown) => e)
    await until(() => discoverCalls() > 0, 'the DiscoverInstances call')
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))
    const error = await resolving

    expect(error).toBeInstanceOf(DiscoveryError)
    expect((error as DiscoveryError).transient).toBe(true)
  })

  it('It should revalidate by revision when asked, refetching only on a change', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves(answer('a'))
    cloudMap.on(DiscoverInstancesRevisionCommand).resolvesOnce({ InstancesRevision: 1 }).resolves({ InstancesRevision: 2 })
    const resolver = createResolver({ client, logger, ttlMs: 1_000, revalidate: 'revision' })
    const dep = instance('prod.scheduler')
    await resolver.resolve(dep)

    advance(1_001)
    await resolver.resolve(dep)
    await settleRefreshes(1_000)
    expect(discoverCalls()).toBe(1)

    advance(1_001)
    await resolver.resolve(dep)
    await settleRefreshes(1_000)
    expect(discoverCalls()).toBe(2)
    expect(cloudMap.commandCalls(DiscoverInstancesRevisionCommand)).toHaveLength(2)
  })
})

describe('Class: Resolver, attributes and selection', () => {
  const schema = z.object({ type: z.literal('lambda'), arn: z.string().startsWith('arn:aws:lambda:') })

  it('It should validate once per fetched set, not per resolve', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves(answer('a', 'b'))
    const validate = jest.spyOn(schema['~standard'], 'validate')
    const resolver = createResolver({ client, logger, ttlMs: 1_000 })
    const dep = instance('prod.scheduler', { attributes: schema })

    for (let i = 0; i < 50; i++) await resolver.resolve(dep)
    expect(validate).toHaveBeenCalledTimes(2)

    advance(1_001)
    await resolver.resolve(dep)
    await settleRefreshes(1_000)
    for (let i = 0; i < 50; i++) await resolver.resolve(dep)
    expect(validate).toHaveBeenCalledTimes(4)
  })

  it('It should drop one invalid instance among valid ones, with a warning naming it', async () => {
    const response = answer('good-1', 'good-2')
    response.Instances.push({
      InstanceId: 'broken',
      NamespaceName: 'prod',
      ServiceName: 'scheduler',
      Attributes: { type: 'lambda', arn: 'not-an-arn' },
    })
    cloudMap.on(DiscoverInstancesCommand).resolves(response)
    const resolver = createResolver({ client, logger })
    const dep = instance('prod.scheduler', { attributes: schema })

    const seen = new Set<string>()
    for (let i = 0; i < 60; i++) seen.add((await resolver.resolve(dep)).instanceId)

    expect(seen).toEqual(new Set(['good-1', 'good-2']))
    expect(warnings).toEqual([
      expect.stringMatching(/^cloudmap-middy: dropped instance \{"address":"prod.scheduler","instanceId":"broken","reason":".*arn/),
    ])
  })

  it('It should throw AttributeValidationError with address, instance id and issue paths when none is valid', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves({
      Instances: [{ InstanceId: 'broken', Attributes: { type: 'queue' } }],
    })
    const resolver = createResolver({ client, logger })

    const error = await resolver.resolve(instance('prod.scheduler', { attributes: schema })).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(AttributeValidationError)
    expect(error).toMatchObject({ address: 'prod.scheduler', instanceId: 'broken' })
    expect((error as AttributeValidationError).issues.map((issue) => issue.path)).toEqual([['type'], ['arn']])
    expect((error as Error).message).toMatch(/"broken" of "prod.scheduler" has invalid attributes: type: .*; arn: /)
  })

  it('It should select exactly the pinned instance, or throw InstanceNotFoundError listing the others', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves(answer('a', 'b', 'c'))
    const resolver = createResolver({ client, logger })

    for (let i = 0; i < 10; i++) expect((await resolver.resolve(instance('prod.scheduler->b'))).instanceId).toBe('b')
    const error = await resolver.resolve(instance('prod.scheduler->z')).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(InstanceNotFoundError)
    expect((error as Error).message).toBe('Cloud Map instance "z" is not registered under "prod.scheduler->z" (instances: a, b, c)')
  })

  it('It should drop every instance of an id the answer carries twice, with a warning, so a pinned address never picks either', async () => {
    // Prepare: two instances claim "b", with different targets.
    const twice = answer('a', 'b', 'b')
    twice.Instances[2] = { ...(twice.Instances[2] as (typeof twice.Instances)[number]), Attributes: { type: 'lambda', arn: arn('other') } }
    cloudMap.on(DiscoverInstancesCommand).resolves(twice)
    const resolver = createResolver({ client, logger, pick: 'round-robin' })

    // Act
    const pinned = await resolver.resolve(instance('prod.scheduler->b')).catch((caught: unknown) => caught)
    const service = instance('prod.scheduler')
    const any = await Promise.all(Array.from({ length: 4 }, () => resolver.resolve(service)))

    // Assess
    expect(pinned).toBeInstanceOf(AttributeValidationError)
    expect(pinned).toMatchObject({ address: 'prod.scheduler->b', instanceId: 'b', issues: [{ path: ['instanceId'] }] })
    expect((pinned as Error).message).toContain('the registry answered 2 instances with this id')
    expect(any.map((value) => value.instanceId)).toEqual(['a', 'a', 'a', 'a'])
    // One warning per dropped copy, for each dependency that reads the answer.
    expect(warnings.filter((warning) => warning.includes('dropped instance {"address":"prod.scheduler->b","instanceId":"b"'))).toHaveLength(
      2,
    )
    expect(warnings.filter((warning) => warning.includes('dropped instance {"address":"prod.scheduler","instanceId":"b"'))).toHaveLength(2)
  })

  it('It should pick first, round-robin or random', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves(answer('a', 'b', 'c'))
    const ids = async (pick: 'first' | 'round-robin' | 'random') => {
      const resolver = createResolver({ client, logger, pick })
      const dep = instance('prod.scheduler')
      const out: string[] = []
      for (let i = 0; i < 60; i++) out.push((await resolver.resolve(dep)).instanceId)
      return out
    }
    expect(new Set(await ids('first'))).toEqual(new Set(['a']))
    expect((await ids('round-robin')).slice(0, 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c'])
    expect(new Set(await ids('random'))).toEqual(new Set(['a', 'b', 'c']))
  })

  it('It should throw NoInstancesError for an empty service, and give undefined for an optional one', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves({ Instances: [] })
    const resolver = createResolver({ client, logger })

    await expect(resolver.resolve(instance('prod.empty'))).rejects.toThrow(NoInstancesError)
    await expect(resolver.resolve(instance('prod.empty'))).rejects.toThrow('"prod.empty"')
    expect(await resolver.resolve(optional(instance('prod.empty')))).toBeUndefined()
    expect(resolver.resolveSync(optional(instance('prod.empty')))).toBeUndefined()
  })

  it('It should give undefined for an optional dependency whose service is not registered', async () => {
    cloudMap.on(DiscoverInstancesCommand).rejects(new ServiceNotFound({ message: 'nope', $metadata: {} }))
    const resolver = createResolver({ client, logger })

    expect(await resolver.resolve(optional(instance('prod.missing')))).toBeUndefined()
    await expect(resolver.resolve(instance('prod.missing'))).rejects.toThrow(ServiceNotFoundError)
  })

  it('It should still throw for an optional dependency whose attributes are invalid', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves({ Instances: [{ InstanceId: 'x', Attributes: {} }] })
    const resolver = createResolver({ client, logger })
    await expect(resolver.resolve(optional(instance('prod.scheduler', { attributes: schema })))).rejects.toThrow(AttributeValidationError)
  })
})

describe('Function: createResolver', () => {
  it('It should read the TTL from CLOUDMAP_MIDDY_TTL_MS and reject a bad one', () => {
    process.env.CLOUDMAP_MIDDY_TTL_MS = '1234'
    try {
      expect(createResolver({ client }).settings.ttlMs).toBe(1234)
      expect(createResolver({ client, ttlMs: 5 }).settings.ttlMs).toBe(5)
      process.env.CLOUDMAP_MIDDY_TTL_MS = 'soon'
      expect(() => createResolver({ client })).toThrow('CLOUDMAP_MIDDY_TTL_MS="soon" is not a number of milliseconds')
    } finally {
      delete process.env.CLOUDMAP_MIDDY_TTL_MS
    }
  })

  it('It should reject a negative or non-finite duration option, naming it', () => {
    expect(() => createResolver({ client, ttlMs: -1 })).toThrow('ttlMs=-1 is not a number of milliseconds')
    expect(() => createResolver({ client, requestTimeoutMs: Number.NaN })).toThrow('requestTimeoutMs: NaN is not a number of milliseconds')
    // A timer fires at once beyond 2^31 - 1 ms.
    expect(() => createResolver({ client, requestTimeoutMs: 2 ** 31 })).toThrow(
      'requestTimeoutMs: 2147483648 is not a number of milliseconds above 0 and at most 2147483647',
    )
  })

  it('It should refuse a requestTimeoutMs of 0, which would time out every request at once', () => {
    expect(() => createResolver({ client, requestTimeoutMs: 0 })).toThrow(RangeError)
    expect(() => createResolver({ client, requestTimeoutMs: 0 })).toThrow('requestTimeoutMs: 0 is not a number of milliseconds above 0')
    expect(createResolver({ client, requestTimeoutMs: 0.5 }).settings.requestTimeoutMs).toBe(0.5)
  })

  it('It should use the documented defaults', () => {
    expect(createResolver({ client }).settings).toMatchObject({
      ttlMs: 60_000,
      maxStaleMs: 900_000,
      revalidate: 'full',
      healthStatus: 'HEALTHY_OR_ELSE_ALL',
      pick: 'random',
      requestTimeoutMs: 1_000,
      retryBudgetMs: 3_000,
    })
  })
})

describe('Class: Resolver, services that are not registered', () => {
  it('It should ask Cloud Map once per TTL for an optional dependency on a missing service, answering undefined synchronously', async () => {
    cloudMap.on(DiscoverInstancesCommand).rejects(new ServiceNotFound({ message: 'nope', $metadata: {} }))
    const resolver = createResolver({ client, logger, ttlMs: 1_000 })
    const audit = optional(instance('prod.audit'))

    expect(await resolver.resolve(audit)).toBeUndefined()
    const later = Array.from({ length: 20 }, () => resolver.resolveSync(audit))
    await expect(resolver.resolve(instance('prod.audit'))).rejects.toThrow(ServiceNotFoundError)

    expect(later.every((value) => value === undefined)).toBe(true)
    expect(discoverCalls()).toBe(1)
    advance(1_001)
    expect(resolver.resolveSync(audit)).toBe(NOT_READY)
    expect(await resolver.resolve(audit)).toBeUndefined()
    expect(resolver.resolveSync(audit)).toBeUndefined()
    expect(discoverCalls()).toBe(2)
  })

  it('It should ask again before serving a not-found answer past its TTL, and serve the service registered since', async () => {
    // Prepare
    cloudMap
      .on(DiscoverInstancesCommand)
      .rejectsOnce(new ServiceNotFound({ message: 'nope', $metadata: {} }))
      .resolves(answer('late'))
    const resolver = createResolver({ client, logger, ttlMs: 1_000 })
    const dep = optional(instance('prod.scheduler'))
    expect(await resolver.resolve(dep)).toBeUndefined()
    advance(1_001)

    // Act
    const sync = resolver.resolveSync(dep)
    const required = await resolver.resolve(instance('prod.scheduler'))
    const optionally = await resolver.resolve(dep)

    // Assess
    expect(sync).toBe(NOT_READY)
    expect(required.instanceId).toBe('late')
    expect(optionally?.instanceId).toBe('late')
    expect(discoverCalls()).toBe(2)
  })

  it('It should ask again before serving an empty service or a missing pinned instance past the TTL', async () => {
    // Prepare: first no instances at all, then only "a"; later "a" and "b".
    cloudMap.on(DiscoverInstancesCommand).resolvesOnce({ Instances: [] }).resolvesOnce(answer('a')).resolves(answer('a', 'b'))
    const resolver = createResolver({ client, logger, ttlMs: 1_000 })
    const any = instance('prod.scheduler')
    const pinned = instance('prod.scheduler->b')
    const empty = await resolver.resolve(any).catch((error: unknown) => error)
    advance(1_001)

    // Act
    const refilled = await resolver.resolve(any)
    const missing = await resolver.resolve(pinned).catch((error: unknown) => error)
    advance(1_001)
    const found = await resolver.resolve(pinned)

    // Assess
    expect(empty).toBeInstanceOf(NoInstancesError)
    expect(refilled.instanceId).toBe('a')
    expect(missing).toBeInstanceOf(InstanceNotFoundError)
    expect(found.instanceId).toBe('b')
    expect(discoverCalls()).toBe(3)
  })

  it('It should make one call for concurrent resolves of an expired not-found answer', async () => {
    // Prepare
    const answered = gate()
    cloudMap
      .on(DiscoverInstancesCommand)
      .rejectsOnce(new ServiceNotFound({ message: 'nope', $metadata: {} }))
      .callsFake(async () => {
        await answered.opened
        return answer('late')
      })
    const resolver = createResolver({ client, logger, ttlMs: 1_000 })
    await expect(resolver.resolve(instance('prod.scheduler'))).rejects.toThrow(ServiceNotFoundError)
    advance(1_001)

    // Act
    const resolving = Promise.all(Array.from({ length: 20 }, () => resolver.resolve(instance('prod.scheduler'))))
    await until(() => discoverCalls() > 1, 'the second DiscoverInstances call')
    answered.open()
    const results = await resolving

    // Assess
    expect(results.map((r) => r.instanceId)).toEqual(Array(20).fill('late'))
    expect(discoverCalls()).toBe(2)
  })

  it('It should throw ServiceNotFoundError again when the service is still missing after the TTL', async () => {
    cloudMap.on(DiscoverInstancesCommand).rejects(new ServiceNotFound({ message: 'nope', $metadata: {} }))
    const resolver = createResolver({ client, logger, ttlMs: 1_000 })
    const dep = instance('prod.missing')
    await expect(resolver.resolve(dep)).rejects.toThrow(ServiceNotFoundError)
    advance(1_001)

    const error = await resolver.resolve(dep).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ServiceNotFoundError)
    expect((error as ServiceNotFoundError).address).toBe('prod.missing')
    expect(discoverCalls()).toBe(2)
  })

  it('It should keep serving a not-found answer, with backoff, while its revalidation fails transiently', async () => {
    // Prepare
    cloudMap
      .on(DiscoverInstancesCommand)
      .rejectsOnce(new ServiceNotFound({ message: 'nope', $metadata: {} }))
      .rejects(new RequestLimitExceeded({ message: 'slow down', $metadata: {} }))
    const resolver = createResolver({ client, logger, ttlMs: 1_000 })
    const audit = optional(instance('prod.audit'))
    expect(await resolver.resolve(audit)).toBeUndefined()
    advance(1_001)

    // Act
    const during = await resolver.resolve(audit)
    const backingOff = [
      resolver.resolveSync(audit),
      await resolver.resolve(audit),
      await resolver.resolve(instance('prod.audit')).catch((e) => e),
    ]

    // Assess
    expect(during).toBeUndefined()
    expect(backingOff.slice(0, 2)).toEqual([undefined, undefined])
    expect(backingOff[2]).toBeInstanceOf(ServiceNotFoundError)
    expect(discoverCalls()).toBe(2)
    expect(warnings).toEqual([
      expect.stringMatching(/^cloudmap-middy: serving stale instances after a failed refresh \{"address":"prod.audit"/),
    ])
  })
})
