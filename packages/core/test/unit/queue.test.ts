import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SendMessageBatchRequestEntry,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { z } from 'zod'
import {
  AttributeValidationError,
  BatchSendError,
  DisallowedTargetError,
  InstanceTypeMismatchError,
  MissingGroupIdError,
  PayloadTooLargeError,
  PayloadValidationError,
} from '../../src/errors.js'
import { createResolver, type ResolverOptions, type Schema } from '../../src/index.js'
import { type QueueOptions, queue, queueSender } from '../../src/kinds/queue.js'
import { clearCache, staticRegistry } from '../../src/testing/index.js'
import { withEnv } from '../env.js'
import { until } from '../events.js'

const sqs = mockClient(SQSClient)
const client = new SQSClient({ region: 'us-east-1' })
const warnings: string[] = []
// A line as text: the stable message, then its fields.
const logger = { warn: (message: string, fields: object) => void warnings.push(`${message} ${JSON.stringify(fields)}`) }

const ACCOUNT = '123456789012'
const QUEUE_URL = `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/jobs`
const FIFO_ARN = `arn:aws:sqs:eu-west-1:${ACCOUNT}:jobs.fifo`
const Job = z.object({ jobId: z.string(), priority: z.number().default(0) })

function resolveQueue<M extends Schema | undefined = undefined>(
  attributes: Record<string, string>,
  options: QueueOptions<M, undefined> = {},
  resolverOptions: ResolverOptions = {},
) {
  const registry = staticRegistry({ 'prod.scheduler': { q: attributes } })
  const resolver = createResolver({ registry, clients: { sqs: client }, logger, ...resolverOptions })
  return resolver.resolve(queue('prod.scheduler->q', options))
}

const raw = (id: string, body: unknown, extra: Partial<Message> = {}): Message => ({
  MessageId: id,
  ReceiptHandle: `rh-${id}`,
  Body: JSON.stringify(body),
  Attributes: { ApproximateReceiveCount: '1' },
  ...extra,
})

/** Answers SendMessageBatch with every entry accepted, its id derived from the entry id. */
const acceptAll = (input: { Entries: SendMessageBatchRequestEntry[] }) => ({
  Successful: input.Entries.map((entry) => ({ Id: entry.Id, MessageId: `m-${entry.Id}`, MD5OfMessageBody: 'x' })),
  Failed: [],
})

const calls = {
  receive: () => sqs.commandCalls(ReceiveMessageCommand),
  delete: () => sqs.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input.ReceiptHandle),
  release: () => sqs.commandCalls(ChangeMessageVisibilityCommand).map((call) => call.args[0].input),
  batches: () => sqs.commandCalls(SendMessageBatchCommand).map((call) => call.args[0].input.Entries ?? []),
}

beforeEach(() => {
  sqs.reset()
  clearCache()
  warnings.length = 0
  sqs.on(DeleteMessageCommand).resolves({})
  sqs.on(ChangeMessageVisibilityCommand).resolves({})
})

afterEach(() => {
  jest.useRealTimers()
})

describe('Function: queue', () => {
  describe('bind', () => {
    it('It should use the registered url, its region, and mark a standard queue', async () => {
      // Prepare
      const regions: Array<string | undefined> = []
      const registry = staticRegistry({ 'prod.scheduler': { q: { type: 'queue', url: QUEUE_URL, team: 'jobs' } } })
      const resolver = createResolver({
        registry,
        logger,
        clients: {
          sqs: (region) => {
            regions.push(region)
            return client
          },
        },
      })

      // Act
      const jobs = await resolver.resolve(queue('prod.scheduler->q'))

      // Assess
      expect(jobs).toMatchObject({ instanceId: 'q', address: 'prod.scheduler->q', url: QUEUE_URL, arn: undefined, fifo: false })
      expect(jobs.attributes).toEqual({ type: 'queue', url: QUEUE_URL, team: 'jobs' })
      expect(regions).toEqual(['eu-west-1'])
      expect(Object.isFrozen(jobs)).toBe(true)
    })

    it('It should derive the url from the arn and detect a FIFO queue by its name', async () => {
      const jobs = await resolveQueue({ type: 'sqs', arn: FIFO_ARN })

      expect(jobs.url).toBe(`https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/jobs.fifo`)
      expect(jobs.arn).toBe(FIFO_ARN)
      expect(jobs.fifo).toBe(true)
    })

    it('It should validate the attributes with their schema', async () => {
      const registry = staticRegistry({ 'prod.scheduler': { q: { type: 'sqs', url: QUEUE_URL, maxReceive: '5' } } })
      const resolver = createResolver({ registry, clients: { sqs: client }, logger })

      const jobs = await resolver.resolve(queue('prod.scheduler->q', { attributes: z.object({ maxReceive: z.coerce.number() }) }))

      expect(jobs.attributes).toEqual({ maxReceive: 5 })
    })

    it('It should refuse an arn in a disallowed account before any call', async () => {
      const resolving = resolveQueue({ type: 'sqs', arn: 'arn:aws:sqs:eu-west-1:999999999999:jobs' }, {}, { allowedAccounts: [ACCOUNT] })

      await expect(resolving).rejects.toThrow(DisallowedTargetError)
      await expect(resolving).rejects.toThrow(/999999999999/)
      expect(sqs.calls()).toHaveLength(0)
    })

    it('It should check the account and region of a url when there is no arn', async () => {
      await expect(resolveQueue({ type: 'sqs', url: QUEUE_URL }, {}, { allowedRegions: ['us-east-1'] })).rejects.toThrow(/region eu-west-1/)
      await expect(
        resolveQueue({ type: 'sqs', url: QUEUE_URL }, {}, { allowedAccounts: [ACCOUNT], allowedRegions: ['eu-west-1'] }),
      ).resolves.toMatchObject({
        url: QUEUE_URL,
      })
    })

    it('It should refuse an instance without url or arn, or of another type', async () => {
      const missing = resolveQueue({ type: 'sqs' })
      await expect(missing).rejects.toThrow(AttributeValidationError)
      await expect(missing).rejects.toThrow(/url: required/)
      await expect(resolveQueue({ type: 'lambda', arn: 'arn:aws:lambda:eu-west-1:123456789012:function:f' })).rejects.toThrow(
        InstanceTypeMismatchError,
      )
      await expect(resolveQueue({ type: 'sqs', url: 'not a url' })).rejects.toThrow(/is not a URL/)
    })
  })

  describe('target policy', () => {
    const ARN = `arn:aws:sqs:eu-west-1:${ACCOUNT}:jobs`
    /** Resolves each registration on its own; what each failed with (or 'bound'). */
    const outcomes = (registrations: Record<string, string>[], resolverOptions: ResolverOptions = {}) =>
      Promise.all(
        registrations.map((attributes) =>
          resolveQueue({ type: 'sqs', ...attributes }, {}, resolverOptions).then(
            () => 'bound',
            (error: unknown) => error as Error,
          ),
        ),
      )

    it('It should refuse a url that points elsewhere than the arn, whatever the arn allows, with no call', async () => {
      // Act
      const errors = await outcomes(
        [
          { arn: ARN, url: `https://evil.example/${ACCOUNT}/jobs` },
          { arn: ARN, url: 'https://sqs.eu-west-1.amazonaws.com/999999999999/jobs' },
          { arn: ARN, url: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/other` },
          { arn: ARN, url: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/jobs` },
        ],
        { allowedAccounts: [ACCOUNT] },
      )

      // Assess
      for (const error of errors) expect(error).toMatchObject({ name: 'DisallowedTargetError', rule: 'sqs url', instanceId: 'q' })
      expect(sqs.calls()).toHaveLength(0)
    })

    it('It should accept only the SQS endpoint of a region over https as a queue url', async () => {
      // Act
      const errors = await outcomes([
        { url: `https://sqs.us-east-1.amazonaws.com.evil.example/${ACCOUNT}/jobs` },
        { url: `http://sqs.us-east-1.amazonaws.com/${ACCOUNT}/jobs` },
        { url: `https://sqs.us-east-1.amazonaws.com:8443/${ACCOUNT}/jobs` },
        { url: `https://evil.example/sqs.us-east-1.amazonaws.com/${ACCOUNT}/jobs` },
        { url: `https://sqs.us-east-1.amazonaws.com/${ACCOUNT}/jobs?x=1` },
        { url: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/../999999999999/jobs` },
        { url: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/%2e%2e/999999999999/jobs` },
        { url: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}\\jobs` },
      ])

      // Assess
      for (const error of errors) expect(error).toMatchObject({ name: 'DisallowedTargetError', rule: 'sqs url' })
    })

    it('It should refuse an arn whose resource is not a queue name', async () => {
      // Act
      const [error] = await outcomes([{ arn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:../../999999999999/x` }], { allowedAccounts: [ACCOUNT] })

      // Assess
      expect(error).toBeInstanceOf(AttributeValidationError)
      expect((error as AttributeValidationError).issues[0]?.path).toEqual(['arn'])
    })

    it('It should refuse a url with userinfo without showing the password', async () => {
      // Act
      const [error] = await outcomes([{ url: `https://user:hunter2@sqs.eu-west-1.amazonaws.com/${ACCOUNT}/jobs` }])

      // Assess
      expect(error).toMatchObject({ name: 'DisallowedTargetError', target: `https://***@sqs.eu-west-1.amazonaws.com/${ACCOUNT}/jobs` })
      expect((error as Error).message).not.toContain('hunter2')
    })

    it('It should accept a url of the configured SQS endpoint, and only of that one', async () => {
      // Prepare
      const local = `http://127.0.0.1:4566/${ACCOUNT}/jobs`
      const registry = staticRegistry({
        'prod.scheduler': {
          local: { type: 'sqs', url: local, arn: ARN },
          other: { type: 'sqs', url: `http://127.0.0.1:9999/${ACCOUNT}/jobs` },
        },
      })
      const configured = createResolver({ registry, logger, clients: { config: { endpoint: 'http://127.0.0.1:4566' } } })
      const injected = createResolver({
        registry,
        logger,
        clients: { sqs: new SQSClient({ region: 'eu-west-1', endpoint: 'http://127.0.0.1:4566/' }) },
      })
      const { bound, refused } = await withEnv({ AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:4566' }, async () => {
        const fromEnv = createResolver({ registry, logger, clients: { sqs: client } })

        // Act
        return {
          bound: await Promise.all([configured, injected, fromEnv].map((resolver) => resolver.resolve(queue('prod.scheduler->local')))),
          refused: await configured.resolve(queue('prod.scheduler->other')).catch((error: unknown) => error),
        }
      })

      // Assess
      expect(bound.map((jobs) => [jobs.url, jobs.arn])).toEqual([
        [local, ARN],
        [local, ARN],
        [local, ARN],
      ])
      expect(refused).toMatchObject({ name: 'DisallowedTargetError', rule: 'sqs url' })
      expect((refused as Error).message).toContain('http://127.0.0.1:9999')
    })
  })

  describe('send', () => {
    it('It should send the validated message as JSON with its options and attributes', async () => {
      // Prepare
      sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1' })
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL }, { message: Job })

      // Act
      const result = await jobs.send({ jobId: '42' }, { delaySeconds: 5, attributes: { tenant: 'acme', attempt: 2 } })

      // Assess
      expect(result).toEqual({ messageId: 'm-1' })
      expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input).toEqual({
        QueueUrl: QUEUE_URL,
        MessageBody: '{"jobId":"42","priority":0}',
        DelaySeconds: 5,
        MessageAttributes: {
          tenant: { DataType: 'String', StringValue: 'acme' },
          attempt: { DataType: 'Number', StringValue: '2' },
        },
      })
    })

    it('It should pass the group and deduplication ids to a FIFO queue and return the sequence number', async () => {
      sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1', SequenceNumber: '100' })
      const jobs = await resolveQueue({ type: 'sqs', arn: FIFO_ARN })

      const result = await jobs.send({ any: 'thing' }, { groupId: 'g1', deduplicationId: 'd1' })

      expect(result).toEqual({ messageId: 'm-1', sequenceNumber: '100' })
      expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input).toMatchObject({ MessageGroupId: 'g1', MessageDeduplicationId: 'd1' })
    })

    it('It should refuse a FIFO message without a group id, with no call', async () => {
      const jobs = await resolveQueue({ type: 'sqs', arn: FIFO_ARN })

      await expect(jobs.send({ jobId: '1' })).rejects.toThrow(MissingGroupIdError)
      expect(sqs.calls()).toHaveLength(0)
    })

    it('It should refuse a message whose body and attributes exceed 1 MiB, with no call', async () => {
      // Prepare: the body alone fits, the attributes push it over.
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL })
      const body = 'x'.repeat(1_048_576 - 100)

      // Act
      const sending = jobs.send(body, { attributes: { note: 'y'.repeat(200) } })

      // Assess
      await expect(sending).rejects.toThrow(PayloadTooLargeError)
      await expect(sending).rejects.toMatchObject({ size: 1_048_576 - 100 + 2 + 'note'.length + 'String'.length + 200 })
      expect(sqs.calls()).toHaveLength(0)
    })

    it('It should refuse a message its schema rejects, with no call', async () => {
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL }, { message: Job })

      // @ts-expect-error jobId must be a string
      const sending = jobs.send({ jobId: 42 })

      await expect(sending).rejects.toThrow(PayloadValidationError)
      await expect(sending).rejects.toThrow(/jobId/)
      expect(sqs.calls()).toHaveLength(0)
    })
  })

  describe('sendBatch', () => {
    it('It should send 25 messages in 3 requests of 10, 10 and 5, ids aligned with the input', async () => {
      // Prepare
      sqs.on(SendMessageBatchCommand).callsFake(acceptAll)
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL }, { message: Job })
      const messages = Array.from({ length: 25 }, (_, i) => ({ jobId: `j${i}` }))

      // Act
      const result = await jobs.sendBatch(messages, { attributes: { source: 'test' } })

      // Assess
      const batches = calls.batches()
      expect(batches.map((entries) => entries.length)).toEqual([10, 10, 5])
      expect(batches.flat().map((entry) => entry.Id)).toEqual(messages.map((_, i) => String(i)))
      expect(batches[2]?.[4]).toMatchObject({
        MessageBody: '{"jobId":"j24","priority":0}',
        MessageAttributes: { source: { DataType: 'String', StringValue: 'test' } },
      })
      expect(result.messageIds).toEqual(messages.map((_, i) => `m-${i}`))
    })

    it('It should split the requests to stay under 1 MiB each', async () => {
      sqs.on(SendMessageBatchCommand).callsFake(acceptAll)
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL })
      const messages = Array.from({ length: 5 }, (_, i) => `${i}`.repeat(300_000))

      const result = await jobs.sendBatch(messages)

      const sizes = calls.batches().map((entries) => entries.reduce((sum, entry) => sum + Buffer.byteLength(entry.MessageBody ?? ''), 0))
      expect(sizes.length).toBeGreaterThan(1)
      for (const size of sizes) expect(size).toBeLessThanOrEqual(1_048_576)
      expect(calls.batches().flat()).toHaveLength(5)
      expect(result.messageIds).toHaveLength(5)
    })

    it('It should take per-message options from a function, and refuse a FIFO message without group id before sending', async () => {
      sqs.on(SendMessageBatchCommand).callsFake(acceptAll)
      const jobs = await resolveQueue({ type: 'sqs', arn: FIFO_ARN }, { message: Job })
      const messages = [{ jobId: 'a' }, { jobId: 'b' }]

      await jobs.sendBatch(messages, (message, index) => ({ groupId: message.jobId, deduplicationId: `d${index}` }))
      const missing = jobs.sendBatch(messages, (_, index) => (index === 1 ? {} : { groupId: 'g' }))

      expect(calls.batches()[0]?.map((entry) => [entry.MessageGroupId, entry.MessageDeduplicationId])).toEqual([
        ['a', 'd0'],
        ['b', 'd1'],
      ])
      await expect(missing).rejects.toThrow(MissingGroupIdError)
      await expect(missing).rejects.toThrow(/message #1/)
      expect(calls.batches()).toHaveLength(1)
    })

    it('It should refuse the whole batch when one message is invalid, naming its index, with no call', async () => {
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL }, { message: Job })
      const messages = [{ jobId: 'a' }, { jobId: 'b' }, { jobId: 'c' }, { jobId: 7 as unknown as string }]

      const sending = jobs.sendBatch(messages)

      await expect(sending).rejects.toThrow(PayloadValidationError)
      await expect(sending).rejects.toThrow(/message #3/)
      expect(sqs.calls()).toHaveLength(0)
    })

    it('It should retry a retriable failed entry and report the rest by index in a BatchSendError', async () => {
      // Prepare: #1 fails once on the server side, #2 is refused as the sender's fault.
      let attempts = 0
      sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => {
        attempts += 1
        const failing = attempts === 1 ? ['1', '2'] : []
        return {
          Successful: input.Entries.filter((e) => !failing.includes(e.Id ?? '')).map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
          Failed: [
            ...(failing.includes('1') ? [{ Id: '1', SenderFault: false, Code: 'InternalError', Message: 'try again' }] : []),
            ...(failing.includes('2') ? [{ Id: '2', SenderFault: true, Code: 'InvalidParameterValue', Message: 'bad' }] : []),
          ],
        }
      })
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL })

      // Act
      const error = await jobs.sendBatch(['a', 'b', 'c', 'd']).catch((e: unknown) => e)

      // Assess
      expect(error).toBeInstanceOf(BatchSendError)
      const { failures, sent } = error as BatchSendError
      expect(failures).toEqual([{ index: 2, code: 'InvalidParameterValue', message: 'bad', senderFault: true }])
      expect(sent).toEqual([0, 1, 3])
      expect(calls.batches().map((entries) => entries.map((e) => e.Id))).toEqual([['0', '1', '2', '3'], ['1']])
    })

    it('It should resend a FIFO request whose answer was lost with the same deduplication ids, one entry per group, keeping each group in order', async () => {
      // Prepare: a FIFO queue that deduplicates. The first request takes a0, fails b2 on the
      // server side, and its answer is lost (a reset connection).
      const received: string[] = []
      sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => {
        const first = sqs.commandCalls(SendMessageBatchCommand).length === 1
        for (const entry of input.Entries) {
          const id = entry.MessageDeduplicationId ?? ''
          if (!(first && id === 'd2') && !received.includes(id)) received.push(id)
        }
        if (first) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
        return { Successful: input.Entries.map((e) => ({ Id: e.Id, MessageId: `m-${e.MessageDeduplicationId}` })) }
      })
      const jobs = await resolveQueue({ type: 'sqs', arn: FIFO_ARN })
      jest.useFakeTimers()

      // Act
      const sending = jobs.sendBatch(['a0', 'a1', 'b2', 'b3'], (message, index) => ({
        groupId: String(message).slice(0, 1),
        deduplicationId: `d${index}`,
      }))
      await jest.runAllTimersAsync()
      const result = await sending

      // Assess: a1 and b3 wait until a0 and b2 are confirmed; the resend is the same request.
      expect(calls.batches().map((entries) => entries.map((e) => `${e.MessageGroupId}:${e.MessageDeduplicationId}`))).toEqual([
        ['a:d0', 'b:d2'],
        ['a:d0', 'b:d2'],
        ['a:d1', 'b:d3'],
      ])
      expect(received).toEqual(['d0', 'd2', 'd1', 'd3'])
      expect(result.messageIds).toEqual(['m-d0', 'm-d1', 'm-d2', 'm-d3'])
    })

    it('It should stop retrying after 3 retries and account for every index', async () => {
      sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => ({
        Successful: input.Entries.filter((e) => e.Id !== '0').map((e) => ({ Id: e.Id, MessageId: `m-${e.Id}` })),
        Failed: input.Entries.filter((e) => e.Id === '0').map((e) => ({ Id: e.Id, SenderFault: true, Code: 'ThrottlingException' })),
      }))
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL })
      const messages = Array.from({ length: 12 }, (_, i) => i)

      const error = (await jobs.sendBatch(messages).catch((e: unknown) => e)) as BatchSendError

      expect(calls.batches().map((entries) => entries.length)).toEqual([10, 2, 1, 1, 1])
      expect(error.failures.map((f) => [f.index, f.code])).toEqual([[0, 'ThrottlingException']])
      expect([...error.sent, ...error.failures.map((f) => f.index)].sort((a, b) => a - b)).toEqual(messages)
    })

    it('It should mark every entry of a request that threw as failed, retrying only transient errors', async () => {
      // Prepare: the first request throttles once; the second is denied.
      let attempts = 0
      sqs.on(SendMessageBatchCommand).callsFake((input: { Entries: SendMessageBatchRequestEntry[] }) => {
        attempts += 1
        if (input.Entries[0]?.Id === '10') throw Object.assign(new Error('no access'), { name: 'AccessDenied', $fault: 'client' })
        if (attempts === 1) throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' })
        return acceptAll(input)
      })
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL })
      const messages = Array.from({ length: 13 }, (_, i) => i)

      // Act
      const error = (await jobs.sendBatch(messages).catch((e: unknown) => e)) as BatchSendError

      // Assess
      expect(error).toBeInstanceOf(BatchSendError)
      expect(error.sent).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
      expect(error.failures).toEqual(
        [10, 11, 12].map((index) => ({ index, code: 'AccessDenied', message: 'no access', senderFault: true })),
      )
      expect(calls.batches().map((entries) => entries.length)).toEqual([10, 3, 10])
    })

    it('It should send nothing for an empty batch', async () => {
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL })

      await expect(jobs.sendBatch([])).resolves.toEqual({ messageIds: [] })
      expect(sqs.calls()).toHaveLength(0)
    })
  })

  describe('receive', () => {
    it('It should ask for messages with their attributes and return the valid ones parsed', async () => {
      // Prepare
      sqs.on(ReceiveMessageCommand).resolves({
        Messages: [
          raw(
            '1',
            { jobId: 'a' },
            {
              Attributes: { ApproximateReceiveCount: '3', MessageGroupId: 'g' },
              MessageAttributes: { tenant: { DataType: 'String', StringValue: 'acme' }, attempt: { DataType: 'Number', StringValue: '2' } },
            },
          ),
          raw('2', null, { Body: 'not json {' }),
          raw('3', { jobId: 3 }),
        ],
      })
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL }, { message: Job })

      // Act
      const messages = await jobs.receive({ max: 50, waitSeconds: 5, visibilityTimeout: 30 })

      // Assess
      expect(calls.receive()[0]?.args[0].input).toEqual({
        QueueUrl: QUEUE_URL,
        MaxNumberOfMessages: 10,
        WaitTimeSeconds: 5,
        VisibilityTimeout: 30,
        MessageAttributeNames: ['All'],
        MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
      })
      expect(messages).toHaveLength(1)
      expect(messages[0]).toMatchObject({
        messageId: '1',
        receiptHandle: 'rh-1',
        body: { jobId: 'a', priority: 0 },
        attributes: { tenant: 'acme', attempt: 2 },
        receiveCount: 3,
        groupId: 'g',
      })
      expect(calls.delete()).toEqual([])
      expect(warnings).toHaveLength(2)
      expect(warnings[0]).toMatch(
        /^cloudmap-middy: left a message on its queue \{"address":"prod.scheduler->q","messageId":"2",.*not JSON \(10 bytes\)/,
      )
      expect(warnings[1]).toMatch(/^cloudmap-middy: left a message on its queue \{"address":"prod.scheduler->q","messageId":"3",.*jobId/)
    })

    it('It should never quote an unreadable body in a warning', async () => {
      // Prepare
      sqs.on(ReceiveMessageCommand).resolves({ Messages: [raw('1', null, { Body: '{"password":"hunter2"' })] })
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL })

      // Act
      const messages = await jobs.receive()

      // Assess
      expect(messages).toEqual([])
      expect(warnings).toHaveLength(1)
      expect(warnings[0]).toContain('21 bytes')
      expect(warnings[0]).not.toContain('hunter2')
    })

    it('It should hand over a message whose attributes are named __proto__ or constructor, as plain keys', async () => {
      // Prepare
      sqs.on(ReceiveMessageCommand).resolves({
        Messages: [
          raw(
            '1',
            { jobId: 'a' },
            {
              MessageAttributes: {
                // An own key, as a parsed response holds it (a literal `__proto__:` would set the prototype).
                ['__proto__']: { DataType: 'String', StringValue: 'polluted' },
                constructor: { DataType: 'Number', StringValue: '7' },
                empty: { DataType: 'String' },
                gone: null as unknown as { DataType: string },
              },
            },
          ),
        ],
      })
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL }, { message: Job })

      // Act
      const messages = await jobs.receive()

      // Assess
      expect(messages).toHaveLength(1)
      expect(Object.keys(messages[0]?.attributes ?? {}).sort()).toEqual(['__proto__', 'constructor'])
      expect(Object.getOwnPropertyDescriptor(messages[0]?.attributes, '__proto__')?.value).toBe('polluted')
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      expect(warnings).toEqual([])
    })

    it('It should delete on ack and release on release, once each', async () => {
      sqs.on(ReceiveMessageCommand).resolves({ Messages: [raw('1', 1), raw('2', 2)] })
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL })
      const [first, second] = await jobs.receive()

      await first?.ack()
      await first?.ack()
      await first?.release()
      await second?.release()
      await second?.release()

      expect(calls.delete()).toEqual(['rh-1'])
      expect(calls.release()).toEqual([{ QueueUrl: QUEUE_URL, ReceiptHandle: 'rh-2', VisibilityTimeout: 0 }])
    })

    it('It should allow a failed ack to be tried again', async () => {
      sqs.on(ReceiveMessageCommand).resolves({ Messages: [raw('1', 1)] })
      sqs.on(DeleteMessageCommand).rejectsOnce(new Error('network')).resolves({})
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL })
      const [message] = await jobs.receive()

      await expect(message?.ack()).rejects.toThrow('network')
      await message?.ack()

      expect(calls.delete()).toEqual(['rh-1', 'rh-1'])
    })
  })

  describe('listen', () => {
    let unhandled: unknown[]
    const onUnhandled = (reason: unknown) => void unhandled.push(reason)
    beforeEach(() => {
      unhandled = []
      process.on('unhandledRejection', onUnhandled)
    })
    afterEach(() => {
      process.off('unhandledRejection', onUnhandled)
    })

    /** A ReceiveMessage that waits until the controller aborts, then fails as the SDK does. */
    const hang = (controller: AbortController) => () =>
      new Promise((_, reject) =>
        controller.signal.addEventListener('abort', () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }))),
      )

    it('It should yield messages one by one and delete each after the loop body', async () => {
      // Prepare
      const controller = new AbortController()
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [raw('1', 'a'), raw('2', 'b')] })
        .resolvesOnce({ Messages: [raw('3', 'c')] })
        .callsFake(hang(controller))
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL })
      const seen: Array<[unknown, number]> = []

      // Act
      for await (const message of jobs.listen({ signal: controller.signal })) {
        seen.push([message.body, calls.delete().length])
        if (message.body === 'c') controller.abort()
      }

      // Assess
      expect(seen).toEqual([
        ['a', 0],
        ['b', 1],
        ['c', 2],
      ])
      expect(calls.delete()).toEqual(['rh-1', 'rh-2', 'rh-3'])
      expect(calls.receive()).toHaveLength(2)
      expect(calls.receive()[0]?.args[0].input).toMatchObject({ WaitTimeSeconds: 20 })
    })

    it('It should stop cleanly when aborted during a long poll', async () => {
      // Prepare
      const controller = new AbortController()
      sqs.on(ReceiveMessageCommand).callsFake(hang(controller))
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL })
      const seen: unknown[] = []

      // Act
      const listening = (async () => {
        for await (const message of jobs.listen({ signal: controller.signal, waitSeconds: 10 })) seen.push(message)
      })()
      await until(() => calls.receive().length > 0, 'the long poll')
      controller.abort()
      await listening
      // A rejection nobody handled is reported once the microtasks have run: one turn of the event loop.
      await new Promise((resolve) => setImmediate(resolve))

      // Assess
      expect(seen).toEqual([])
      expect(calls.receive()).toHaveLength(1)
      // The SDK call options travel as send's second argument.
      expect((calls.receive()[0]?.args as unknown[] | undefined)?.[1]).toEqual({ abortSignal: controller.signal })
      expect(unhandled).toEqual([])
    })

    it('It should stop when the request ignores the abort, releasing what arrives late', async () => {
      const controller = new AbortController()
      let answer: (value: unknown) => void = () => undefined
      sqs.on(ReceiveMessageCommand).callsFake(() => new Promise((resolve) => (answer = resolve)))
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL })

      const listening = (async () => {
        for await (const _ of jobs.listen({ signal: controller.signal })) throw new Error('nothing should be yielded')
      })()
      await until(() => calls.receive().length > 0, 'the long poll')
      controller.abort()
      await listening
      answer({ Messages: [raw('9', 'late')] })
      await until(() => calls.release().length > 0, 'the late message released')

      expect(calls.release()).toEqual([{ QueueUrl: QUEUE_URL, ReceiptHandle: 'rh-9', VisibilityTimeout: 0 }])
      expect(calls.receive()).toHaveLength(1)
    })

    it('It should release the messages not yet yielded when aborted', async () => {
      const controller = new AbortController()
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [raw('1', 'a'), raw('2', 'b'), raw('3', 'c')] })
        .callsFake(hang(controller))
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL })
      const seen: unknown[] = []

      for await (const message of jobs.listen({ signal: controller.signal })) {
        seen.push(message.body)
        controller.abort()
      }

      expect(seen).toEqual(['a'])
      expect(calls.delete()).toEqual(['rh-1'])
      expect(calls.release().map((input) => input.ReceiptHandle)).toEqual(['rh-2', 'rh-3'])
      expect(calls.receive()).toHaveLength(1)
    })

    it('It should not delete the current message when the loop breaks or throws', async () => {
      // Prepare
      const controller = new AbortController()
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [raw('1', 'a'), raw('2', 'b')] })
        .resolvesOnce({ Messages: [raw('3', 'c'), raw('4', 'd')] })
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL })

      // Act
      for await (const _ of jobs.listen({ signal: controller.signal })) break
      const thrown = (async () => {
        for await (const _ of jobs.listen({ signal: controller.signal })) throw new Error('handler failed')
      })()

      // Assess
      await expect(thrown).rejects.toThrow('handler failed')
      expect(calls.delete()).toEqual([])
      expect(calls.release().map((input) => input.ReceiptHandle)).toEqual(['rh-2', 'rh-4'])
    })

    it('It should not delete a message the loop body released or acked itself', async () => {
      const controller = new AbortController()
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [raw('1', 'a'), raw('2', 'b')] })
        .callsFake(hang(controller))
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL })

      for await (const message of jobs.listen({ signal: controller.signal })) {
        if (message.body === 'a') await message.release()
        else {
          await message.ack()
          controller.abort()
        }
      }

      expect(calls.release().map((input) => input.ReceiptHandle)).toEqual(['rh-1'])
      expect(calls.delete()).toEqual(['rh-2'])
    })

    it('It should not delete a message whose release failed in the loop body', async () => {
      const controller = new AbortController()
      sqs
        .on(ReceiveMessageCommand)
        .resolvesOnce({ Messages: [raw('1', 'a'), raw('2', 'b')] })
        .callsFake(hang(controller))
      sqs.on(ChangeMessageVisibilityCommand).rejectsOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }))
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL })

      for await (const message of jobs.listen({ signal: controller.signal })) {
        if (message.body === 'a') await message.release().catch(() => undefined)
        else controller.abort()
      }

      expect(calls.delete()).not.toContain('rh-1')
    })

    it('It should yield nothing when the signal is already aborted', async () => {
      const jobs = await resolveQueue({ type: 'sqs', url: QUEUE_URL })
      const seen: unknown[] = []

      for await (const message of jobs.listen({ signal: AbortSignal.abort() })) seen.push(message)

      expect(seen).toEqual([])
      expect(sqs.calls()).toHaveLength(0)
    })
  })
})

describe('Function: queueSender', () => {
  it('It should send as queue() does, with only send beside the target', async () => {
    // Prepare
    sqs.on(SendMessageCommand).resolves({ MessageId: 'm-1', SequenceNumber: '7' })
    const registry = staticRegistry({ 'prod.scheduler': { q: { type: 'queue', arn: FIFO_ARN } } })
    const resolver = createResolver({ registry, clients: { sqs: client }, logger })
    const declared = queueSender('prod.scheduler->q', { message: Job })

    // Act
    const jobs = await resolver.resolve(declared)
    const sent = await jobs.send({ jobId: '42' }, { groupId: 'g' })

    // Assess
    expect(declared.kind).toBe('queue')
    expect(sent).toEqual({ messageId: 'm-1', sequenceNumber: '7' })
    expect(sqs.commandCalls(SendMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/jobs.fifo`,
      MessageBody: JSON.stringify({ jobId: '42', priority: 0 }),
      MessageGroupId: 'g',
    })
    expect(Object.keys(jobs).sort()).toEqual(['address', 'arn', 'attributes', 'fifo', 'instanceId', 'label', 'send', 'url'])
    await expect(jobs.send({ jobId: '43' })).rejects.toBeInstanceOf(MissingGroupIdError)
  })
})
