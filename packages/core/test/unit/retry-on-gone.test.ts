import { ResourceNotFoundException as BusNotFound, PutEventsCommand } from '@aws-sdk/client-eventbridge'
import { InvalidParameterValueException, InvokeCommand, ResourceNotFoundException } from '@aws-sdk/client-lambda'
import { StartExecutionCommand, StateMachineDoesNotExist } from '@aws-sdk/client-sfn'
import { NotFoundException, PublishCommand } from '@aws-sdk/client-sns'
import { QueueDoesNotExist, SendMessageBatchCommand, SendMessageCommand } from '@aws-sdk/client-sqs'
import { beforeEach, describe, expect, it } from '@jest/globals'
import { BatchSendError } from '../../src/errors.js'
import { createResolver, eventBus, lambda, queue, stateMachine, topic } from '../../src/index.js'
import { clearCache, staticRegistry } from '../../src/testing/index.js'
import { mockCallClients } from '../call-clients.js'

const warnings: unknown[][] = []
const logger = { warn: (...args: unknown[]) => void warnings.push(args) }
const meta = { $metadata: {} }

const { lambdaMock, sqsMock, snsMock, sfnMock, eventsMock, clients } = mockCallClients()

const account = '123456789012'
const fn = (name: string) => `arn:aws:lambda:eu-west-1:${account}:function:${name}`
const sqs = (name: string) => ({
  type: 'sqs',
  arn: `arn:aws:sqs:eu-west-1:${account}:${name}`,
  url: `https://sqs.eu-west-1.amazonaws.com/${account}/${name}`,
})
const sns = (name: string) => `arn:aws:sns:eu-west-1:${account}:${name}`
const sfn = (name: string) => `arn:aws:states:eu-west-1:${account}:stateMachine:${name}`
const bus = (name: string) => `arn:aws:events:eu-west-1:${account}:event-bus/${name}`

/** A resolver on a registry holding `before` as instance `x` of prod.deps, and the registry to re-register it in. */
function setup(before: Record<string, string>) {
  const registry = staticRegistry({ 'prod.deps': { x: before } })
  const resolver = createResolver({ registry, clients, logger })
  return { registry, resolver, reregister: (after: Record<string, string>) => registry.register('prod.deps', 'x', after) }
}

beforeEach(() => {
  for (const mock of [lambdaMock, sqsMock, snsMock, sfnMock, eventsMock]) mock.reset()
  clearCache()
  warnings.length = 0
})

describe('Function: retryOnGone, through each kind', () => {
  it('It should retry a Lambda invoke once on the function registered now when the old one is gone', async () => {
    const { resolver, reregister } = setup({ type: 'lambda', arn: fn('old') })
    lambdaMock.on(InvokeCommand, { FunctionName: fn('old') }).rejects(new ResourceNotFoundException({ message: 'gone', ...meta }))
    lambdaMock.on(InvokeCommand, { FunctionName: fn('new') }).resolves({ StatusCode: 202 })
    const job = await resolver.resolve(lambda('prod.deps->x'))
    reregister({ type: 'lambda', arn: fn('new') })

    await job.invoke({ id: 1 })

    expect(lambdaMock.commandCalls(InvokeCommand).map((call) => call.args[0].input.FunctionName)).toEqual([fn('old'), fn('new')])
    expect(warnings).toEqual([
      [
        'cloudmap-middy: the target no longer exists; retrying once on the one registered now',
        { address: 'prod.deps->x', gone: fn('old'), target: fn('new') },
      ],
    ])
  })

  it('It should give the original error, with one request, when the registry still names the same function', async () => {
    const { resolver } = setup({ type: 'lambda', arn: fn('old') })
    lambdaMock.on(InvokeCommand).rejects(new ResourceNotFoundException({ message: 'gone', ...meta }))
    const job = await resolver.resolve(lambda('prod.deps->x'))

    await expect(job.request({ id: 1 })).rejects.toMatchObject({ name: 'CallRefusedError', code: 'ResourceNotFoundException' })
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(1)
  })

  it('It should not retry a call that failed for another reason', async () => {
    const { resolver, reregister } = setup({ type: 'lambda', arn: fn('old') })
    lambdaMock.on(InvokeCommand).rejects(new InvalidParameterValueException({ message: 'bad', ...meta }))
    const job = await resolver.resolve(lambda('prod.deps->x'))
    reregister({ type: 'lambda', arn: fn('new') })

    await expect(job.invoke({})).rejects.toMatchObject({ name: 'CallRefusedError', code: 'InvalidParameterValueException' })
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(1)
  })

  it('It should retry only once, even when the new target is gone too', async () => {
    const { resolver, reregister } = setup({ type: 'lambda', arn: fn('old') })
    lambdaMock.on(InvokeCommand).rejects(new ResourceNotFoundException({ message: 'gone', ...meta }))
    const job = await resolver.resolve(lambda('prod.deps->x'))
    reregister({ type: 'lambda', arn: fn('new') })

    await expect(job.invoke({})).rejects.toMatchObject({ target: fn('new') })
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(2)
  })

  it('It should retry an SQS send on the queue registered now when the old one does not exist', async () => {
    const { resolver, reregister } = setup(sqs('old'))
    sqsMock.on(SendMessageCommand, { QueueUrl: sqs('old').url }).rejects(new QueueDoesNotExist({ message: 'gone', ...meta }))
    sqsMock.on(SendMessageCommand, { QueueUrl: sqs('new').url }).resolves({ MessageId: 'm1' })
    const jobs = await resolver.resolve(queue('prod.deps->x'))
    reregister(sqs('new'))

    expect(await jobs.send({ id: 1 })).toEqual({ messageId: 'm1' })
    expect(sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input.QueueUrl)).toEqual([sqs('old').url, sqs('new').url])
  })

  it('It should retry an SQS batch only when none of it was sent', async () => {
    const { resolver, reregister } = setup(sqs('old'))
    sqsMock.on(SendMessageBatchCommand, { QueueUrl: sqs('old').url }).rejects(new QueueDoesNotExist({ message: 'gone', ...meta }))
    sqsMock
      .on(SendMessageBatchCommand, { QueueUrl: sqs('new').url })
      .resolves({ Successful: [{ Id: '0', MessageId: 'm1', MD5OfMessageBody: 'x' }] })
    const jobs = await resolver.resolve(queue('prod.deps->x'))
    reregister(sqs('new'))

    expect(await jobs.sendBatch([{ id: 1 }])).toEqual({ messageIds: ['m1'] })
    expect(sqsMock.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.QueueUrl)).toEqual([
      sqs('old').url,
      sqs('new').url,
    ])
  })

  it('It should not retry an SQS batch part of which was sent', async () => {
    const { resolver, reregister } = setup(sqs('old'))
    sqsMock.on(SendMessageBatchCommand).resolves({
      Successful: [{ Id: '0', MessageId: 'm1', MD5OfMessageBody: 'x' }],
      Failed: [{ Id: '1', Code: 'QueueDoesNotExist', Message: 'gone', SenderFault: true }],
    })
    const jobs = await resolver.resolve(queue('prod.deps->x'))
    reregister(sqs('new'))

    await expect(jobs.sendBatch([{ id: 1 }, { id: 2 }])).rejects.toBeInstanceOf(BatchSendError)
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1)
  })

  it('It should retry an SNS publish on the topic registered now when the old one is not found', async () => {
    const { resolver, reregister } = setup({ type: 'sns', arn: sns('old') })
    snsMock.on(PublishCommand, { TopicArn: sns('old') }).rejects(new NotFoundException({ message: 'gone', ...meta }))
    snsMock.on(PublishCommand, { TopicArn: sns('new') }).resolves({ MessageId: 'm1' })
    const events = await resolver.resolve(topic('prod.deps->x'))
    reregister({ type: 'sns', arn: sns('new') })

    expect(await events.publish({ id: 1 })).toEqual({ messageId: 'm1' })
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(2)
  })

  it('It should retry a Step Functions start on the state machine registered now when the old one does not exist', async () => {
    const { resolver, reregister } = setup({ type: 'stepfunctions', arn: sfn('old') })
    sfnMock.on(StartExecutionCommand, { stateMachineArn: sfn('old') }).rejects(new StateMachineDoesNotExist({ message: 'gone', ...meta }))
    sfnMock.on(StartExecutionCommand, { stateMachineArn: sfn('new') }).resolves({ executionArn: 'e1', startDate: new Date(0) })
    const flow = await resolver.resolve(stateMachine('prod.deps->x'))
    reregister({ type: 'stepfunctions', arn: sfn('new') })

    expect(await flow.start({ id: 1 })).toEqual({ executionArn: 'e1', startDate: new Date(0) })
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(2)
  })

  it('It should retry an EventBridge put on the bus registered now when the old one is not found', async () => {
    const { resolver, reregister } = setup({ type: 'eventbridge', arn: bus('old') })
    eventsMock.on(PutEventsCommand).callsFake((input: { Entries: { EventBusName: string }[] }) => {
      if (input.Entries[0]?.EventBusName === bus('old')) throw new BusNotFound({ message: 'gone', ...meta })
      return { FailedEntryCount: 0, Entries: [{ EventId: 'e1' }] }
    })
    const orders = await resolver.resolve(eventBus('prod.deps->x', { source: 'test' }))
    reregister({ type: 'eventbridge', arn: bus('new') })

    expect(await orders.put('Placed', { id: 1 })).toEqual({ eventId: 'e1' })
    expect(eventsMock.commandCalls(PutEventsCommand).map((call) => call.args[0].input.Entries?.[0]?.EventBusName)).toEqual([
      bus('old'),
      bus('new'),
    ])
  })
})

describe('Function: retryOnGone, never sending twice', () => {
  it('It should not retry a Lambda Event invoke whose SDK made more than one attempt (an earlier one may have been accepted)', async () => {
    const { resolver, reregister } = setup({ type: 'lambda', arn: fn('old') })
    // What the SDK's retry middleware throws after a timed-out first attempt and a second one refused.
    lambdaMock.on(InvokeCommand).rejects(new ResourceNotFoundException({ message: 'gone', $metadata: { attempts: 2 } }))
    const job = await resolver.resolve(lambda('prod.deps->x'))
    reregister({ type: 'lambda', arn: fn('new') })

    await expect(job.invoke({ id: 1 })).rejects.toMatchObject({ code: 'ResourceNotFoundException', target: fn('old') })
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(1)
  })

  it('It should not retry an SQS send whose SDK made more than one attempt', async () => {
    const { resolver, reregister } = setup(sqs('old'))
    sqsMock.on(SendMessageCommand).rejects(new QueueDoesNotExist({ message: 'gone', $metadata: { attempts: 3 } }))
    const jobs = await resolver.resolve(queue('prod.deps->x'))
    reregister(sqs('new'))

    await expect(jobs.send({ id: 1 })).rejects.toMatchObject({ code: 'QueueDoesNotExist' })
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(1)
  })

  it('It should not retry an SQS batch an attempt of which got no answer before the queue was found gone', async () => {
    const { resolver, reregister } = setup(sqs('old'))
    sqsMock
      .on(SendMessageBatchCommand)
      .rejectsOnce(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))
      .rejects(new QueueDoesNotExist({ message: 'gone', ...meta }))
    const jobs = await resolver.resolve(queue('prod.deps->x'))
    reregister(sqs('new'))

    const error = await jobs.sendBatch([{ id: 1 }]).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(BatchSendError)
    expect((error as BatchSendError).failures).toEqual([expect.objectContaining({ code: 'QueueDoesNotExist', mayHaveBeenSent: true })])
    expect(sqsMock.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.QueueUrl)).toEqual([
      sqs('old').url,
      sqs('old').url,
    ])
  })

  it('It should not retry an SQS batch whose request the SDK sent more than once', async () => {
    const { resolver, reregister } = setup(sqs('old'))
    sqsMock.on(SendMessageBatchCommand).rejects(new QueueDoesNotExist({ message: 'gone', $metadata: { attempts: 2 } }))
    const jobs = await resolver.resolve(queue('prod.deps->x'))
    reregister(sqs('new'))

    const error = await jobs.sendBatch([{ id: 1 }]).catch((caught: unknown) => caught)
    expect((error as BatchSendError).failures).toEqual([expect.objectContaining({ code: 'QueueDoesNotExist', mayHaveBeenSent: true })])
    expect(sqsMock.commandCalls(SendMessageBatchCommand)).toHaveLength(1)
  })

  it('It should not send to a new target the target policy refuses, and say why it did not retry', async () => {
    const registry = staticRegistry({ 'prod.deps': { x: { type: 'lambda', arn: fn('old') } } })
    const resolver = createResolver({ registry, clients, logger, allowedAccounts: [account] })
    lambdaMock.on(InvokeCommand).rejects(new ResourceNotFoundException({ message: 'gone', ...meta }))
    const job = await resolver.resolve(lambda('prod.deps->x'))
    registry.register('prod.deps', 'x', { type: 'lambda', arn: 'arn:aws:lambda:eu-west-1:999999999999:function:evil' })

    await expect(job.invoke({ id: 1 })).rejects.toMatchObject({ code: 'ResourceNotFoundException', target: fn('old') })
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(1)
    expect(warnings).toContainEqual([
      expect.stringContaining('not retried'),
      { address: 'prod.deps->x', gone: fn('old'), error: expect.stringContaining('999999999999') },
    ])
  })
})
