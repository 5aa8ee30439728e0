// The example of docs/migrate-from-middy-service-discovery.md, run as written: the handler module is
// imported as deployed, after useStaticRegistry, with the Lambda SDK mocked and the ECS task's HTTP
// answer stubbed.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda'
import { DiscoverInstancesCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery'
import { DependencyResolutionError } from '@cloudmap-middy/core'
import { clearCache, restoreDefaultRegistry, useStaticRegistry } from '@cloudmap-middy/core/testing'
import { afterAll, afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { Uint8ArrayBlobAdapter } from '@smithy/util-stream'
import type { Context } from 'aws-lambda'
import { mockClient } from 'aws-sdk-client-mock'
import { fixtureCode, guideCode } from '../fixtures/migration-guide.js'

const GUIDE = 'docs/migrate-from-middy-service-discovery.md'
const FIXTURE = 'packages/middy/test/fixtures/migration-middy-service-discovery.ts'
const PRICING_ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:pricing-quote'

const lambdaMock = mockClient(LambdaClient)
// Proves that no Cloud Map call is even attempted: the table answers.
const cloudMapMock = mockClient(ServiceDiscoveryClient)

const registry = useStaticRegistry({
  // As ECS registers a task: the endpoint attributes and nothing else.
  'prod.orders': { 'task-1': { AWS_INSTANCE_IPV4: '10.0.1.23', AWS_INSTANCE_PORT: '8080' } },
  'prod.pricing': { quote: { type: 'lambda', arn: PRICING_ARN } },
})
// Imported after useStaticRegistry (a static import would be hoisted above it).
const { handler } = await import('../fixtures/migration-middy-service-discovery.js')

const context = { getRemainingTimeInMillis: () => 3_000 } as Context
const decode = (payload: Uint8Array | undefined): unknown => JSON.parse(new TextDecoder().decode(payload))

beforeEach(() => {
  lambdaMock.reset()
  lambdaMock
    .on(InvokeCommand)
    .resolves({ StatusCode: 200, Payload: Uint8ArrayBlobAdapter.fromString(JSON.stringify({ currency: 'EUR', total: 39.5 })) })
})
afterEach(() => {
  jest.restoreAllMocks()
})
afterAll(() => restoreDefaultRegistry())

describe('Guide: migrate from @middy/service-discovery', () => {
  it('It should call the ECS task found in Cloud Map and price the order with the registered function', async () => {
    // Prepare
    const fetchMock = jest
      .spyOn(globalThis, 'fetch')
      .mockImplementation(async () => new Response(JSON.stringify({ id: 'o-1', total: 42 }), { status: 200 }))

    // Act
    const quote = await handler({ orderId: 'o-1', currency: 'EUR' }, context)

    // Assess
    expect(quote).toEqual({ currency: 'EUR', total: 39.5 })
    expect(fetchMock).toHaveBeenCalledTimes(1)
    expect(String(fetchMock.mock.calls[0]?.[0])).toBe('http://10.0.1.23:8080/orders/o-1')
    const invoke = lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input
    expect(invoke?.FunctionName).toBe(PRICING_ARN)
    expect(invoke?.InvocationType).toBe('RequestResponse')
    expect(decode(invoke?.Payload as Uint8Array)).toEqual({ total: 42, currency: 'EUR' })
    expect(cloudMapMock.commandCalls(DiscoverInstancesCommand)).toHaveLength(0)
  })

  it('It should look each service up once per TTL, however many invocations', async () => {
    // Prepare
    jest.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response(JSON.stringify({ id: 'o-2', total: 7 })))

    // Act
    for (let i = 0; i < 3; i++) await handler({ orderId: 'o-2', currency: 'EUR' }, context)

    // Assess: the module's prefetch was the only lookup of each service.
    expect(registry.calls.get('prod.orders')).toBe(1)
    expect(registry.calls.get('prod.pricing')).toBe(1)
  })

  it('It should fail with one DependencyResolutionError naming every dependency not registered', async () => {
    // Prepare
    const fetchMock = jest.spyOn(globalThis, 'fetch')
    registry.remove('prod.orders')
    registry.remove('prod.pricing')
    clearCache()

    // Act
    const failure = await handler({ orderId: 'o-3', currency: 'EUR' }, context).catch((error: unknown) => error)

    // Assess
    expect(failure).toBeInstanceOf(DependencyResolutionError)
    const error = failure as DependencyResolutionError
    expect(error.statusCode).toBe(503)
    expect(error.failures.map((f) => [f.name, f.address])).toEqual([
      ['orders', 'prod.orders'],
      ['pricing', 'prod.pricing->quote'],
    ])
    expect(fetchMock).not.toHaveBeenCalled()
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(0)
  })

  it('It should show in the guide the handler this test runs', async () => {
    expect(await guideCode(GUIDE, FIXTURE)).toBe(await fixtureCode(FIXTURE))
  })
})
