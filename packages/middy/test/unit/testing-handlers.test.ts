// The README's "Testing your handlers" example, run as written, so the documentation cannot rot.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda'
import { clearCache, createResolver, lambda } from '@cloudmap-middy/core'
import { staticRegistry } from '@cloudmap-middy/core/testing'
import { beforeEach, expect, it } from '@jest/globals'
import middy from '@middy/core'
import { Uint8ArrayBlobAdapter } from '@smithy/util-stream'
import { mockClient } from 'aws-sdk-client-mock'
import { cloudMap } from '../../src/index.js'

const lambdaMock = mockClient(LambdaClient)

const registry = staticRegistry({
  'prod.scheduler': {
    'get-job': { type: 'lambda', arn: 'arn:aws:lambda:eu-west-1:123456789012:function:get-job' },
  },
})

const handler = middy<{ id: string }>()
  .use(cloudMap({ resolver: createResolver({ registry }), services: { jobs: lambda('prod.scheduler->get-job') } }))
  .handler(async (event, context) => context.services.jobs.request({ id: event.id }))

beforeEach(() => {
  lambdaMock.reset()
  clearCache()
})

it('returns the job from get-job', async () => {
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: Uint8ArrayBlobAdapter.fromString(JSON.stringify({ id: '1' })) })
  const context = { getRemainingTimeInMillis: () => 3_000 } as never
  await expect(handler({ id: '1' }, context)).resolves.toEqual({ id: '1' })
  expect(lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input.FunctionName).toBe(
    'arn:aws:lambda:eu-west-1:123456789012:function:get-job',
  )
})
