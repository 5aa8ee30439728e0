import { DiscoverInstancesCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery'
import {
  createResolver,
  DependencyResolutionError,
  DiscoveryError,
  InvalidAddressError,
  instance,
  optional,
  type Resolver,
  ServiceNotFoundError,
} from '@cloudmap-middy/core'
import { pendingRefreshes } from '@cloudmap-middy/core/adapter'
import { clearCache, staticRegistry } from '@cloudmap-middy/core/testing'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import middy7 from '@middy/core'
import type { Context } from 'aws-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import middy5 from 'middy5'
import middy6 from 'middy6'
import { z } from 'zod'
import { forgetLambdaExtension, registerLambdaExtension } from '../../../core/src/extension/extension.js'
import { gate, until } from '../../../core/test/events.js'
import { startFakeExtensionsApi } from '../../../core/test/fake-extensions-api.js'
import { cloudMap } from '../../src/index.js'
import { cloudMap as cloudMapRequired } from '../../src/require.js'

const cloudMapSdk = mockClient(ServiceDiscoveryClient)
const client = new ServiceDiscoveryClient({ region: 'us-east-1' })
const logger = { warn: jest.fn() }

// `services: never` stands for what the middleware adds, as a handler's own tests would pass it.
const lambdaContext = (remainingMs = 10_000): Context & { services: never } =>
  ({
    functionName: 'test',
    awsRequestId: 'req-1',
    getRemainingTimeInMillis: () => remainingMs,
  }) as unknown as Context & { services: never }

const answer = (service: string, ...ids: string[]) => ({
  Instances: ids.map((id) => ({ InstanceId: id, Attributes: { type: 'http', url: `http://${service}.${id}.internal` } })),
})
const discoverCalls = (service?: string) =>
  cloudMapSdk.commandCalls(DiscoverInstancesCommand).filter((call) => service === undefined || call.args[0].input.ServiceName === service)
    .length

let now = 1_700_000_000_000
beforeEach(() => {
  cloudMapSdk.reset()
  clearCache()
  logger.warn.mockReset()
  jest.spyOn(Date, 'now').mockImplementation(() => now)
})
afterEach(() => {
  jest.restoreAllMocks()
})

describe('Function: cloudMap', () => {
  it('It should hand the typed services to the handler', async () => {
    // Prepare
    const registry = staticRegistry({
      'prod.storage': { orders: { tableName: 'orders-prod' } },
      'prod.flags': { beta: { enabled: 'yes' } },
    })
    const handler = middy7<{ id: string }>()
      .use(
        cloudMap({
          resolver: createResolver({ registry, logger }),
          services: {
            orders: instance('prod.storage->orders', { attributes: z.object({ tableName: z.string() }) }),
            flags: instance('prod.flags'),
            audit: optional(instance('prod.audit')),
          },
        }),
      )
      .handler(async (event, context) => ({
        id: event.id,
        table: context.services.orders.attributes.tableName,
        beta: context.services.flags.attributes.enabled,
        audit: context.services.audit,
      }))

    // Act
    const result = await handler({ id: 'job-1' }, lambdaContext())

    // Assess
    expect(result).toEqual({ id: 'job-1', table: 'orders-prod', beta: 'yes', audit: undefined })
  })

  it('It should make one DiscoverInstances call per service for 50 concurrent cold invocations', async () => {
    const answered = gate()
    cloudMapSdk.on(DiscoverInstancesCommand).callsFake(async (input: { ServiceName: string }) => {
      await answered.opened
      return answer(input.ServiceName, 'a', 'b')
    })
    const handler = middy7()
      .use(
        cloudMap({
          prefetch: false,
          resolver: createResolver({ client, logger }),
          services: { users: instance('prod.users'), billing: instance('prod.billing'), orders: instance('prod.orders->a') },
        }),
      )
      .handler(async (_event: unknown, context) => context.services.orders.instanceId)

    const invocations = Promise.all(Array.from({ length: 50 }, () => handler({}, lambdaContext())))
    await until(() => discoverCalls() >= 3, 'a DiscoverInstances call per service')
    answered.open()
    const results = await invocations

    expect(new Set(results)).toEqual(new Set(['a']))
    expect(discoverCalls('users')).toBe(1)
    expect(discoverCalls('billing')).toBe(1)
    expect(discoverCalls('orders')).toBe(1)
  })

  it('It should prefetch every service in parallel at .use() time', async () => {
    // Each call waits until the test has seen three: one after the other, the first would wait alone.
    const answered = gate()
    let inFlight = 0
    let peak = 0
    cloudMapSdk.on(DiscoverInstancesCommand).callsFake(async (input: { ServiceName: string }) => {
      inFlight += 1
      peak = Math.max(peak, inFlight)
      await answered.opened
      inFlight -= 1
      return answer(input.ServiceName, 'a')
    })
    const resolver = createResolver({ client, logger })

    cloudMap({ resolver, services: { a: instance('prod.a'), b: instance('prod.b'), c: instance('prod.c') } })
    await until(() => discoverCalls() >= 3, 'three DiscoverInstances calls in flight')
    answered.open()

    expect(discoverCalls()).toBe(3)
    expect(peak).toBe(3)
  })

  it('It should answer warm invocations synchronously with no Cloud Map call within the TTL', async () => {
    cloudMapSdk.on(DiscoverInstancesCommand).resolves(answer('users', 'a'))
    const middleware = cloudMap({
      prefetch: false,
      resolver: createResolver({ client, logger, ttlMs: 60_000 }),
      services: { users: instance('prod.users') },
    })
    const request = { event: {}, context: lambdaContext(), response: undefined, error: undefined, internal: {} }
    await middleware.before?.(request as never)

    now += 59_000
    const warm = Array.from({ length: 100 }, () => middleware.before?.(request as never))

    expect(warm.every((returned) => returned === undefined)).toBe(true)
    expect((request.context as unknown as { services: { users: { instanceId: string } } }).services.users.instanceId).toBe('a')
    expect(discoverCalls()).toBe(1)
  })

  it('It should serve an expired entry stale, refresh it once, and await the refresh before the invocation ends', async () => {
    const refreshed = gate()
    cloudMapSdk
      .on(DiscoverInstancesCommand)
      .resolvesOnce(answer('users', 'old'))
      .callsFake(async () => {
        await refreshed.opened
        return answer('users', 'new')
      })
    const handler = middy7()
      .use(
        cloudMap({
          prefetch: false,
          resolver: createResolver({ client, logger, ttlMs: 1_000 }),
          services: { users: instance('prod.users') },
        }),
      )
      .handler(async (_event: unknown, context) => context.services.users.instanceId)
    expect(await handler({}, lambdaContext())).toBe('old')
    now += 1_001

    let ended = false
    const invocations = Promise.all([handler({}, lambdaContext()), handler({}, lambdaContext())]).finally(() => {
      ended = true
    })
    await until(() => discoverCalls() === 2, 'the refresh')
    await new Promise((resolve) => setImmediate(resolve))
    const endedBeforeRefresh = ended
    refreshed.open()
    const stale = await invocations
    const afterwards = pendingRefreshes()
    const fresh = await handler({}, lambdaContext())

    expect(stale).toEqual(['old', 'old'])
    expect(endedBeforeRefresh).toBe(false)
    expect(afterwards).toBe(0)
    expect(fresh).toBe('new')
    expect(discoverCalls()).toBe(2)
  })

  it('It should not await the refresh when the Lambda extension is active, and start it after the response: the extension holds the freeze instead', async () => {
    const api = await startFakeExtensionsApi()
    try {
      const refreshed = gate()
      cloudMapSdk
        .on(DiscoverInstancesCommand)
        .resolvesOnce(answer('users', 'old'))
        .callsFake(async () => {
          await refreshed.opened
          return answer('users', 'new')
        })
      const handler = middy7()
        .use(
          cloudMap({
            prefetch: false,
            resolver: createResolver({ client, logger, ttlMs: 1_000 }),
            services: { users: instance('prod.users') },
          }),
        )
        .handler(async (_event: unknown, context) => context.services.users.instanceId)
      expect(await handler({}, lambdaContext())).toBe('old')
      expect(await registerLambdaExtension({ runtimeApi: api.address, logger })).toBe(true)
      const asked = await api.nextRequest()
      now += 1_001

      // The runtime and the extension get the invocation at once; here the handler begins first.
      const invocation = handler({}, lambdaContext())
      asked.send({ eventType: 'INVOKE', requestId: 'req-1', deadlineMs: now + 60_000 })
      const stale = await invocation
      const inFlight = pendingRefreshes()
      // Held until the response is out: the refresh has not sent when the handler's promise settles.
      const sentWhenAnswered = discoverCalls()
      const nextsBeforeRefresh = api.nexts
      refreshed.open()
      await api.nextRequest()

      expect(stale).toBe('old')
      expect(inFlight).toBe(1)
      expect(sentWhenAnswered).toBe(1)
      expect(nextsBeforeRefresh).toBe(1)
      expect(pendingRefreshes()).toBe(0)
      expect(discoverCalls()).toBe(2)
    } finally {
      forgetLambdaExtension()
      await api.close()
    }
  })

  it('It should give require() (the "require" export condition) the same middleware, without the registration', () => {
    expect(cloudMapRequired).toBe(cloudMap)
  })

  it('It should aggregate every failure in one DependencyResolutionError that names them', async () => {
    const registry = staticRegistry({ 'prod.users': { a: { type: 'http' } } })
    const handler = middy7()
      .use(
        cloudMap({
          resolver: createResolver({ registry, logger }),
          services: {
            users: instance('prod.users->a'),
            billing: instance('prod.billing'),
            orders: instance('prod.users->zz'),
          },
        }),
      )
      .handler(async () => 'never')

    const error = (await handler({}, lambdaContext()).catch((e: unknown) => e)) as DependencyResolutionError

    expect(error).toBeInstanceOf(DependencyResolutionError)
    expect(error.failures.map((f) => [f.name, f.address])).toEqual([
      ['billing', 'prod.billing'],
      ['orders', 'prod.users->zz'],
    ])
    expect(error.failures[0]?.error).toBeInstanceOf(ServiceNotFoundError)
    expect(error.detail).toMatch(/2 dependencies could not be resolved: billing \(prod.billing\): .*; orders \(prod.users->zz\): /)
    expect(error.stack).toContain(error.detail)
  })

  it('It should fail at declaration on a bad address or a value that is not a dependency', () => {
    expect(() => cloudMap({ services: { users: instance('users') } })).toThrow(InvalidAddressError)
    expect(() => cloudMap({ services: { users: 'prod.users' as never } })).toThrow('services.users is not a dependency')
  })

  it.each([
    [Number.NaN, 'timeoutMarginMs=NaN is'],
    [-1, 'timeoutMarginMs=-1 is'],
    [Number.POSITIVE_INFINITY, 'timeoutMarginMs=Infinity is'],
    ['500', 'timeoutMarginMs="500" is'],
  ])('It should refuse timeoutMarginMs=%p at declaration, naming it', (timeoutMarginMs, named) => {
    // Act
    const declare = () => cloudMap({ timeoutMarginMs: timeoutMarginMs as number, services: { users: instance('prod.users') } })

    // Assess
    expect(declare).toThrow(RangeError)
    expect(declare).toThrow(`${named} not a number of milliseconds`)
  })

  it.each([
    [{ services: 'prod.users' }, /services="prod.users" is not an object of dependencies by name/],
    [{ services: [instance('prod.users')] }, /services=an array is not an object of dependencies by name/],
    [{ services: null }, /services=null is not an object/],
    [{ services: {}, prefetch: 'no' }, /prefetch="no" is not a boolean/],
    [{ services: {}, prefetch: 0 }, /prefetch=0 is not a boolean/],
    [{ services: {}, resolver: {} }, /resolver=\[object Object\] is not a resolver/],
    [{ services: {}, resolver: createResolver(), ttlMs: 5 }, /either a resolver or its settings/],
    [
      { services: {}, resolver: createResolver(), awsClientCapture: <C>(c: C) => c },
      /either a resolver or its settings \(ttlMs, logger, metrics, awsClientCapture\)/,
    ],
    [{ services: {}, awsClientCapture: 'tracer' }, /awsClientCapture=tracer is not a function/],
    [{ services: {}, resolver: createResolver(), metrics: { addMetric: () => undefined } }, /either a resolver or its settings/],
    [{ services: {}, metrics: { putMetric: () => undefined } }, /metrics must have addMetric/],
    [undefined, /needs an options object/],
  ])('It should refuse %p at declaration with a TypeError that names the option', (options, reason) => {
    // Act
    const declare = () => cloudMap(options as never)

    // Assess
    expect(declare).toThrow(TypeError)
    expect(declare).toThrow(reason)
  })

  it('It should count its hits in the metrics sink it is given, one value per warm invocation', async () => {
    // Prepare
    const added: Array<[string, string, number]> = []
    const metrics = { addMetric: (name: string, unit: string, value: number) => void added.push([name, unit, value]) }
    cloudMapSdk.on(DiscoverInstancesCommand, { ServiceName: 'users' }).resolves(answer('users', 'a'))
    cloudMapSdk.on(DiscoverInstancesCommand, { ServiceName: 'orders' }).resolves(answer('orders', 'b'))
    const handler = middy7()
      .use(cloudMap({ services: { users: instance('prod.users'), orders: instance('prod.orders') }, metrics, logger, prefetch: false }))
      .handler(async () => 'ok')

    // Act: a cold invocation, then two warm ones
    for (let i = 0; i < 3; i++) await handler({}, lambdaContext())

    // Assess
    expect(added.filter(([name]) => name === 'CloudMapCacheMiss')).toEqual([
      ['CloudMapCacheMiss', 'Count', 1],
      ['CloudMapCacheMiss', 'Count', 1],
    ])
    expect(added.filter(([name]) => name === 'CloudMapCacheHit')).toEqual([
      ['CloudMapCacheHit', 'Count', 2],
      ['CloudMapCacheHit', 'Count', 2],
    ])
  })

  it("It should not fail the module load when a resolver's prefetch throws, and resolve on invocation", async () => {
    // Prepare
    const inner = createResolver({ registry: staticRegistry({ 'prod.users': { a: {} } }), logger })
    const resolver: Resolver = {
      settings: inner.settings,
      resolve: (dependency, options) => inner.resolve(dependency, options),
      resolveSync: (dependency) => inner.resolveSync(dependency),
      prefetch: () => {
        throw new Error('not ready at init')
      },
    }

    // Act
    const handler = middy7()
      .use(cloudMap({ resolver, services: { users: instance('prod.users') } }))
      .handler(async (_event: unknown, context) => context.services.users.instanceId)

    // Assess
    expect(await handler({}, lambdaContext())).toBe('a')
  })

  it.each([1e300, Number.POSITIVE_INFINITY, Number.NaN])(
    'It should resolve when the runtime reports %s ms left, with no RangeError',
    async (remainingMs) => {
      // Prepare
      const handler = middy7()
        .use(
          cloudMap({
            prefetch: false,
            resolver: createResolver({ registry: staticRegistry({ 'prod.users': { a: {} } }), logger }),
            services: { users: instance('prod.users') },
          }),
        )
        .handler(async (_event: unknown, context) => context.services.users.instanceId)

      // Act
      const result = await handler({}, lambdaContext(remainingMs))

      // Assess
      expect(result).toBe('a')
    },
  )

  it('It should bound resolution by the remaining time minus the margin', async () => {
    cloudMapSdk.on(DiscoverInstancesCommand).callsFake(() => new Promise(() => undefined))
    const handler = middy7()
      .use(
        cloudMap({
          prefetch: false,
          timeoutMarginMs: 500,
          resolver: createResolver({ client, logger, requestTimeoutMs: 600_000 }),
          services: { users: instance('prod.users') },
        }),
      )
      .handler(async () => 'never')
    jest.restoreAllMocks()
    const timeouts = jest.spyOn(AbortSignal, 'timeout')

    // Only the invocation's bound can end this within the test's time: the request timeout is ten minutes.
    const error = (await handler({}, lambdaContext(650)).catch((e: unknown) => e)) as DependencyResolutionError

    expect(error).toBeInstanceOf(DependencyResolutionError)
    expect(error.failures[0]?.error).toBeInstanceOf(DiscoveryError)
    expect(timeouts).toHaveBeenCalledWith(150)
  })
})

describe('Function: cloudMap with each Middy major', () => {
  it.each([
    ['5', middy5],
    ['6', middy6],
    ['7', middy7],
  ])('It should run under @middy/core %s', async (_, factory) => {
    // The majors' typings differ only in details; each is type-checked in test/types.
    const middy = factory as unknown as typeof middy7
    const registry = staticRegistry({ 'prod.storage': { orders: { tableName: `orders-${_}` } } })
    const handler = middy()
      .use(cloudMap({ resolver: createResolver({ registry, logger }), services: { orders: instance('prod.storage->orders') } }))
      .handler(
        async (_event: unknown, context: { services: { orders: { attributes: Record<string, string> } } }) =>
          context.services.orders.attributes.tableName,
      )

    expect(await handler({}, lambdaContext())).toBe(`orders-${_}`)
  })
})
