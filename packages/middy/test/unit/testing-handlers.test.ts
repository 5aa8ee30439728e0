// The README's "Testing your handlers" example (Jest in ESM mode), run as written, so the
// documentation cannot rot: the handler module is imported as deployed, after useStaticRegistry.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda'
import { DiscoverInstancesCommand, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery'
import { restoreDefaultRegistry, useStaticRegistry } from '@cloudmap-middy/core/testing'
import { afterAll, beforeEach, expect, it } from '@jest/globals'
import { Uint8ArrayBlobAdapter } from '@smithy/util-stream'
import type { Context } from 'aws-lambda'
import { mockClient } from 'aws-sdk-client-mock'

const lambdaMock = mockClient(LambdaClient)
// Not part of the README's example: proves that no Cloud Map call was even attempted.
const cloudMapMock = mockClient(ServiceDiscoveryClient)

const registry = useStaticRegistry({
  'prod.scheduler': {
    'get-job': { type: 'lambda', arn: 'arn:aws:lambda:eu-west-1:123456789012:function:get-job' },
  },
})
const { handler } = await import('../fixtures/jobs.js')

beforeEach(() => {
  lambdaMock.reset()
})
afterAll(() => restoreDefaultRegistry())

it('returns the job from get-job', async () => {
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: Uint8ArrayBlobAdapter.fromString(JSON.stringify({ id: '1' })) })
  const context = { getRemainingTimeInMillis: () => 3_000 } as Context
  await expect(handler({ id: '1' }, context)).resolves.toEqual({ id: '1' })
  expect(lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input.FunctionName).toBe(
    'arn:aws:lambda:eu-west-1:123456789012:function:get-job',
  )
  // The module's prefetch and the invocation read the table: one lookup, no Cloud Map call.
  expect(registry.calls.get('prod.scheduler')).toBe(1)
  expect(cloudMapMock.commandCalls(DiscoverInstancesCommand)).toHaveLength(0)
})
