import { expectTypeOf } from 'expect-type'
import { z } from 'zod'
import type { Resolved } from '../../src/index.js'
import { type BatchResult, type PublishResult, type Topic, topic, topicPublisher } from '../../src/kinds/topic.js'

const JobEvent = z.object({ jobId: z.string(), state: z.enum(['queued', 'done']), attempt: z.number().default(1) })

const typed = topic('prod.events->job-events', { message: JobEvent, attributes: z.object({ arn: z.string(), tier: z.coerce.number() }) })
declare const events: Resolved<typeof typed>

// publish() takes the message schema's input type (defaults may be left out).
expectTypeOf(events.publish({ jobId: '42', state: 'done' })).toEqualTypeOf<Promise<PublishResult>>()
expectTypeOf(events.publish).parameter(0).toEqualTypeOf<{ jobId: string; state: 'queued' | 'done'; attempt?: number | undefined }>()
expectTypeOf(events.attributes).toEqualTypeOf<{ arn: string; tier: number }>()
expectTypeOf(events.fifo).toBeBoolean()
expectTypeOf(events.arn).toBeString()

// A message that does not match the schema is a compile error.
// @ts-expect-error state must be 'queued' or 'done'
void events.publish({ jobId: '42', state: 'lost' })
// @ts-expect-error jobId is required
void events.publish({ state: 'done' })
// Every message of a batch is checked.
void events.publishBatch([
  { jobId: '1', state: 'done' },
  // @ts-expect-error jobId must be a string
  { jobId: 2, state: 'done' },
])

// Batch options per message see the typed message; the result lists the ids.
expectTypeOf(
  events.publishBatch([{ jobId: '1', state: 'done' }], (message, index) => ({ groupId: `${message.jobId}-${index}` })),
).toEqualTypeOf<Promise<BatchResult>>()
expectTypeOf<BatchResult['messageIds']>().toEqualTypeOf<readonly string[]>()
// @ts-expect-error no such publish option
void events.publish({ jobId: '1', state: 'done' }, { group: 'g' })
// @ts-expect-error attributes are strings, numbers or bytes
void events.publish({ jobId: '1', state: 'done' }, { attributes: { on: true } })

// Without schemas: any message, Cloud Map's string attributes.
const untyped = topic('prod.events->job-events')
declare const raw: Resolved<typeof untyped>
expectTypeOf(raw).toEqualTypeOf<Topic<unknown, Readonly<Record<string, string>>>>()
expectTypeOf(raw.publish).parameter(0).toBeUnknown()

// topicPublisher(): publish() typed as topic()'s, and no publishBatch.
const publisher = topicPublisher('prod.events->job-events', { message: JobEvent })
declare const published: Resolved<typeof publisher>
expectTypeOf(published.publish).parameter(0).toEqualTypeOf<{ jobId: string; state: 'queued' | 'done'; attempt?: number | undefined }>()
expectTypeOf(published.arn).toBeString()
// @ts-expect-error a publisher has no publishBatch
void published.publishBatch
