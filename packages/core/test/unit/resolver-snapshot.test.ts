import { DiscoverInstancesCommand, ServiceDiscoveryClient, ServiceNotFound } from '@aws-sdk/client-servicediscovery'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { holdRefreshes, pendingRefreshes, releaseRefreshes, settleRefreshes } from '../../src/adapter.js'
import { createResolver, instance, lambda, NOT_READY } from '../../src/index.js'
import { clearCache, staticRegistry } from '../../src/testing/index.js'
import { withEnv } from '../env.js'
import { turns } from '../events.js'

process.env.AWS_REGION ??= 'us-east-1'

const cloudMap = mockClient(ServiceDiscoveryClient)
const warnings: [string, Record<string, unknown> | undefined][] = []
const logger = { warn: (message: string, fields?: Record<string, unknown>) => void warnings.push([message, fields]) }
const arn = (name: string, account = '123456789012') => `arn:aws:lambda:us-east-1:${account}:function:${name}`
const snapshot = (instances: Record<string, Record<string, string>>, service = 'scheduler') =>
  JSON.stringify({ v: 1, ns: { 'example.com.prod': { [service]: instances } } })
const registered = (id: string, name: string) => ({
  Instances: [
    { InstanceId: id, NamespaceName: 'example.com.prod', ServiceName: 'scheduler', Attributes: { type: 'lambda', arn: arn(name) } },
  ],
})
const discoverCalls = () => cloudMap.commandCalls(DiscoverInstancesCommand).length

const TTL = 60_000
const MAX_STALE = 900_000
let now = 1_700_000_000_000

beforeEach(() => {
  cloudMap.reset()
  clearCache()
  warnings.length = 0
  now = 1_700_000_000_000
  jest.spyOn(Date, 'now').mockImplementation(() => now)
})

afterEach(() => {
  jest.restoreAllMocks()
})

describe('Class: Resolver, with CLOUDMAP_MIDDY_SNAPSHOT', () => {
  it('It should bind the snapshot at prefetch with no request, serve it stale on first use and refresh it then', async () => {
    await withEnv({ CLOUDMAP_MIDDY_SNAPSHOT: snapshot({ 'get-job': { type: 'lambda', arn: arn('deployed') } }) }, async () => {
      // Prepare
      cloudMap.on(DiscoverInstancesCommand).resolves(registered('get-job', 'current'))
      const resolver = createResolver({ logger, ttlMs: TTL, maxStaleMs: MAX_STALE })
      const job = lambda('example.com.prod.scheduler->get-job')

      // Act
      await resolver.prefetch([job])
      const requestsAtInit = discoverCalls()
      const first = resolver.resolveSync(job)
      const refreshesOnFirstUse = pendingRefreshes()
      await settleRefreshes(1_000)
      const next = resolver.resolveSync(job)

      // Assess
      expect(requestsAtInit).toBe(0)
      expect(first).toMatchObject({ instanceId: 'get-job', arn: arn('deployed') })
      expect(refreshesOnFirstUse).toBe(1)
      expect(next).toMatchObject({ arn: arn('current') })
      expect(discoverCalls()).toBe(1)
      expect(warnings).toEqual([])
    })
  })

  it('It should never count the snapshot as fresh: a resolution right after init refreshes it', async () => {
    await withEnv({ CLOUDMAP_MIDDY_SNAPSHOT: snapshot({ 'get-job': { type: 'lambda', arn: arn('deployed') } }) }, async () => {
      cloudMap.on(DiscoverInstancesCommand).resolves(registered('get-job', 'current'))
      const resolver = createResolver({ logger, ttlMs: TTL })

      const served = await resolver.resolve(lambda('example.com.prod.scheduler->get-job'))

      expect(served).toMatchObject({ arn: arn('deployed') })
      expect(discoverCalls()).toBe(1)
    })
  })

  it('It should never count the snapshot as fresh for a resolver with a longer TTL than the one that read it first', async () => {
    // A text no other test seeds with: each text is read once per process.
    await withEnv(
      { CLOUDMAP_MIDDY_SNAPSHOT: snapshot({ 'get-job': { type: 'lambda', arn: arn('deployed'), ttl: 'first' } }) },
      async () => {
        cloudMap.on(DiscoverInstancesCommand).resolves(registered('get-job', 'current'))
        createResolver({ logger, ttlMs: 1_000 })
        const resolver = createResolver({ logger, ttlMs: TTL })
        const job = lambda('example.com.prod.scheduler->get-job')

        const served = await resolver.resolve(job)
        await settleRefreshes(1_000)

        expect(served).toMatchObject({ arn: arn('deployed') })
        expect(discoverCalls()).toBe(1)
        expect(resolver.resolveSync(job)).toMatchObject({ arn: arn('current') })
      },
    )
  })

  it('It should ask Cloud Map for a snapshot the target policy empties, whatever TTL the resolver that read it first had', async () => {
    await withEnv(
      { CLOUDMAP_MIDDY_SNAPSHOT: snapshot({ 'get-job': { type: 'lambda', arn: arn('elsewhere', '999999999999') } }) },
      async () => {
        cloudMap.on(DiscoverInstancesCommand).resolves(registered('get-job', 'current'))
        createResolver({ logger, ttlMs: 1_000 })
        const resolver = createResolver({ logger, ttlMs: TTL, allowedAccounts: ['123456789012'] })

        const served = await resolver.resolve(lambda('example.com.prod.scheduler->get-job'))

        expect(served).toMatchObject({ arn: arn('current') })
      },
    )
  })

  it('It should ask Cloud Map when the snapshot lacks the pinned instance, or holds none for the service', async () => {
    const text = JSON.stringify({
      v: 1,
      ns: { 'example.com.prod': { scheduler: { other: { type: 'lambda', arn: arn('other') } }, empty: {} } },
    })
    await withEnv({ CLOUDMAP_MIDDY_SNAPSHOT: text }, async () => {
      cloudMap.on(DiscoverInstancesCommand, { ServiceName: 'scheduler' }).resolves(registered('get-job', 'current'))
      cloudMap.on(DiscoverInstancesCommand, { ServiceName: 'empty' }).resolves({
        Instances: [
          { InstanceId: 'i', NamespaceName: 'example.com.prod', ServiceName: 'empty', Attributes: { type: 'lambda', arn: arn('e') } },
        ],
      })
      const resolver = createResolver({ logger })

      expect(await resolver.resolve(lambda('example.com.prod.scheduler->get-job'))).toMatchObject({ arn: arn('current') })
      expect(await resolver.resolve(lambda('example.com.prod.empty'))).toMatchObject({ arn: arn('e') })
    })
  })

  it('It should serve the snapshot for maxStaleMs − ttlMs after init, and wait for Cloud Map after that', async () => {
    await withEnv({ CLOUDMAP_MIDDY_SNAPSHOT: snapshot({ 'get-job': { type: 'lambda', arn: arn('deployed') } }) }, async () => {
      cloudMap.on(DiscoverInstancesCommand).resolves(registered('get-job', 'current'))
      const resolver = createResolver({ logger, ttlMs: TTL, maxStaleMs: MAX_STALE })
      const job = lambda('example.com.prod.scheduler->get-job')
      await resolver.prefetch([job])

      now += MAX_STALE - TTL
      const late = resolver.resolveSync(job)

      expect(late).toBe(NOT_READY)
      expect(await resolver.resolve(job)).toMatchObject({ arn: arn('current') })
    })
  })

  it('It should keep serving the snapshot while refreshes fail transiently, within maxStaleMs', async () => {
    await withEnv({ CLOUDMAP_MIDDY_SNAPSHOT: snapshot({ 'get-job': { type: 'lambda', arn: arn('deployed') } }) }, async () => {
      cloudMap.on(DiscoverInstancesCommand).rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }))
      const resolver = createResolver({ logger, ttlMs: TTL, maxStaleMs: MAX_STALE })
      const job = lambda('example.com.prod.scheduler->get-job')

      const first = await resolver.resolve(job)
      await settleRefreshes(1_000)
      const second = resolver.resolveSync(job)

      expect(first).toMatchObject({ arn: arn('deployed') })
      expect(second).toMatchObject({ arn: arn('deployed') })
      expect(warnings).toEqual([
        [
          'cloudmap-middy: serving stale instances after a failed refresh',
          expect.objectContaining({ address: 'example.com.prod.scheduler' }),
        ],
      ])
    })
  })

  it('It should put the snapshot through the target policy, and ask Cloud Map when it leaves nothing', async () => {
    await withEnv(
      { CLOUDMAP_MIDDY_SNAPSHOT: snapshot({ 'get-job': { type: 'lambda', arn: arn('elsewhere', '999999999999') } }) },
      async () => {
        cloudMap.on(DiscoverInstancesCommand).resolves(registered('get-job', 'current'))
        const resolver = createResolver({ logger, allowedAccounts: ['123456789012'] })

        const served = await resolver.resolve(lambda('example.com.prod.scheduler->get-job'))

        expect(served).toMatchObject({ arn: arn('current') })
        expect(warnings).toEqual([
          [
            'cloudmap-middy: dropped instance',
            {
              address: 'example.com.prod.scheduler->get-job',
              instanceId: 'get-job',
              reason: expect.stringMatching(/999999999999/),
            },
          ],
        ])
      },
    )
  })

  it('It should filter by query parameters and leave another account, and services it does not hold, to Cloud Map', async () => {
    const text = snapshot({ blue: { stage: 'blue' }, green: { stage: 'green' } })
    await withEnv({ CLOUDMAP_MIDDY_SNAPSHOT: text }, async () => {
      cloudMap.on(DiscoverInstancesCommand).resolves({ Instances: [] })
      const resolver = createResolver({ logger })
      const green = instance('example.com.prod.scheduler', { queryParameters: { stage: 'green' } })
      const shared = instance({ namespace: 'example.com.prod', service: 'scheduler', account: '210987654321' })
      const other = instance('example.com.prod.other')

      await resolver.prefetch([green, shared, other])
      const asked = cloudMap.commandCalls(DiscoverInstancesCommand).map((call) => call.args[0].input)

      expect(resolver.resolveSync(green)).toMatchObject({ instanceId: 'green' })
      expect(asked).toEqual([
        expect.objectContaining({ ServiceName: 'scheduler', OwnerAccount: '210987654321' }),
        expect.objectContaining({ ServiceName: 'other' }),
      ])
    })
  })

  it('It should ignore a malformed snapshot with a warning naming the problem, and discover as usual', async () => {
    await withEnv({ CLOUDMAP_MIDDY_SNAPSHOT: '{"v":7}' }, async () => {
      cloudMap.on(DiscoverInstancesCommand).resolves(registered('get-job', 'current'))
      const resolver = createResolver({ logger })

      const served = await resolver.resolve(lambda('example.com.prod.scheduler->get-job'))

      expect(served).toMatchObject({ arn: arn('current') })
      expect(warnings).toEqual([
        [
          'cloudmap-middy: snapshot problem',
          {
            variable: 'CLOUDMAP_MIDDY_SNAPSHOT',
            problem: 'has format version 7; this version of cloudmap-middy reads 1: ignored',
          },
        ],
      ])
    })
  })

  it('It should evict the snapshot when the refresh finds the service gone', async () => {
    await withEnv({ CLOUDMAP_MIDDY_SNAPSHOT: snapshot({ 'get-job': { type: 'lambda', arn: arn('deployed') } }) }, async () => {
      cloudMap.on(DiscoverInstancesCommand).rejects(new ServiceNotFound({ message: 'gone', $metadata: {} }))
      const resolver = createResolver({ logger })
      const job = lambda('example.com.prod.scheduler->get-job')
      await resolver.prefetch([job])

      resolver.resolveSync(job)
      await settleRefreshes(1_000)

      expect(resolver.resolveSync(job)).toBe(NOT_READY)
      await expect(resolver.resolve(job)).rejects.toThrow(/not registered|does not exist|no longer/)
    })
  })

  it('It should not seed a pruned entry again', async () => {
    await withEnv({ CLOUDMAP_MIDDY_SNAPSHOT: snapshot({ 'get-job': { type: 'lambda', arn: arn('deployed') } }) }, async () => {
      cloudMap.on(DiscoverInstancesCommand).resolves(registered('get-job', 'current'))
      const resolver = createResolver({ logger, ttlMs: TTL, maxStaleMs: MAX_STALE })
      const job = lambda('example.com.prod.scheduler->get-job')
      await resolver.prefetch([job])

      now += 2 * MAX_STALE
      resolver.prefetch([instance('example.com.prod.other')]).catch(() => undefined)
      const served = await resolver.resolve(job)

      expect(served).toMatchObject({ arn: arn('current') })
    })
  })

  it('It should seed a resolver on a Cloud Map client of its own, unless told not to', async () => {
    await withEnv({ CLOUDMAP_MIDDY_SNAPSHOT: snapshot({ 'get-job': { type: 'lambda', arn: arn('deployed') } }) }, async () => {
      cloudMap.on(DiscoverInstancesCommand).resolves(registered('get-job', 'current'))
      const job = lambda('example.com.prod.scheduler->get-job')
      const own = createResolver({ logger, client: new ServiceDiscoveryClient({ region: 'us-east-1' }) })
      const off = createResolver({ logger, client: new ServiceDiscoveryClient({ region: 'us-east-1' }), snapshot: false })

      expect(await own.resolve(job)).toMatchObject({ arn: arn('deployed') })
      expect(await off.resolve(job)).toMatchObject({ arn: arn('current') })
    })
  })

  it('It should leave a resolver of its own registry alone', async () => {
    await withEnv({ CLOUDMAP_MIDDY_SNAPSHOT: snapshot({ 'get-job': { type: 'lambda', arn: arn('deployed') } }) }, async () => {
      const registry = staticRegistry({
        'example.com.prod.scheduler': { 'get-job': { type: 'lambda', arn: arn('static') } },
      })
      const resolver = createResolver({ logger, registry })

      expect(await resolver.resolve(lambda('example.com.prod.scheduler->get-job'))).toMatchObject({ arn: arn('static') })
    })
  })
})

describe('Function: holdRefreshes', () => {
  it('It should send a held refresh of a stale answer only once released, after the current turn, and count it as under way meanwhile', async () => {
    await withEnv({ CLOUDMAP_MIDDY_SNAPSHOT: snapshot({ 'get-job': { type: 'lambda', arn: arn('deployed') } }) }, async () => {
      cloudMap.on(DiscoverInstancesCommand).resolves(registered('get-job', 'current'))
      const resolver = createResolver({ logger, ttlMs: TTL, maxStaleMs: MAX_STALE })
      const job = lambda('example.com.prod.scheduler->get-job')
      await resolver.prefetch([job])

      holdRefreshes()
      const served = resolver.resolveSync(job)
      const underWay = pendingRefreshes()
      await turns(2)
      const sentWhileHeld = discoverCalls()
      releaseRefreshes(true)
      // Microtasks only: whatever the release started synchronously would have sent by now.
      for (let step = 0; step < 50; step++) await Promise.resolve()
      const sentInTheReleasingTurn = discoverCalls()
      await settleRefreshes(1_000)

      expect(served).toMatchObject({ arn: arn('deployed') })
      expect(underWay).toBe(1)
      expect(sentWhileHeld).toBe(0)
      expect(sentInTheReleasingTurn).toBe(0)
      expect(discoverCalls()).toBe(1)
      expect(resolver.resolveSync(job)).toMatchObject({ arn: arn('current') })
    })
  })

  it('It should start a held refresh at once for a caller that has nothing left to serve', async () => {
    await withEnv({ CLOUDMAP_MIDDY_SNAPSHOT: snapshot({ 'get-job': { type: 'lambda', arn: arn('deployed') } }) }, async () => {
      cloudMap.on(DiscoverInstancesCommand).resolves(registered('get-job', 'current'))
      const resolver = createResolver({ logger, ttlMs: TTL, maxStaleMs: MAX_STALE })
      const job = lambda('example.com.prod.scheduler->get-job')
      await resolver.prefetch([job])
      holdRefreshes()
      resolver.resolveSync(job)

      now += MAX_STALE
      const answered = await resolver.resolve(job)

      expect(answered).toMatchObject({ arn: arn('current') })
      expect(discoverCalls()).toBe(1)
      releaseRefreshes(false)
    })
  })

  it('It should hold nothing once released: the next stale answer refreshes at once', async () => {
    await withEnv({ CLOUDMAP_MIDDY_SNAPSHOT: snapshot({ 'get-job': { type: 'lambda', arn: arn('deployed') } }) }, async () => {
      cloudMap.on(DiscoverInstancesCommand).resolves(registered('get-job', 'current'))
      const resolver = createResolver({ logger, ttlMs: TTL, maxStaleMs: MAX_STALE })
      const job = lambda('example.com.prod.scheduler->get-job')
      await resolver.prefetch([job])
      holdRefreshes()
      releaseRefreshes(true)

      resolver.resolveSync(job)
      await turns(2)

      expect(discoverCalls()).toBe(1)
    })
  })
})
