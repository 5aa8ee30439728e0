// The examples of docs/migrate-from-ais-service-discovery.md, run as written: the handler and the worker
// modules are imported as deployed, after useStaticRegistry with registrations written as Peak's are,
// and the SDK calls are mocked with aws-sdk-client-mock.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda'
import { restoreDefaultRegistry, useStaticRegistry } from '@cloudmap-middy/core/testing'
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals'
import { Uint8ArrayBlobAdapter } from '@smithy/util-stream'
import type { Context } from 'aws-lambda'
import { mockClient } from 'aws-sdk-client-mock'
// @aws-sdk/client-sqs and @aws-sdk/client-sns are dependencies of core, not of this package: the mocks
// take the very modules core loads on its first call.
import { loadSnsSdk, loadSqsSdk } from '../../../core/src/calls/sdk.js'
import { fixtureCode, guideCode } from '../fixtures/migration-guide.js'

const GUIDE = 'docs/migrate-from-ais-service-discovery.md'
const HANDLER = 'packages/middy/test/fixtures/migration-ais-service-discovery.ts'
const WORKER = 'packages/middy/test/fixtures/migration-ais-service-discovery-worker.ts'
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/segments-prod-export'
const TOPIC_ARN = 'arn:aws:sns:eu-west-1:123456789012:segment-events'

const { DeleteMessageCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } = await loadSqsSdk()
const { PublishCommand, SNSClient } = await loadSnsSdk()
const lambdaMock = mockClient(LambdaClient)
const sqsMock = mockClient(SQSClient)
const snsMock = mockClient(SNSClient)

// Lambda sets it: a function name or partial ARN is invoked in the caller's region.
const region = process.env.AWS_REGION
process.env.AWS_REGION = 'eu-west-1'

const registry = useStaticRegistry({
  'prod.segments': {
    // As Peak's registrations write them: `type: function` with a function name or a partial ARN in `arn`,
    // `type: queue` with the queue's `url`, `type: event` with the topic's `arn`.
    'get-segment': { type: 'function', arn: 'segments-prod-get-segment' },
    'refresh-segment': { type: 'function', arn: '123456789012:function:segments-prod-refresh-segment' },
    'export-queue': { type: 'queue', url: QUEUE_URL },
  },
  'prod.events': { 'segment-events': { type: 'event', arn: TOPIC_ARN } },
})
// Imported after useStaticRegistry (a static import would be hoisted above it).
const { handler } = await import('../fixtures/migration-ais-service-discovery.js')
const { work } = await import('../fixtures/migration-ais-service-discovery-worker.js')

const context = { getRemainingTimeInMillis: () => 3_000 } as Context
const segment = { id: 's-1', name: 'churn risk', size: 1200 }
const decode = (payload: Uint8Array | undefined): unknown => JSON.parse(new TextDecoder().decode(payload))

beforeEach(() => {
  lambdaMock.reset()
  sqsMock.reset()
  snsMock.reset()
})
afterAll(() => {
  restoreDefaultRegistry()
  if (region === undefined) delete process.env.AWS_REGION
  else process.env.AWS_REGION = region
})

describe('Guide: migrate from ais-service-discovery', () => {
  it('It should request, invoke, queue and publish to what the registrations name', async () => {
    // Prepare
    lambdaMock
      .on(InvokeCommand, { InvocationType: 'RequestResponse' })
      .resolves({ StatusCode: 200, Payload: Uint8ArrayBlobAdapter.fromString(JSON.stringify(segment)) })
    lambdaMock.on(InvokeCommand, { InvocationType: 'Event' }).resolves({ StatusCode: 202 })
    sqsMock.on(SendMessageCommand).resolves({ MessageId: 'm-1' })
    snsMock.on(PublishCommand).resolves({ MessageId: 'p-1' })

    // Act
    const result = await handler({ segmentId: 's-1', tenant: 'acme' }, context)

    // Assess
    expect(result).toEqual(segment)
    const [request, event] = lambdaMock.commandCalls(InvokeCommand).map((call) => call.args[0].input)
    expect(request).toMatchObject({ FunctionName: 'segments-prod-get-segment', InvocationType: 'RequestResponse' })
    expect(decode(request?.Payload as Uint8Array)).toEqual({ id: 's-1' })
    expect(event).toMatchObject({ FunctionName: '123456789012:function:segments-prod-refresh-segment', InvocationType: 'Event' })
    expect(decode(event?.Payload as Uint8Array)).toEqual({ id: 's-1' })
    expect(sqsMock.commandCalls(SendMessageCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, MessageBody: JSON.stringify({ segmentId: 's-1' }) },
    ])
    expect(snsMock.commandCalls(PublishCommand).map((call) => call.args[0].input)).toEqual([
      {
        TopicArn: TOPIC_ARN,
        Message: JSON.stringify({ type: 'segment.exported', id: 's-1' }),
        MessageAttributes: { tenant: { DataType: 'String', StringValue: 'acme' } },
      },
    ])
    // One lookup per service, by the module's prefetch, for the four dependencies.
    expect(registry.calls.get('prod.segments')).toBe(1)
    expect(registry.calls.get('prod.events')).toBe(1)
  })

  it('It should turn a function error into a RemoteInvocationError and send nothing further', async () => {
    // Prepare
    lambdaMock.on(InvokeCommand).resolves({
      StatusCode: 200,
      FunctionError: 'Unhandled',
      Payload: Uint8ArrayBlobAdapter.fromString(JSON.stringify({ errorType: 'SegmentNotFound', errorMessage: 'no segment s-2' })),
    })

    // Act
    const failure = handler({ segmentId: 's-2', tenant: 'acme' }, context)

    // Assess
    await expect(failure).rejects.toMatchObject({
      name: 'RemoteInvocationError',
      address: 'prod.segments->get-segment',
      errorType: 'SegmentNotFound',
      errorMessage: 'no segment s-2',
    })
    expect(lambdaMock.commandCalls(InvokeCommand)).toHaveLength(1)
    expect(sqsMock.commandCalls(SendMessageCommand)).toHaveLength(0)
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0)
  })

  it('It should hand the worker each message, parsed, and delete it once handled', async () => {
    // Prepare
    sqsMock
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [{ MessageId: 'm-1', ReceiptHandle: 'r-1', Body: JSON.stringify({ segmentId: 's-1' }) }] })
      .resolves({ Messages: [] })
    sqsMock.on(DeleteMessageCommand).resolves({})
    const controller = new AbortController()
    const jobs: unknown[] = []

    // Act
    await work(controller.signal, async (job) => {
      jobs.push(job)
      controller.abort()
    })

    // Assess
    expect(jobs).toEqual([{ segmentId: 's-1' }])
    expect(sqsMock.commandCalls(ReceiveMessageCommand)[0]?.args[0].input).toMatchObject({ QueueUrl: QUEUE_URL, WaitTimeSeconds: 20 })
    expect(sqsMock.commandCalls(DeleteMessageCommand).map((call) => call.args[0].input)).toEqual([
      { QueueUrl: QUEUE_URL, ReceiptHandle: 'r-1' },
    ])
  })

  it('It should show in the guide the handler and the worker this test runs', async () => {
    expect(await guideCode(GUIDE, HANDLER)).toBe(await fixtureCode(HANDLER))
    expect(await guideCode(GUIDE, WORKER)).toBe(await fixtureCode(WORKER))
  })
})
