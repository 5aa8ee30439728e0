// The layout that used to reach Cloud Map silently: the handler imported statically (hoisted
// above everything else), useStaticRegistry() after it.
import { DiscoverInstancesCommand } from '@aws-sdk/client-servicediscovery'
import { useStaticRegistry } from '@cloudmap-middy/core/testing'
import { expect, it } from '@jest/globals'
import { cloudMapMock } from '../fixtures/cloud-map-mock.js'
import { handler } from '../fixtures/jobs.js'

it('It should refuse useStaticRegistry() after the handler module asked Cloud Map, naming the fix', async () => {
  // Act
  const late = () =>
    useStaticRegistry({
      'prod.scheduler': { 'get-job': { type: 'lambda', arn: 'arn:aws:lambda:eu-west-1:123456789012:function:get-job' } },
    })

  // Assess
  expect(late).toThrow('the process already asked Cloud Map for "prod.scheduler"')
  expect(late).toThrow('import the handler with `await import()` after it')
  expect(handler).toBeInstanceOf(Function)
  await new Promise((resolve) => setImmediate(resolve))
  expect(cloudMapMock.commandCalls(DiscoverInstancesCommand)).toHaveLength(1)
})
