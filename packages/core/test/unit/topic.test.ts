import { PublishBatchCommand, type PublishBatchCommandInput, PublishCommand, SNSClient } from '@aws-sdk/client-sns'
import { beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { z } from 'zod'
import {
  BatchSendError,
  DisallowedTargetError,
  InstanceTypeMismatchError,
  MissingGroupIdError,
  PayloadTooLargeError,
  PayloadValidationError,
} from '../../src/errors.js'
import { createResolver, type ResolverOptions } from '../../src/index.js'
import { topic, topicPublisher } from '../../src/kinds/topic.js'
import { staticRegistry } from '../../src/testing/index.js'

const snsMock = mockClient(SNSClient)
const client = new SNSClient({ region: 'us-east-1' })
const warnings: string[] = []
// A line as text: the stable message, then its fields.
const logger = { warn: (message: string, fields: object) => void warnings.push(`${message} ${JSON.stringify(fields)}`) }

const ARN = 'arn:aws:sns:eu-west-1:123456789012:job-events'
const FIFO_ARN = 'arn:aws:sns:eu-west-1:123456789012:job-events.fifo'
const JobEvent = z.object({ jobId: z.string(), state: z.enum(['queued', 'done']) })

const resolverFor = (attributes: Record<string, string>, options: Omit<ResolverOptions, 'registry' | 'logger'> = {}) =>
  createResolver({
    registry: staticRegistry({ 'prod.events': { 'job-events': attributes } }),
    clients: { sns: client },
    logger,
    ...options,
  })
const publishCalls = () => snsMock.commandCalls(PublishCommand)
const batchCalls = () => snsMock.commandCalls(PublishBatchCommand)
/** Answers a PublishBatch as SNS does when every entry is accepted. */
const acceptAll = (input: PublishBatchCommandInput) => ({
  Successful: (input.PublishBatchRequestEntries ?? []).map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}` })),
  Failed: [],
})

beforeEach(() => {
  snsMock.reset()
  warnings.length = 0
})

describe('Function: topic', () => {
  it('It should publish JSON with a subject and typed attributes encoded as SNS expects', async () => {
    // Prepare
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' })
    const events = await resolverFor({ type: 'event', arn: ARN }).resolve(topic('prod.events->job-events', { message: JobEvent }))
    const signature = new Uint8Array([1, 2, 3])

    // Act
    const result = await events.publish(
      { jobId: '42', state: 'done' },
      { subject: 'Job done', attributes: { tenant: 'acme', priority: 5, signature, ratio: { dataType: 'Number.float', value: '1.5' } } },
    )

    // Assess
    expect(result).toEqual({ messageId: 'm-1' })
    expect(events).toMatchObject({
      arn: ARN,
      region: 'eu-west-1',
      fifo: false,
      instanceId: 'job-events',
      address: 'prod.events->job-events',
    })
    expect(publishCalls()).toHaveLength(1)
    expect(publishCalls()[0]?.args[0].input).toEqual({
      TopicArn: ARN,
      Message: '{"jobId":"42","state":"done"}',
      Subject: 'Job done',
      MessageAttributes: {
        tenant: { DataType: 'String', StringValue: 'acme' },
        priority: { DataType: 'Number', StringValue: '5' },
        signature: { DataType: 'Binary', BinaryValue: signature },
        ratio: { DataType: 'Number.float', StringValue: '1.5' },
      },
    })
  })

  it('It should send the group and deduplication ids to a FIFO topic and return the sequence number', async () => {
    // Prepare
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1', SequenceNumber: '10000000000000000001' })
    const events = await resolverFor({ type: 'sns', arn: FIFO_ARN }).resolve(topic('prod.events->job-events'))

    // Act
    const result = await events.publish({ jobId: '42' }, { groupId: 'job-42', deduplicationId: 'done-42' })

    // Assess
    expect(events.fifo).toBe(true)
    expect(result).toEqual({ messageId: 'm-1', sequenceNumber: '10000000000000000001' })
    expect(publishCalls()[0]?.args[0].input).toEqual({
      TopicArn: FIFO_ARN,
      Message: '{"jobId":"42"}',
      MessageGroupId: 'job-42',
      MessageDeduplicationId: 'done-42',
    })
  })

  it('It should refuse a FIFO message without a group id before any call', async () => {
    // Prepare
    const events = await resolverFor({ type: 'topic', arn: FIFO_ARN }).resolve(topic('prod.events->job-events'))

    // Act & Assess
    await expect(events.publish({ jobId: '42' })).rejects.toThrow(MissingGroupIdError)
    await expect(
      events.publishBatch([{ jobId: '1' }, { jobId: '2' }], (_, index) => (index === 0 ? { groupId: 'g' } : {})),
    ).rejects.toThrow(/FIFO topic \(message #1\)/)
    expect(publishCalls()).toHaveLength(0)
    expect(batchCalls()).toHaveLength(0)
  })

  it('It should refuse a message over 256 KiB, attributes included, before any call', async () => {
    // Prepare
    const events = await resolverFor({ type: 'sns', arn: ARN }).resolve(topic('prod.events->job-events'))
    const body = 'x'.repeat(262_144 - 2 - 100) // fits alone once JSON quotes are added
    const attributes = { padding: 'y'.repeat(101) }

    // Act
    const error = await events.publish(body, { attributes }).catch((caught: unknown) => caught)

    // Assess
    expect(error).toBeInstanceOf(PayloadTooLargeError)
    expect(error).toMatchObject({ limit: 262_144, size: 262_144 - 100 + 'padding'.length + 'String'.length + 101 })
    expect(publishCalls()).toHaveLength(0)
  })

  it('It should refuse a message its schema rejects before any call', async () => {
    // Prepare
    const events = await resolverFor({ type: 'sns', arn: ARN }).resolve(topic('prod.events->job-events', { message: JobEvent }))

    // Act
    const error = await events.publish({ jobId: '42', state: 'lost' } as never).catch((caught: unknown) => caught)

    // Assess
    expect(error).toBeInstanceOf(PayloadValidationError)
    expect((error as PayloadValidationError).issues[0]?.path).toEqual(['state'])
    expect(publishCalls()).toHaveLength(0)
  })

  it('It should publish 25 messages in 3 PublishBatch calls and return their ids in order', async () => {
    // Prepare
    snsMock.on(PublishBatchCommand).callsFake(acceptAll)
    const events = await resolverFor({ type: 'sns', arn: ARN }).resolve(topic('prod.events->job-events', { message: JobEvent }))
    const messages = Array.from({ length: 25 }, (_, index) => ({ jobId: String(index), state: 'queued' as const }))

    // Act
    const { messageIds } = await events.publishBatch(messages, (message) => ({ attributes: { job: message.jobId } }))

    // Assess
    expect(batchCalls().map((call) => call.args[0].input.PublishBatchRequestEntries?.length)).toEqual([10, 10, 5])
    expect(messageIds).toEqual(messages.map((_, index) => `m-${index}`))
    const entry = batchCalls()[2]?.args[0].input.PublishBatchRequestEntries?.[4]
    expect(entry).toEqual({
      Id: '24',
      Message: '{"jobId":"24","state":"queued"}',
      MessageAttributes: { job: { DataType: 'String', StringValue: '24' } },
    })
  })

  it('It should split a batch by size as well as by count', async () => {
    // Prepare
    snsMock.on(PublishBatchCommand).callsFake(acceptAll)
    const events = await resolverFor({ type: 'sns', arn: ARN }).resolve(topic('prod.events->job-events'))
    const large = 'x'.repeat(100_000)

    // Act
    await events.publishBatch([large, large, large, 'small'])

    // Assess
    expect(batchCalls().map((call) => call.args[0].input.PublishBatchRequestEntries?.map((e) => e.Id))).toEqual([
      ['0', '1'],
      ['2', '3'],
    ])
  })

  it('It should check every message before sending any, naming the first bad one by index', async () => {
    // Prepare
    const events = await resolverFor({ type: 'sns', arn: ARN }).resolve(topic('prod.events->job-events', { message: JobEvent }))
    const messages = [{ jobId: '1', state: 'done' }, { jobId: '2', state: 'done' }, { jobId: 3 }] as never[]

    // Act
    const error = await events.publishBatch(messages).catch((caught: unknown) => caught)

    // Assess
    expect(error).toBeInstanceOf(PayloadValidationError)
    expect((error as PayloadValidationError).what).toBe('message #2')
    expect(batchCalls()).toHaveLength(0)
  })

  it('It should retry the entries SNS failed without blaming the sender, then report the rest by index', async () => {
    // Prepare
    const retried: string[][] = []
    snsMock.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
      const entries = input.PublishBatchRequestEntries ?? []
      retried.push(entries.map((entry) => entry.Id ?? ''))
      return {
        // #1 fails once then passes; #3 always fails (internal); #4 is the sender's fault.
        Successful: entries
          .filter((entry) => entry.Id === '0' || entry.Id === '2' || (entry.Id === '1' && retried.length > 1))
          .map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}` })),
        Failed: [
          ...entries
            .filter((entry) => (entry.Id === '1' && retried.length === 1) || entry.Id === '3')
            .map((entry) => ({ Id: entry.Id, Code: 'InternalError', Message: 'try again', SenderFault: false })),
          ...entries.filter((entry) => entry.Id === '4').map((entry) => ({ Id: entry.Id, Code: 'InvalidParameter', SenderFault: true })),
        ],
      }
    })
    const events = await resolverFor({ type: 'sns', arn: ARN }).resolve(topic('prod.events->job-events'))

    // Act
    const error = await events.publishBatch(['a', 'b', 'c', 'd', 'e']).catch((caught: unknown) => caught)

    // Assess
    expect(error).toBeInstanceOf(BatchSendError)
    const { failures, sent } = error as BatchSendError
    expect(retried).toEqual([['0', '1', '2', '3', '4'], ['1', '3'], ['3'], ['3']])
    expect(failures).toEqual([
      { index: 3, code: 'InternalError', message: 'try again', senderFault: false },
      { index: 4, code: 'InvalidParameter', message: '', senderFault: true },
    ])
    expect([...sent].sort()).toEqual([0, 1, 2])
  })

  it('It should retry a chunk whose whole request failed transiently, and report a chunk that failed for good', async () => {
    // Prepare
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client' })
    const denied = Object.assign(new Error('not authorized'), { name: 'AuthorizationErrorException', $fault: 'client' })
    let throttledOnce = false
    snsMock.on(PublishBatchCommand).callsFake((input: PublishBatchCommandInput) => {
      const first = input.PublishBatchRequestEntries?.[0]?.Id
      if (first === '10') throw denied
      if (first === '0' && !throttledOnce) {
        throttledOnce = true
        throw throttled
      }
      return acceptAll(input)
    })
    const events = await resolverFor({ type: 'sns', arn: ARN }).resolve(topic('prod.events->job-events'))
    const messages = Array.from({ length: 11 }, (_, index) => index)

    // Act
    const error = await events.publishBatch(messages).catch((caught: unknown) => caught)

    // Assess
    expect(
      batchCalls()
        .map((call) => call.args[0].input.PublishBatchRequestEntries?.[0]?.Id)
        .sort(),
    ).toEqual(['0', '0', '10'])
    expect(error).toBeInstanceOf(BatchSendError)
    expect((error as BatchSendError).failures).toEqual([
      { index: 10, code: 'AuthorizationErrorException', message: 'not authorized', senderFault: true },
    ])
    expect([...(error as BatchSendError).sent].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('It should refuse a topic in a region outside allowedRegions, before any call', async () => {
    // Prepare
    const resolver = resolverFor({ type: 'sns', arn: ARN }, { allowedRegions: ['us-east-1'] })

    // Act & Assess
    await expect(resolver.resolve(topic('prod.events->job-events'))).rejects.toThrow(DisallowedTargetError)
    expect(snsMock.calls()).toHaveLength(0)
  })

  it('It should refuse an instance registered as a lambda', async () => {
    // Prepare
    const resolver = resolverFor({ type: 'lambda', arn: 'arn:aws:lambda:eu-west-1:123456789012:function:get-job' })

    // Act
    const error = await resolver.resolve(topic('prod.events->job-events')).catch((caught: unknown) => caught)

    // Assess
    expect(error).toBeInstanceOf(InstanceTypeMismatchError)
    expect(error).toMatchObject({ expected: 'sns', actual: 'lambda' })
  })
})

describe('Function: topicPublisher', () => {
  it('It should publish as topic() does, with only publish beside the target', async () => {
    // Prepare
    snsMock.on(PublishCommand).resolves({ MessageId: 'm-1' })
    const declared = topicPublisher('prod.events->job-events', { message: JobEvent })

    // Act
    const events = await resolverFor({ type: 'sns', arn: ARN }).resolve(declared)
    const result = await events.publish({ jobId: '42', state: 'done' }, { subject: 'Job done' })

    // Assess
    expect(declared.kind).toBe('topic')
    expect(result).toEqual({ messageId: 'm-1' })
    expect(publishCalls()[0]?.args[0].input).toEqual({
      TopicArn: ARN,
      Message: JSON.stringify({ jobId: '42', state: 'done' }),
      Subject: 'Job done',
    })
    expect(Object.keys(events).sort()).toEqual(['address', 'arn', 'attributes', 'fifo', 'instanceId', 'label', 'publish', 'region'])
    await expect(events.publish({ jobId: '42', state: 'lost' } as never)).rejects.toBeInstanceOf(PayloadValidationError)
  })
})
