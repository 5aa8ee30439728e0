import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda'
import { DiscoverInstancesCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { type AwsClientCapture, createResolver, instance, lambda } from '../../src/index.js'
import { clearCache, restoreDefaultRegistry, useStaticRegistry } from '../../src/testing/index.js'

process.env.AWS_REGION ??= 'us-east-1'

const cloudMap = mockClient(ServiceDiscoveryClient)
const lambdaMock = mockClient(LambdaClient)
const logger = { warn: () => undefined }
const arn = 'arn:aws:lambda:us-east-1:123456789012:function:get-job'

/** A capture function that records the clients it is given, as `captureAWSv3Client` would instrument them. */
function recorder(): { capture: AwsClientCapture; captured: unknown[] } {
  const captured: unknown[] = []
  const capture: AwsClientCapture = (client) => {
    captured.push(client)
    return client
  }
  return { capture, captured }
}

const lambdaEnv = ['LAMBDA_TASK_ROOT', '_X_AMZN_TRACE_ID'] as const

beforeEach(() => {
  clearCache()
  cloudMap.reset()
  lambdaMock.reset()
  cloudMap.on(DiscoverInstancesCommand).resolves({ Instances: [{ InstanceId: 'get-job', Attributes: { type: 'lambda', arn } }] })
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: new TextEncoder().encode('{"ok":true}') as never })
})
afterEach(() => {
  for (const name of lambdaEnv) delete process.env[name]
})

// First: nothing in this file has asked Cloud Map through the process-wide registry yet.
describe('Option: awsClientCapture with useStaticRegistry', () => {
  it("It should still read the static registry: a capture is not a client of the resolver's own", async () => {
    // Prepare
    const { capture, captured } = recorder()
    const resolver = createResolver({ awsClientCapture: capture, logger })
    const registry = useStaticRegistry({ 'prod.config': { flags: { beta: 'on' } } })

    try {
      // Act
      const flags = await resolver.resolve(instance('prod.config->flags'))

      // Assess
      expect(flags.attributes).toEqual({ beta: 'on' })
      expect([...registry.calls.values()]).toEqual([1])
      expect(cloudMap.commandCalls(DiscoverInstancesCommand)).toHaveLength(0)
      expect(captured).toHaveLength(0)
    } finally {
      restoreDefaultRegistry()
    }
  })
})

describe('Option: awsClientCapture', () => {
  it('It should capture the Cloud Map client and the call clients the resolver creates', async () => {
    // Prepare
    const { capture, captured } = recorder()
    const resolver = createResolver({ awsClientCapture: capture, logger })

    // Act
    const job = await resolver.resolve(lambda('prod.scheduler->get-job'))
    await job.request({ id: '1' })

    // Assess: one of each, sent with.
    expect(captured).toEqual([expect.any(ServiceDiscoveryClient), expect.any(LambdaClient)])
    expect(cloudMap.commandCalls(DiscoverInstancesCommand)).toHaveLength(1)
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(1)
  })

  it('It should leave injected clients as given', async () => {
    // Prepare
    const { capture, captured } = recorder()
    const client = new ServiceDiscoveryClient({ region: 'us-east-1' })
    const resolver = createResolver({ client, clients: { lambda: new LambdaClient({}) }, awsClientCapture: capture, logger })

    // Act
    const job = await resolver.resolve(lambda('prod.scheduler->get-job'))
    await job.request({ id: '1' })

    // Assess
    expect(captured).toHaveLength(0)
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(1)
  })

  it('It should send uncaptured in Lambda outside an invocation (no trace id), and captured in one', async () => {
    // Prepare: Lambda's init, then an invocation (the runtime sets the trace id).
    const { capture, captured } = recorder()
    const resolver = createResolver({ awsClientCapture: capture, clientConfig: { region: 'us-east-1', maxAttempts: 1 }, logger })
    process.env.LAMBDA_TASK_ROOT = '/var/task'

    // Act
    await resolver.resolve(instance('prod.config'))
    const atInit = captured.length
    process.env._X_AMZN_TRACE_ID = 'Root=1-67f0a6b0-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1'
    await resolver.resolve(instance('prod.other'))

    // Assess
    expect(atInit).toBe(0)
    expect(captured).toEqual([expect.any(ServiceDiscoveryClient)])
    expect(cloudMap.commandCalls(DiscoverInstancesCommand)).toHaveLength(2)
  })

  it('It should share the cache with resolvers without a capture: the answers are the same', async () => {
    // Prepare
    const { capture } = recorder()
    const traced = createResolver({ awsClientCapture: capture, logger })
    const plain = createResolver({ logger })

    // Act
    await traced.resolve(instance('prod.config'))
    await plain.resolve(instance('prod.config'))

    // Assess
    expect(cloudMap.commandCalls(DiscoverInstancesCommand)).toHaveLength(1)
  })

  it('It should refuse a capture that is not a function, when the resolver is created', () => {
    expect(() => createResolver({ awsClientCapture: 'tracer' as never })).toThrow(
      'awsClientCapture=tracer is not a function (e.g. tracer.captureAWSv3Client.bind(tracer))',
    )
  })
})
