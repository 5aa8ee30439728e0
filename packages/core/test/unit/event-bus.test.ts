import type { PutEventsCommandInput, PutEventsResultEntry } from '@aws-sdk/client-eventbridge'
import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { z } from 'zod'
import { LIMITS } from '../../src/calls/limits.js'
import {
  AttributeValidationError,
  BatchSendError,
  type DisallowedTargetError,
  InstanceTypeMismatchError,
  MissingEventSourceError,
  PayloadTooLargeError,
  PayloadValidationError,
} from '../../src/errors.js'
import { createResolver, type ResolverOptions } from '../../src/index.js'
import { eventBus } from '../../src/kinds/event-bus.js'
import { clearCache, staticRegistry } from '../../src/testing/index.js'
import { withEnv } from '../env.js'

// The SDK as the library gets it: the real module, recorded when the library imports it (on its
// first call that sends). The tests take its classes from `sdk`, which does not count as a load.
const sdk = jest.requireActual<typeof import('@aws-sdk/client-eventbridge')>('@aws-sdk/client-eventbridge')
const loaded: string[] = []
jest.unstable_mockModule('@aws-sdk/client-eventbridge', () => {
  loaded.push('@aws-sdk/client-eventbridge')
  return sdk
})
const { EventBridgeClient, PutEventsCommand } = sdk

const eventsMock = mockClient(EventBridgeClient)
const client = new EventBridgeClient({ region: 'us-east-1' })
const warnings: string[] = []
// A line as text: the stable message, then its fields.
const logger = { warn: (message: string, fields: object) => void warnings.push(`${message} ${JSON.stringify(fields)}`) }

const ARN = 'arn:aws:events:eu-west-1:123456789012:event-bus/orders'
const SOURCE = 'com.example.orders'
const OrderPlaced = z.object({ orderId: z.string(), total: z.number(), currency: z.string().default('EUR') })

const resolverFor = (attributes: Record<string, string>, options: Omit<ResolverOptions, 'registry' | 'logger'> = {}) =>
  createResolver({
    registry: staticRegistry({ 'prod.events': { orders: attributes } }),
    clients: { eventBridge: client },
    logger,
    ...options,
  })
const registered = { type: 'eventbridge', arn: ARN }
const putCalls = () => eventsMock.commandCalls(PutEventsCommand)
/** Answers a PutEvents as EventBridge does when every entry is accepted. */
const acceptAll = (input: PutEventsCommandInput) => ({
  FailedEntryCount: 0,
  Entries: (input.Entries ?? []).map((entry) => ({ EventId: `id-${JSON.parse(entry.Detail ?? '{}').orderId}` })),
})
const order = (orderId: string) => ({ orderId, total: 9.5 })

beforeEach(() => {
  clearCache()
  eventsMock.reset()
  warnings.length = 0
})

// First, while the SDK is not loaded yet: every check that fails before sending needs none of it.
describe('Function: eventBus, before any call', () => {
  it('It should refuse a bad detail, an oversized event and a missing source with no SDK module loaded and no call', async () => {
    // Prepare
    const bus = await createResolver({ registry: staticRegistry({ 'prod.events': { orders: registered } }), logger }).resolve(
      eventBus('prod.events->orders', { detail: OrderPlaced }),
    )

    // Act
    const failures = await Promise.all([
      bus.put('OrderPlaced', { orderId: 42 } as never, { source: SOURCE }).catch((error: unknown) => error),
      bus.put('OrderPlaced', order('x'.repeat(LIMITS.eventBridgeEntry)), { source: SOURCE }).catch((error: unknown) => error),
      bus.put('OrderPlaced', order('1')).catch((error: unknown) => error),
      bus
        .putBatch([
          { detailType: 'OrderPlaced', detail: order('1'), source: SOURCE },
          { detailType: 'OrderPlaced', detail: order('2') },
        ])
        .catch((error: unknown) => error),
    ])

    // Assess
    expect(failures.map((error) => (error as Error).constructor)).toEqual([
      PayloadValidationError,
      PayloadTooLargeError,
      MissingEventSourceError,
      MissingEventSourceError,
    ])
    expect(loaded).toEqual([])
    expect(eventsMock.calls()).toHaveLength(0)
  })
})

describe('Function: eventBus', () => {
  it('It should put one event on the bus ARN with the declared source, the checked detail, resources and trace header', async () => {
    // Prepare
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-1' }] })
    const bus = await resolverFor(registered).resolve(eventBus('prod.events->orders', { detail: OrderPlaced, source: SOURCE }))

    // Act
    const result = await bus.put('OrderPlaced', order('42'), {
      resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/orders'],
      traceHeader: 'Root=1-abc;Sampled=1',
    })

    // Assess
    expect(result).toEqual({ eventId: 'ev-1' })
    expect(putCalls()).toHaveLength(1)
    expect(putCalls()[0]?.args[0].input).toEqual({
      Entries: [
        {
          EventBusName: ARN,
          Source: SOURCE,
          DetailType: 'OrderPlaced',
          Detail: '{"orderId":"42","total":9.5,"currency":"EUR"}',
          Resources: ['arn:aws:dynamodb:eu-west-1:123456789012:table/orders'],
          TraceHeader: 'Root=1-abc;Sampled=1',
        },
      ],
    })
  })

  it("It should prefer the call's source over the declared one", async () => {
    // Prepare
    eventsMock.on(PutEventsCommand).callsFake(acceptAll)
    const bus = await resolverFor(registered).resolve(eventBus('prod.events->orders', { source: SOURCE }))

    // Act
    await bus.put('OrderPlaced', order('1'), { source: 'com.example.checkout' })
    await bus.putBatch([
      { detailType: 'OrderPlaced', detail: order('2') },
      { detailType: 'OrderPlaced', detail: order('3'), source: 'com.example.checkout' },
    ])

    // Assess
    expect(putCalls().flatMap((call) => call.args[0].input.Entries?.map((entry) => entry.Source))).toEqual([
      'com.example.checkout',
      SOURCE,
      'com.example.checkout',
    ])
  })

  it('It should expose the instance, its address, ARN, name, region and declared source', async () => {
    // Act
    const bus = await resolverFor({ ...registered, team: 'orders' }).resolve(eventBus('prod.events->orders', { source: SOURCE }))

    // Assess
    expect(bus).toMatchObject({
      instanceId: 'orders',
      address: 'prod.events->orders',
      arn: ARN,
      name: 'orders',
      region: 'eu-west-1',
      source: SOURCE,
      attributes: { type: 'eventbridge', arn: ARN, team: 'orders' },
    })
    expect(Object.isFrozen(bus)).toBe(true)
  })

  it('It should accept the aliases "events" and "event-bus" and parse the attributes with their schema', async () => {
    // Prepare
    const attributes = z.object({ arn: z.string(), archive: z.enum(['on', 'off']) })

    // Act
    const bound = await Promise.all(
      ['events', 'event-bus', 'EventBridge'].map((type) =>
        resolverFor({ type, arn: ARN, archive: 'on' }).resolve(eventBus('prod.events', { attributes })),
      ),
    )

    // Assess
    for (const bus of bound) expect(bus.attributes).toEqual({ arn: ARN, archive: 'on' })
  })

  it('It should refuse a detail its schema rejects, or that is not a JSON object, and an empty detail type, before any call', async () => {
    // Prepare
    const typed = await resolverFor(registered).resolve(eventBus('prod.events->orders', { detail: OrderPlaced, source: SOURCE }))
    const untyped = await resolverFor(registered).resolve(eventBus('prod.events->orders', { source: SOURCE }))

    // Act
    const invalid = await typed.put('OrderPlaced', { orderId: '1', total: 'lots' } as never).catch((e: unknown) => e)
    const notObjects = await Promise.all(
      [[1, 2], 'text', 42, null, undefined].map((detail) => untyped.put('OrderPlaced', detail).catch((e: unknown) => e)),
    )
    const noType = await untyped.put('', {}).catch((e: unknown) => e)
    const inBatch = await typed
      .putBatch([
        { detailType: 'OrderPlaced', detail: order('1') },
        { detailType: 'OrderPlaced', detail: { orderId: 2 } as never },
      ])
      .catch((e: unknown) => e)

    // Assess
    expect(invalid).toBeInstanceOf(PayloadValidationError)
    expect(invalid).toMatchObject({ what: 'detail', address: 'prod.events->orders' })
    expect((invalid as PayloadValidationError).issues[0]?.path).toEqual(['total'])
    for (const error of notObjects) expect(error).toBeInstanceOf(PayloadValidationError)
    expect((notObjects[0] as Error).message).toContain('must be a JSON object, not an array')
    expect((notObjects[3] as Error).message).toContain('not null')
    expect(noType).toMatchObject({ what: 'detailType' })
    expect(inBatch).toMatchObject({ what: 'detail (message #1)' })
    expect(putCalls()).toHaveLength(0)
  })

  it('It should count source, detail type, detail and resources against 256 KiB, as EventBridge does, before any call', async () => {
    // Prepare
    eventsMock.on(PutEventsCommand).callsFake(acceptAll)
    const bus = await resolverFor(registered).resolve(eventBus('prod.events->orders', { source: 'src' }))
    const resource = 'arn:aws:s3:::bucket'
    // {"orderId":"<padding>"} is 14 bytes around the padding; 'src' + 'Type' + the resource make 7 + 19.
    const fits = { orderId: 'x'.repeat(LIMITS.eventBridgeEntry - 14 - 7 - 19) }
    const over = { orderId: `${fits.orderId}x` }

    // Act
    await bus.put('Type', fits, { resources: [resource] })
    const error = await bus.put('Type', over, { resources: [resource] }).catch((e: unknown) => e)

    // Assess
    expect(error).toBeInstanceOf(PayloadTooLargeError)
    expect(error).toMatchObject({ size: LIMITS.eventBridgeEntry + 1, limit: LIMITS.eventBridgeEntry })
    expect((error as Error).message).not.toContain('xxxx')
    expect(putCalls()).toHaveLength(1)
  })

  it('It should put 25 events in 3 PutEvents calls of at most 10 and return their ids in order', async () => {
    // Prepare
    eventsMock.on(PutEventsCommand).callsFake(acceptAll)
    const bus = await resolverFor(registered).resolve(eventBus('prod.events->orders', { detail: OrderPlaced, source: SOURCE }))
    const entries = Array.from({ length: 25 }, (_, index) => ({ detailType: 'OrderPlaced', detail: order(String(index)) }))

    // Act
    const { eventIds } = await bus.putBatch(entries)

    // Assess
    expect(putCalls().map((call) => call.args[0].input.Entries?.length)).toEqual([10, 10, 5])
    expect(eventIds).toEqual(entries.map((_, index) => `id-${index}`))
  })

  it('It should split a batch by size (256 KiB per request) as well as by count', async () => {
    // Prepare
    eventsMock.on(PutEventsCommand).callsFake(acceptAll)
    const bus = await resolverFor(registered).resolve(eventBus('prod.events->orders', { source: SOURCE }))
    const large = (orderId: string) => ({ detailType: 'OrderPlaced', detail: { orderId, padding: 'x'.repeat(100_000) } })

    // Act
    await bus.putBatch([large('0'), large('1'), large('2'), { detailType: 'OrderPlaced', detail: order('3') }])

    // Assess
    expect(putCalls().map((call) => call.args[0].input.Entries?.map((entry) => JSON.parse(entry.Detail ?? '').orderId))).toEqual([
      ['0', '1'],
      ['2', '3'],
    ])
  })

  it('It should retry the entries EventBridge failed with InternalFailure or ThrottlingException, and report the rest by index', async () => {
    // Prepare
    const attempts: string[][] = []
    eventsMock.on(PutEventsCommand).callsFake((input: PutEventsCommandInput) => {
      const ids: string[] = (input.Entries ?? []).map((entry) => JSON.parse(entry.Detail ?? '').orderId)
      attempts.push(ids)
      // #1 is throttled once, #2 fails internally once, #3 always fails internally, #4 is malformed, #5 is denied.
      const entries = ids.map((id): PutEventsResultEntry => {
        if (id === '1' && attempts.length === 1) return { ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }
        if (id === '2' && attempts.length === 1) return { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }
        if (id === '3') return { ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }
        if (id === '4') return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }
        if (id === '5') return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' }
        return { EventId: `id-${id}` }
      })
      return { FailedEntryCount: entries.filter((entry) => entry.ErrorCode).length, Entries: entries }
    })
    const bus = await resolverFor(registered).resolve(eventBus('prod.events->orders', { source: SOURCE }))

    // Act
    const error = await bus
      .putBatch(['0', '1', '2', '3', '4', '5'].map((id) => ({ detailType: 'OrderPlaced', detail: order(id) })))
      .catch((caught: unknown) => caught)

    // Assess
    expect(error).toBeInstanceOf(BatchSendError)
    const { failures, sent } = error as BatchSendError
    expect(attempts).toEqual([['0', '1', '2', '3', '4', '5'], ['1', '2', '3'], ['3'], ['3']])
    expect(failures).toEqual([
      { index: 3, code: 'InternalFailure', message: 'try again', senderFault: false },
      { index: 4, code: 'MalformedDetail', message: 'Detail is malformed.', senderFault: true },
      { index: 5, code: 'NotAuthorizedForSourceException', message: 'Not authorized for the source.', senderFault: true },
    ])
    expect([...sent].sort()).toEqual([0, 1, 2])
    expect((error as Error).message).toBe(
      '3 of 6 messages to "prod.events->orders" were not sent: #3 InternalFailure, #4 MalformedDetail, #5 NotAuthorizedForSourceException',
    )
  })

  it('It should report the entries a short answer says nothing about as NoResult, without sending them again', async () => {
    // Prepare
    eventsMock.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ EventId: 'id-0' }] })
    const bus = await resolverFor(registered).resolve(eventBus('prod.events->orders', { source: SOURCE }))

    // Act
    const error = await bus
      .putBatch([
        { detailType: 'OrderPlaced', detail: order('0') },
        { detailType: 'OrderPlaced', detail: order('1') },
      ])
      .catch((caught: unknown) => caught)

    // Assess
    expect(error).toBeInstanceOf(BatchSendError)
    expect((error as BatchSendError).failures).toEqual([
      {
        index: 1,
        code: 'NoResult',
        message: 'the service returned no result for this entry; an attempt got no answer, so it may have been sent',
        senderFault: false,
        mayHaveBeenSent: true,
      },
    ])
    expect((error as BatchSendError).sent).toEqual([0])
    expect(putCalls()).toHaveLength(1)
  })

  it('It should retry a single put once throttled, and throw BatchSendError for an entry EventBridge refuses', async () => {
    // Prepare
    eventsMock
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }] })
      .resolvesOnce({ FailedEntryCount: 0, Entries: [{ EventId: 'ev-2' }] })
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'AccessDeniedException', ErrorMessage: 'denied' }] })
    const bus = await resolverFor(registered).resolve(eventBus('prod.events->orders', { source: SOURCE }))

    // Act
    const retried = await bus.put('OrderPlaced', order('1'))
    const refused = await bus.put('OrderPlaced', order('2')).catch((caught: unknown) => caught)

    // Assess
    expect(retried).toEqual({ eventId: 'ev-2' })
    expect(refused).toBeInstanceOf(BatchSendError)
    expect((refused as BatchSendError).failures).toEqual([
      { index: 0, code: 'AccessDeniedException', message: 'denied', senderFault: true },
    ])
    expect(putCalls()).toHaveLength(3)
  })

  describe('a bus registered by name', () => {
    it("It should put on the bus name in the caller's region, with no ARN", async () => {
      // Prepare
      eventsMock.on(PutEventsCommand).callsFake(acceptAll)
      const regions: Array<string | undefined> = []
      const bus = await withEnv({ AWS_REGION: 'eu-central-1' }, () =>
        createResolver({
          registry: staticRegistry({ 'prod.events': { orders: { type: 'events', name: 'orders' } } }),
          clients: {
            eventBridge: (region) => {
              regions.push(region)
              return client
            },
          },
          logger,
        }).resolve(eventBus('prod.events->orders', { source: SOURCE })),
      )

      // Act
      await bus.put('OrderPlaced', order('1'))

      // Assess
      expect(bus).toMatchObject({ arn: undefined, name: 'orders', region: 'eu-central-1' })
      expect(regions).toEqual(['eu-central-1'])
      expect(putCalls()[0]?.args[0].input.Entries?.[0]?.EventBusName).toBe('orders')
    })

    it('It should pass a name through allowedAccounts and check the caller region against allowedRegions', async () => {
      // Act
      const outcome = (options: Omit<ResolverOptions, 'registry' | 'logger'>, region: string | undefined) =>
        withEnv({ AWS_REGION: region }, () =>
          resolverFor({ type: 'eventbridge', name: 'default' }, options)
            .resolve(eventBus('prod.events->orders'))
            .then(
              () => 'bound',
              (error: unknown) => (error as DisallowedTargetError).rule ?? (error as Error).name,
            ),
        )
      const outcomes = [
        await outcome({ allowedAccounts: ['123456789012'] }, 'eu-west-1'),
        await outcome({ allowedRegions: ['us-east-1'] }, 'eu-west-1'),
        await outcome({ allowedRegions: ['eu-west-1'] }, 'eu-west-1'),
        // No region known: allowedRegions cannot hold.
        await outcome({ allowedRegions: ['eu-west-1'] }, undefined),
      ]

      // Assess
      expect(outcomes).toEqual(['bound', 'allowedRegions', 'bound', 'allowedRegions'])
    })
  })

  describe('target policy and registry data', () => {
    it('It should refuse a bus ARN outside allowedAccounts or allowedRegions, with no SDK call', async () => {
      // Act
      const errors = await Promise.all([
        resolverFor(registered, { allowedAccounts: ['999999999999'] })
          .resolve(eventBus('prod.events->orders'))
          .catch((e: unknown) => e),
        resolverFor(registered, { allowedRegions: ['us-east-1'] })
          .resolve(eventBus('prod.events->orders'))
          .catch((e: unknown) => e),
      ])

      // Assess
      expect(errors.map((error) => (error as DisallowedTargetError).rule)).toEqual(['allowedAccounts', 'allowedRegions'])
      for (const error of errors) expect(error).toMatchObject({ address: 'prod.events->orders', target: ARN })
      expect(eventsMock.calls()).toHaveLength(0)
    })

    it('It should refuse an instance registered as a topic', async () => {
      // Act
      const error = await resolverFor({ type: 'sns', arn: 'arn:aws:sns:eu-west-1:123456789012:orders' })
        .resolve(eventBus('prod.events->orders'))
        .catch((e: unknown) => e)

      // Assess
      expect(error).toBeInstanceOf(InstanceTypeMismatchError)
      expect(error).toMatchObject({ expected: 'eventbridge', actual: 'sns' })
    })

    it('It should refuse an arn that is not an event bus ARN, a bad name, a name that contradicts the ARN, or neither', async () => {
      // Act
      const errors = await Promise.all(
        [
          { arn: 'arn:aws:events:eu-west-1:123456789012:rule/orders' },
          { arn: 'arn:aws:sqs:eu-west-1:123456789012:orders' },
          { arn: 'arn:aws:events::123456789012:event-bus/orders' },
          { arn: 'arn:aws:events:eu-west-1::event-bus/orders' },
          { arn: ARN, name: 'payments' },
          { name: 'or ders' },
          {},
        ].map((attributes) =>
          resolverFor({ type: 'eventbridge', ...attributes })
            .resolve(eventBus('prod.events->orders'))
            .catch((e: unknown) => e),
        ),
      )

      // Assess
      for (const error of errors) expect(error).toBeInstanceOf(AttributeValidationError)
      expect(errors.map((error) => (error as AttributeValidationError).issues[0]?.path[0])).toEqual([
        'arn',
        'arn',
        'arn',
        'arn',
        'name',
        'name',
        'name',
      ])
    })
  })

  it('It should have loaded the EventBridge SDK once, on the first call that sent', () => {
    // Assess
    expect(loaded).toEqual(['@aws-sdk/client-eventbridge'])
  })
})
