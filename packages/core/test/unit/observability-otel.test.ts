import { LambdaClient } from '@aws-sdk/client-lambda'
import { DiscoverInstancesCommand, ServiceDiscoveryClient, ServiceDiscoveryServiceException } from '@aws-sdk/client-servicediscovery'
import { afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { AsyncHooksContextManager } from '@opentelemetry/context-async-hooks'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { mockClient } from 'aws-sdk-client-mock'
import { createResolver, instance, lambda } from '../../src/index.js'
import { clearCache, staticRegistry } from '../../src/testing/index.js'

process.env.AWS_REGION ??= 'us-east-1'

const exporter = new InMemorySpanExporter()
const cloudMap = mockClient(ServiceDiscoveryClient)
const client = new ServiceDiscoveryClient({ region: 'us-east-1' })
const logger = { warn: () => undefined }
const tracer = () => trace.getTracer('test')
const spans = () => exporter.getFinishedSpans()

beforeAll(() => {
  // What an OpenTelemetry setup (ADOT, the Node SDK) registers at start: a context manager and a tracer provider.
  context.setGlobalContextManager(new AsyncHooksContextManager().enable())
  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }))
})

beforeEach(() => {
  cloudMap.reset()
  clearCache()
  exporter.reset()
})

afterEach(() => exporter.reset())

describe('Observability: OpenTelemetry', () => {
  it('It should make an INTERNAL span per discovery, child of the active span, with the peer and the cache outcome', async () => {
    cloudMap.on(DiscoverInstancesCommand).resolves({ Instances: [{ InstanceId: 'o1', Attributes: {} }] })
    const resolver = createResolver({ client, logger })

    // Act: a cold read, then a warm one, inside the handler's span.
    await tracer().startActiveSpan('handler', async (span) => {
      await resolver.resolve(instance('prod.orders'))
      await resolver.resolve(instance('prod.orders'))
      span.end()
    })

    // Assess
    const [discovery, handler] = spans()
    expect(spans()).toHaveLength(2)
    expect(discovery).toMatchObject({
      name: 'discover prod.orders',
      kind: SpanKind.INTERNAL,
      attributes: {
        'service.peer.namespace': 'prod',
        'service.peer.name': 'orders',
        'cloudmap_middy.cache.outcome': 'miss',
        'cloudmap_middy.refresh.outcome': 'changed',
        'cloudmap_middy.instance.count': 1,
      },
      status: { code: SpanStatusCode.UNSET },
    })
    expect(discovery?.parentSpanContext?.spanId).toBe(handler?.spanContext().spanId)
  })

  it('It should record a failed discovery on its span, with status ERROR', async () => {
    const denied = new ServiceDiscoveryServiceException({ name: 'AccessDeniedException', $fault: 'client', $metadata: {}, message: 'no' })
    cloudMap.on(DiscoverInstancesCommand).rejects(denied)
    const resolver = createResolver({ client, logger })

    await expect(resolver.resolve(instance('prod.orders'))).rejects.toThrow()

    expect(spans()).toEqual([
      expect.objectContaining({
        name: 'discover prod.orders',
        status: { code: SpanStatusCode.ERROR, message: 'AccessDeniedException' },
        attributes: expect.objectContaining({ 'cloudmap_middy.refresh.outcome': 'failed' }),
        events: [expect.objectContaining({ name: 'exception' })],
      }),
    ])
  })

  it("It should put the peer's attributes on the AWS SDK instrumentation's span of a call, and make no span of its own", async () => {
    // Prepare: a real Lambda client that answers without a network, and the SDK instrumentation's part as it does
    // it: `send` runs inside its CLIENT span.
    const lambdaClient = new LambdaClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
    lambdaClient.middlewareStack.add(
      () => async () => ({
        output: { StatusCode: 200, Payload: new TextEncoder().encode('"ok"'), $metadata: {} },
        response: { statusCode: 200, headers: {} },
      }),
      {
        step: 'build',
        name: 'cannedAnswer',
      },
    )
    const send = lambdaClient.send.bind(lambdaClient) as (...args: unknown[]) => Promise<unknown>
    Object.assign(lambdaClient, {
      send: (...args: unknown[]) =>
        tracer().startActiveSpan('Lambda.Invoke', { kind: SpanKind.CLIENT }, async (span) => {
          try {
            return await send(...args)
          } finally {
            span.end()
          }
        }),
    })
    const registry = staticRegistry({
      'prod.jobs': { 'get-job': { type: 'lambda', arn: 'arn:aws:lambda:us-east-1:123456789012:function:get-job' } },
    })
    const resolver = createResolver({ registry, logger, clients: { lambda: lambdaClient } })
    const jobs = await resolver.resolve(lambda('prod.jobs'))
    exporter.reset()

    // Act
    const result = await jobs.request({ id: '1' })

    // Assess
    expect(result).toBe('ok')
    expect(spans()).toEqual([
      expect.objectContaining({
        name: 'Lambda.Invoke',
        kind: SpanKind.CLIENT,
        attributes: { 'service.peer.namespace': 'prod', 'service.peer.name': 'jobs' },
      }),
    ])
  })
})
