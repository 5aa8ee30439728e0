import { createResolver, instance, lambda } from '@cloudmap-middy/core'
import { clearCache } from '@cloudmap-middy/core/testing'
import { awsConfig } from '@cloudmap-middy/moto-harness'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import middy from '@middy/core'
import { z } from 'zod'
import { cloudMap } from '../../src/index.js'
import { lambdaContext, quietLogger, useMoto } from './moto.js'

const moto = useMoto()
const resolver = () =>
  createResolver({
    clientConfig: awsConfig(moto.server.endpoint),
    clients: { config: awsConfig(moto.server.endpoint) },
    ttlMs: 60_000,
    logger: quietLogger,
  })

// The TTL is read against Date.now(): the tests move it forward instead of waiting (the SDK and moto see real time).
const realNow = Date.now.bind(Date)
let skipped = 0
const skip = (ms: number) => {
  skipped += ms
}
beforeEach(() => {
  clearCache()
  skipped = 0
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + skipped)
})
afterEach(() => {
  jest.restoreAllMocks()
})

describe('Integration: discovery through cloudMap() against moto', () => {
  it('It should discover a service by address, by instance id and with query parameters', async () => {
    // Prepare
    await moto.aws.register('it-discovery', 'api', 'blue-1', { type: 'http', url: 'http://blue-1.internal', stage: 'blue' })
    await moto.aws.register('it-discovery', 'api', 'green-1', { type: 'http', url: 'http://green-1.internal', stage: 'green' })
    const handler = middy()
      .use(
        cloudMap({
          resolver: resolver(),
          services: {
            any: instance('it-discovery.api'),
            pinned: instance('it-discovery.api->green-1', { attributes: z.object({ url: z.url() }) }),
            blue: instance('it-discovery.api', { queryParameters: { stage: 'blue' } }),
          },
        }),
      )
      .handler(async (_event: unknown, context) => ({
        any: context.services.any.instanceId,
        pinned: context.services.pinned.attributes.url,
        blue: context.services.blue.instanceId,
      }))

    // Act
    const results = await Promise.all(Array.from({ length: 20 }, () => handler({}, lambdaContext())))

    // Assess
    expect(new Set(results.map((r) => r.any))).toEqual(new Set(['blue-1', 'green-1']))
    expect(new Set(results.map((r) => r.pinned))).toEqual(new Set(['http://green-1.internal']))
    expect(new Set(results.map((r) => r.blue))).toEqual(new Set(['blue-1']))
  })

  it('It should drop a deregistered instance once the TTL has passed', async () => {
    await moto.aws.register('it-ttl', 'api', 'a', { type: 'http', url: 'http://a.internal' })
    await moto.aws.register('it-ttl', 'api', 'b', { type: 'http', url: 'http://b.internal' })
    const handler = middy()
      .use(cloudMap({ resolver: resolver(), services: { api: instance('it-ttl.api') } }))
      .handler(async (_event: unknown, context) => context.services.api.instanceId)
    const seen = async () => new Set(await Promise.all(Array.from({ length: 30 }, () => handler({}, lambdaContext()))))
    expect(await seen()).toEqual(new Set(['a', 'b']))

    await moto.aws.deregister('it-ttl', 'api', 'a')
    const withinTtl = await seen()
    skip(60_001)
    await handler({}, lambdaContext()) // serves stale once and refreshes before it returns

    expect(withinTtl).toEqual(new Set(['a', 'b']))
    expect(await seen()).toEqual(new Set(['b']))
  })

  it('It should pick up a replacement registered under the same name without touching the caller', async () => {
    const v1 = await moto.aws.function('get-job-v1')
    await moto.aws.register('it-upgrade', 'scheduler', 'get-job', { type: 'lambda', arn: v1 })
    const handler = middy()
      .use(cloudMap({ resolver: resolver(), services: { getJob: lambda('it-upgrade.scheduler->get-job') } }))
      .handler(async (_event: unknown, context) => context.services.getJob.arn)
    expect(await handler({}, lambdaContext())).toBe(v1)

    // The new version is registered over the old one, as a redeploy of the service would do.
    const v2 = await moto.aws.function('get-job-v2')
    await moto.aws.deregister('it-upgrade', 'scheduler', 'get-job')
    await moto.aws.register('it-upgrade', 'scheduler', 'get-job', { type: 'lambda', arn: v2 })
    skip(60_001)
    await handler({}, lambdaContext())

    expect(await handler({}, lambdaContext())).toBe(v2)
  })
})
