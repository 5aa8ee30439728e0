// A handler module with Powertools Tracer and cloudMap({ awsClientCapture }), tested as deployed with useStaticRegistry:
// the capture must not take the handler's resolver off the static registry.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda'
import { DiscoverInstancesCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery'
import { restoreDefaultRegistry, useStaticRegistry } from '@cloudmap-middy/core/testing'
import { afterAll, expect, it } from '@jest/globals'
import { Uint8ArrayBlobAdapter } from '@smithy/util-stream'
import type { Context } from 'aws-lambda'
import { mockClient } from 'aws-sdk-client-mock'

const lambdaMock = mockClient(LambdaClient)
const cloudMapMock = mockClient(ServiceDiscoveryClient)

const registry = useStaticRegistry({
  'prod.scheduler': { 'get-job': { type: 'lambda', arn: 'arn:aws:lambda:eu-west-1:123456789012:function:get-job' } },
})
const { handler } = await import('../fixtures/xray-handler.js')
afterAll(() => restoreDefaultRegistry())

it('It should read the static registry with awsClientCapture set, from the prefetch on', async () => {
  // Prepare
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: Uint8ArrayBlobAdapter.fromString(JSON.stringify({ id: '1' })) })

  // Act
  const result = await handler({}, { getRemainingTimeInMillis: () => 3_000 } as Context)

  // Assess
  expect(result).toEqual({ id: '1' })
  expect(registry.calls.get('prod.scheduler')).toBe(1)
  expect(cloudMapMock.commandCalls(DiscoverInstancesCommand)).toHaveLength(0)
  expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(1)
})
