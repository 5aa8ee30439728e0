import { DiscoverInstancesCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery'
import { createResolver, DependencyResolutionError, DiscoveryError, instance, topic } from '@cloudmap-middy/core'
import { clearCache, staticRegistry } from '@cloudmap-middy/core/testing'
import { describe, expect, it, jest } from '@jest/globals'
import middy from '@middy/core'
import httpErrorHandler from '@middy/http-error-handler'
import type { APIGatewayProxyEventV2, Context, SQSEvent } from 'aws-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { cloudMap } from '../../src/index.js'

const logger = { warn: () => undefined }
const context = { functionName: 'test', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 10_000 } as Context
// The registration of the issue: a topic declared, a queue registered.
const registry = staticRegistry({
  'prod.events': { 'job-events': { type: 'sqs', url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/q' } },
})
const services = { events: topic('prod.events->job-events') }
const sqsEvent = { Records: [{ messageId: '1', body: '{}' }] } as unknown as SQSEvent
const httpEvent = {
  version: '2.0',
  rawPath: '/jobs',
  headers: {},
  requestContext: { http: { method: 'GET', path: '/jobs' } },
} as unknown as APIGatewayProxyEventV2

describe('Function: cloudMap, on failure', () => {
  it("It should reject a queue consumer's invocation with a message naming each failed address and why", async () => {
    // Prepare
    const handler = middy<SQSEvent>()
      .use(cloudMap({ resolver: createResolver({ registry, logger }), services }))
      .handler(async () => undefined)

    // Act
    const error = (await handler(sqsEvent, context).catch((e: unknown) => e)) as DependencyResolutionError

    // Assess: what Lambda records as errorMessage.
    expect(error).toBeInstanceOf(DependencyResolutionError)
    expect(error.message).toBe(
      '1 dependency could not be resolved: events (prod.events->job-events): Cloud Map instance "job-events" of "prod.events->job-events" is declared as sns but has type "sqs"',
    )
  })

  it('It should make @middy/http-error-handler answer an HTTP event with a plain 503 and no internals', async () => {
    // Prepare
    const handler = middy<APIGatewayProxyEventV2>()
      .use(httpErrorHandler({ logger: false }))
      .use(cloudMap({ resolver: createResolver({ registry: staticRegistry(), logger }), services: { billing: instance('prod.billing') } }))
      .handler(async () => ({ statusCode: 200, body: 'ok' }))

    // Act
    const response = (await handler(httpEvent, context)) as { statusCode: number; body: string }

    // Assess
    expect(response.statusCode).toBe(503)
    expect(response.body).toBe('Service Unavailable')
  })

  it('It should keep the details of an HTTP failure in detail, failures and the logged stack', async () => {
    const logged: unknown[] = []
    const handler = middy<APIGatewayProxyEventV2>()
      .use(cloudMap({ resolver: createResolver({ registry: staticRegistry(), logger }), services: { billing: instance('prod.billing') } }))
      .use(httpErrorHandler({ logger: (error) => logged.push(error) }))
      .handler(async () => ({ statusCode: 200, body: 'ok' }))

    const response = (await handler(httpEvent, context)) as { statusCode: number; body: string }

    // http-error-handler runs first here: the body is still generic.
    expect(response).toMatchObject({ statusCode: 503, body: 'Service Unavailable' })
    const error = logged[0] as DependencyResolutionError
    expect(error.failures.map((f) => f.address)).toEqual(['prod.billing'])
    expect(error.stack?.split('\n')[0]).toBe(`DependencyResolutionError: ${error.detail}`)
    expect(error.detail).toContain('Cloud Map namespace "prod" does not exist')
  })
})

describe('Function: cloudMap, on a cold start that cannot reach Cloud Map', () => {
  it('It should answer within 3 s of a 10 s invocation, not in its last half-second', async () => {
    // Prepare: Cloud Map refuses connections; the clock is Jest's.
    jest.useFakeTimers({ now: 1_700_000_000_000, doNotFake: ['nextTick', 'queueMicrotask'] })
    clearCache()
    const cloudMapSdk = mockClient(ServiceDiscoveryClient)
    cloudMapSdk
      .on(DiscoverInstancesCommand)
      .callsFake(() => Promise.reject(Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' })))
    const started = Date.now()
    const tenSeconds = { ...context, getRemainingTimeInMillis: () => 10_000 - (Date.now() - started) } as Context
    const handler = middy()
      .use(
        cloudMap({
          prefetch: false,
          resolver: createResolver({ client: new ServiceDiscoveryClient({ region: 'us-east-1' }), logger }),
          services: { users: instance('prod.users') },
        }),
      )
      .handler(async () => 'never')

    // Act
    let failedAt: number | undefined
    let error: unknown
    handler({}, tenSeconds).catch((caught: unknown) => {
      error = caught
      failedAt = Date.now() - started
    })
    for (let ms = 0; ms < 10_000 && failedAt === undefined; ms += 100) await jest.advanceTimersByTimeAsync(100)
    jest.useRealTimers()
    cloudMapSdk.restore()

    // Assess
    expect(error).toBeInstanceOf(DependencyResolutionError)
    expect((error as DependencyResolutionError).failures[0]?.error).toBeInstanceOf(DiscoveryError)
    expect(failedAt).toBeLessThanOrEqual(3_100)
  })
})
