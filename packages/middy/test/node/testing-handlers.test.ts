// The README's "Testing your handlers" example with node:test (node --test --import tsx),
// run as written: the handler module is imported as deployed, after useStaticRegistry.
import assert from 'node:assert/strict'
import { after, beforeEach, test } from 'node:test'
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda'
import { restoreDefaultRegistry, useStaticRegistry } from '@cloudmap-middy/core/testing'
import { Uint8ArrayBlobAdapter } from '@smithy/util-stream'
import type { Context } from 'aws-lambda'
import { mockClient } from 'aws-sdk-client-mock'

const lambdaMock = mockClient(LambdaClient)

const registry = useStaticRegistry({
  'prod.scheduler': {
    'get-job': { type: 'lambda', arn: 'arn:aws:lambda:eu-west-1:123456789012:function:get-job' },
  },
})
const { handler } = await import('../fixtures/jobs.js')

beforeEach(() => {
  lambdaMock.reset()
})
after(() => restoreDefaultRegistry())

test('returns the job from get-job', async () => {
  lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: Uint8ArrayBlobAdapter.fromString(JSON.stringify({ id: '1' })) })
  const context = { getRemainingTimeInMillis: () => 3_000 } as Context
  assert.deepEqual(await handler({ id: '1' }, context), { id: '1' })
  assert.equal(
    lambdaMock.commandCalls(InvokeCommand)[0]?.args[0].input.FunctionName,
    'arn:aws:lambda:eu-west-1:123456789012:function:get-job',
  )
  assert.equal(registry.calls.get('prod.scheduler'), 1)
})
