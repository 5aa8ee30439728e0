import { expectTypeOf } from 'expect-type'
import { z } from 'zod'
import type { Resolved } from '../../src/index.js'
import { type EventBus, type EventEntry, eventBus, type PutBatchResult, type PutEventResult } from '../../src/kinds/event-bus.js'

const OrderPlaced = z.object({ orderId: z.string(), total: z.number(), currency: z.string().default('EUR') })

const typed = eventBus('prod.events->orders', {
  detail: OrderPlaced,
  source: 'com.example.orders',
  attributes: z.object({ arn: z.string(), archive: z.enum(['on', 'off']) }),
})
declare const bus: Resolved<typeof typed>

// put() takes a detail type and the detail schema's input type (defaults may be left out).
expectTypeOf(bus.put).parameter(1).toEqualTypeOf<{ orderId: string; total: number; currency?: string | undefined }>()
expectTypeOf(bus.put('OrderPlaced', { orderId: '42', total: 9.5 })).toEqualTypeOf<Promise<PutEventResult>>()
expectTypeOf<PutEventResult['eventId']>().toBeString()
expectTypeOf(bus.putBatch([{ detailType: 'OrderPlaced', detail: { orderId: '1', total: 1 } }])).toEqualTypeOf<Promise<PutBatchResult>>()
expectTypeOf<PutBatchResult['eventIds']>().toEqualTypeOf<readonly string[]>()
expectTypeOf(bus.attributes).toEqualTypeOf<{ arn: string; archive: 'on' | 'off' }>()
expectTypeOf(bus.arn).toEqualTypeOf<string | undefined>()
expectTypeOf(bus.name).toBeString()
expectTypeOf(bus.source).toEqualTypeOf<string | undefined>()

// A detail that does not match the schema is a compile error, in put() and in every batch entry.
// @ts-expect-error total must be a number
void bus.put('OrderPlaced', { orderId: '42', total: 'lots' })
// @ts-expect-error the detail type is a string
void bus.put(42, { orderId: '42', total: 1 })
void bus.putBatch([
  { detailType: 'OrderPlaced', detail: { orderId: '1', total: 1 }, source: 'com.example.checkout', resources: ['arn:aws:s3:::b'] },
  // @ts-expect-error orderId is required
  { detailType: 'OrderPlaced', detail: { total: 2 } },
])
// @ts-expect-error an entry needs a detail type
void bus.putBatch([{ detail: { orderId: '1', total: 1 } }])

// Options: source, resources and trace header, nothing else.
void bus.put('OrderPlaced', { orderId: '1', total: 1 }, { source: 'com.example', resources: [], traceHeader: 'Root=1-abc' })
// @ts-expect-error no such option
void bus.put('OrderPlaced', { orderId: '1', total: 1 }, { time: new Date() })

// Without schemas: any detail (checked at run time to be a JSON object), Cloud Map's string attributes.
const untyped = eventBus('prod.events->orders')
declare const raw: Resolved<typeof untyped>
expectTypeOf(raw).toEqualTypeOf<EventBus<unknown, Readonly<Record<string, string>>>>()
expectTypeOf(raw.put).parameter(1).toBeUnknown()
expectTypeOf(raw.putBatch).parameter(0).toEqualTypeOf<readonly EventEntry<unknown>[]>()
