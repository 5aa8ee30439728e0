// aws-sdk-client-mock's documentation writes `callsFake(input => ({ ... }))` and throws from it:
// the stubbed `send` then answers or throws synchronously, which no real SDK client does.
import { PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { InvokeCommand, ResourceNotFoundException } from '@aws-sdk/client-lambda'
import { StartExecutionCommand } from '@aws-sdk/client-sfn'
import { PublishCommand } from '@aws-sdk/client-sns'
import { SendMessageCommand } from '@aws-sdk/client-sqs'
import { beforeEach, describe, expect, it } from '@jest/globals'
import { createResolver, eventBus, lambda, queue, stateMachine, topic } from '../../src/index.js'
import { clearCache, staticRegistry } from '../../src/testing/index.js'
import { mockCallClients } from '../call-clients.js'

const account = '123456789012'
const fn = (name: string) => `arn:aws:lambda:eu-west-1:${account}:function:${name}`
const { lambdaMock, sqsMock, snsMock, sfnMock, eventsMock, clients } = mockCallClients()
const registry = staticRegistry({
  'prod.deps': {
    fn: { type: 'lambda', arn: fn('get-job') },
    q: { type: 'sqs', arn: `arn:aws:sqs:eu-west-1:${account}:jobs`, url: `https://sqs.eu-west-1.amazonaws.com/${account}/jobs` },
    t: { type: 'sns', arn: `arn:aws:sns:eu-west-1:${account}:events` },
    sm: { type: 'stepfunctions', arn: `arn:aws:states:eu-west-1:${account}:stateMachine:flow` },
    bus: { type: 'eventbridge', arn: `arn:aws:events:eu-west-1:${account}:event-bus/orders` },
  },
})
const resolver = createResolver({ registry, clients, logger: { warn: () => undefined } })

beforeEach(() => {
  for (const mock of [lambdaMock, sqsMock, snsMock, sfnMock, eventsMock]) mock.reset()
  clearCache()
})

describe('Calls through a stand-in client that answers synchronously', () => {
  it('It should take an answer returned, not resolved, by every kind', async () => {
    // Prepare
    lambdaMock.on(InvokeCommand).callsFake(() => ({ StatusCode: 200, Payload: new TextEncoder().encode('{"id":"1"}') }))
    sqsMock.on(SendMessageCommand).callsFake(() => ({ MessageId: 'm-1' }))
    snsMock.on(PublishCommand).callsFake(() => ({ MessageId: 'p-1' }))
    sfnMock.on(StartExecutionCommand).callsFake(() => ({ executionArn: 'arn:x', startDate: new Date(0) }))
    eventsMock.on(PutEventsCommand).callsFake(() => ({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] }))

    // Act
    const fnDep = await resolver.resolve(lambda('prod.deps->fn'))
    const qDep = await resolver.resolve(queue('prod.deps->q'))
    const tDep = await resolver.resolve(topic('prod.deps->t'))
    const smDep = await resolver.resolve(stateMachine('prod.deps->sm'))
    const busDep = await resolver.resolve(eventBus('prod.deps->bus', { source: 'orders' }))

    // Assess
    await expect(fnDep.request({ id: '1' })).resolves.toEqual({ id: '1' })
    await expect(qDep.send({ n: 1 })).resolves.toMatchObject({ messageId: 'm-1' })
    await expect(tDep.publish({ n: 1 })).resolves.toMatchObject({ messageId: 'p-1' })
    await expect(smDep.start({ n: 1 })).resolves.toMatchObject({ executionArn: 'arn:x' })
    await expect(busDep.put('Order Placed', { n: 1 })).resolves.toMatchObject({ eventId: 'e-1' })
  })

  it('It should treat an error thrown synchronously as the refusal it is: a gone target refreshes and retries', async () => {
    // Prepare
    const local = staticRegistry({ 'prod.deps': { fn: { type: 'lambda', arn: fn('old') } } })
    const own = createResolver({ registry: local, clients, logger: { warn: () => undefined } })
    lambdaMock.on(InvokeCommand, { FunctionName: fn('old') }).callsFake(() => {
      throw new ResourceNotFoundException({ message: 'gone', $metadata: {} })
    })
    lambdaMock.on(InvokeCommand, { FunctionName: fn('new') }).callsFake(() => ({ StatusCode: 200, Payload: new TextEncoder().encode('1') }))
    const job = await own.resolve(lambda('prod.deps->fn'))
    local.register('prod.deps', 'fn', { type: 'lambda', arn: fn('new') })

    // Act
    const answer = await job.request({})

    // Assess
    expect(answer).toBe(1)
    expect(lambdaMock.commandCalls(InvokeCommand).map((call) => call.args[0].input.FunctionName)).toEqual([fn('old'), fn('new')])
  })
})
