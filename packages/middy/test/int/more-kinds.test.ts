import {
  createResolver,
  DependencyResolutionError,
  DisallowedTargetError,
  eventBus,
  InvalidExecutionNameError,
  type ResolverOptions,
  stateMachine,
} from '@cloudmap-middy/core'
import { clearCache } from '@cloudmap-middy/core/testing'
import { ACCOUNT, awsConfig, REGION } from '@cloudmap-middy/moto-harness'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import middy from '@middy/core'
import { z } from 'zod'
import { cloudMap } from '../../src/index.js'
import { lambdaContext, quietLogger, useMoto } from './moto.js'

const moto = useMoto()
const resolver = (options: Pick<ResolverOptions, 'allowedAccounts' | 'allowedRegions'> = {}) =>
  createResolver({
    clientConfig: awsConfig(moto.server.endpoint),
    clients: { config: awsConfig(moto.server.endpoint) },
    logger: quietLogger,
    ...options,
  })

const Order = z.object({ orderId: z.string(), total: z.number() })
/** An event as an EventBridge rule delivers it to a queue. */
const Delivered = z.object({ source: z.string(), 'detail-type': z.string(), detail: Order, resources: z.array(z.string()) })

const regionBefore = process.env.AWS_REGION
beforeEach(() => {
  clearCache()
  process.env.AWS_REGION = REGION
})
afterEach(() => {
  if (regionBefore === undefined) delete process.env.AWS_REGION
  else process.env.AWS_REGION = regionBefore
})

describe('Integration: stateMachine() and eventBus() through cloudMap() against moto', () => {
  it('It should start an execution of a discovered state machine with the checked input and the name given', async () => {
    // Prepare
    const arn = await moto.aws.stateMachine('it-invoice')
    await moto.aws.register('it-kinds', 'billing', 'invoice', { type: 'sfn', arn })
    const handler = middy<{ orderId: string }>()
      .use(cloudMap({ resolver: resolver(), services: { invoice: stateMachine('it-kinds.billing->invoice', { input: Order }) } }))
      .handler(async (event, context) => {
        const started = await context.services.invoice.start({ orderId: event.orderId, total: 9.5 }, { name: `order-${event.orderId}` })
        return { ...started, built: context.services.invoice.executionArn(`order-${event.orderId}`) }
      })

    // Act
    const { executionArn, startDate, built } = await handler({ orderId: '42' }, lambdaContext())

    // Assess
    expect(executionArn).toBe(`arn:aws:states:${REGION}:${ACCOUNT}:execution:it-invoice:order-42`)
    expect(built).toBe(executionArn)
    expect(startDate).toBeInstanceOf(Date)
    const execution = await moto.aws.describeExecution(executionArn)
    expect(execution).toMatchObject({ name: 'order-42', stateMachineArn: arn })
    expect(JSON.parse(execution.input)).toEqual({ orderId: '42', total: 9.5 })
  })

  it('It should refuse a bad execution name in the handler before anything reaches moto', async () => {
    // Prepare
    const arn = await moto.aws.stateMachine('it-invoice-names')
    await moto.aws.register('it-kinds', 'billing', 'invoice-names', { type: 'state-machine', arn })
    const handler = middy()
      .use(cloudMap({ resolver: resolver(), services: { invoice: stateMachine('it-kinds.billing->invoice-names') } }))
      .handler(async (_event: unknown, context) => context.services.invoice.start({}, { name: 'order:42' }))

    // Act & Assess
    await expect(handler({}, lambdaContext())).rejects.toThrow(InvalidExecutionNameError)
  })

  it('It should send run() (StartSyncExecution) to the custom endpoint itself, not to a sync- host', async () => {
    // Prepare: moto does not implement StartSyncExecution, so the request must reach it and be answered by it.
    const arn = await moto.aws.stateMachine('it-quote', { type: 'EXPRESS' })
    await moto.aws.register('it-kinds', 'billing', 'quote', { type: 'stepfunctions', arn })
    const handler = middy()
      .use(cloudMap({ resolver: resolver(), services: { quote: stateMachine('it-kinds.billing->quote') } }))
      .handler(async (_event: unknown, context) => context.services.quote.run({ orderId: '1' }))

    // Act
    const error = (await handler({}, lambdaContext()).catch((caught: unknown) => caught)) as Error & {
      $metadata?: { httpStatusCode?: number }
      code?: string
    }

    // Assess: an HTTP answer from moto, not a DNS failure on sync-127.0.0.1.
    expect(error).toBeInstanceOf(Error)
    expect(error.code).not.toBe('ENOTFOUND')
    expect(error.message).not.toContain('sync-')
    expect(error.$metadata?.httpStatusCode).toBeGreaterThanOrEqual(400)
  })

  it('It should put events on a discovered bus ARN, one and in a batch, and deliver them through a rule', async () => {
    // Prepare
    const busArn = await moto.aws.eventBus('it-orders')
    const inbox = await moto.aws.queue('it-orders-inbox')
    await moto.aws.routeEvents('it-orders', ['com.example.orders', 'com.example.checkout'], inbox.arn)
    await moto.aws.register('it-kinds', 'events', 'orders', { type: 'eventbridge', arn: busArn })
    const handler = middy<{ orderId: string }>()
      .use(
        cloudMap({
          resolver: resolver({ allowedAccounts: [ACCOUNT], allowedRegions: [REGION] }),
          services: { orders: eventBus('it-kinds.events->orders', { detail: Order, source: 'com.example.orders' }) },
        }),
      )
      .handler(async (event, context) => {
        const { eventId } = await context.services.orders.put(
          'OrderPlaced',
          { orderId: event.orderId, total: 1 },
          {
            resources: [`arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders`],
          },
        )
        const { eventIds } = await context.services.orders.putBatch([
          { detailType: 'OrderPaid', detail: { orderId: event.orderId, total: 2 } },
          { detailType: 'OrderShipped', detail: { orderId: event.orderId, total: 3 }, source: 'com.example.checkout' },
        ])
        return [eventId, ...eventIds]
      })

    // Act
    const ids = await handler({ orderId: '7' }, lambdaContext())

    // Assess
    expect(ids).toHaveLength(3)
    expect(new Set(ids).size).toBe(3)
    const delivered = (await moto.aws.drain(inbox.url, 3)).map((message) => Delivered.parse(JSON.parse(message.Body ?? '')))
    expect(delivered.sort((a, b) => a.detail.total - b.detail.total)).toEqual([
      {
        source: 'com.example.orders',
        'detail-type': 'OrderPlaced',
        detail: { orderId: '7', total: 1 },
        resources: [`arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/orders`],
      },
      { source: 'com.example.orders', 'detail-type': 'OrderPaid', detail: { orderId: '7', total: 2 }, resources: [] },
      { source: 'com.example.checkout', 'detail-type': 'OrderShipped', detail: { orderId: '7', total: 3 }, resources: [] },
    ])
  })

  it("It should put events on a bus registered by name, in the caller's region, in batches of more than 10", async () => {
    // Prepare
    await moto.aws.eventBus('it-audit')
    const inbox = await moto.aws.queue('it-audit-inbox')
    await moto.aws.routeEvents('it-audit', ['com.example.audit'], inbox.arn)
    await moto.aws.register('it-kinds', 'events', 'audit', { type: 'event-bus', name: 'it-audit' })
    const handler = middy()
      .use(
        cloudMap({
          resolver: resolver({ allowedRegions: [REGION] }),
          services: { audit: eventBus('it-kinds.events->audit', { detail: Order }) },
        }),
      )
      .handler(async (_event: unknown, context) =>
        context.services.audit.putBatch(
          Array.from({ length: 12 }, (_, index) => ({
            detailType: 'Audited',
            detail: { orderId: String(index), total: index },
            source: 'com.example.audit',
          })),
        ),
      )

    // Act
    const { eventIds } = await handler({}, lambdaContext())

    // Assess
    expect(eventIds).toHaveLength(12)
    const delivered = (await moto.aws.drain(inbox.url, 12)).map((message) => Delivered.parse(JSON.parse(message.Body ?? '')))
    expect(delivered.map((event) => event.detail.total).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, index) => index))
  })

  it('It should refuse both kinds outside allowedAccounts when resolving, with one error naming each dependency', async () => {
    // Prepare
    const arn = await moto.aws.stateMachine('it-refused')
    const busArn = await moto.aws.eventBus('it-refused')
    await moto.aws.register('it-kinds', 'refused', 'machine', { type: 'sfn', arn })
    await moto.aws.register('it-kinds', 'refused', 'bus', { type: 'eventbridge', arn: busArn })
    const handler = middy()
      .use(
        cloudMap({
          resolver: resolver({ allowedAccounts: ['999999999999'] }),
          services: {
            machine: stateMachine('it-kinds.refused->machine'),
            bus: eventBus('it-kinds.refused->bus', { source: 'com.example' }),
          },
        }),
      )
      .handler(async () => 'not reached')

    // Act
    const error = await handler({}, lambdaContext()).catch((caught: unknown) => caught)

    // Assess
    expect(error).toBeInstanceOf(DependencyResolutionError)
    const failures = (error as DependencyResolutionError).failures
    expect(failures.map((failure) => failure.name).sort()).toEqual(['bus', 'machine'])
    for (const failure of failures) expect(failure.error).toBeInstanceOf(DisallowedTargetError)
  })
})
