import { expectTypeOf } from 'expect-type'
import { z } from 'zod'
import type { RawAttributes, Resolved } from '../../src/index.js'
import { type BatchResult, type Queue, queue, queueSender, type ReceivedMessage, type SendResult } from '../../src/kinds/queue.js'

const Job = z.object({ jobId: z.string(), priority: z.number().default(0), at: z.string().transform((text) => new Date(text)) })
const jobs = queue('prod.scheduler->jobs', { message: Job, attributes: z.object({ maxReceive: z.coerce.number() }) })
declare const resolved: Resolved<typeof jobs>

// Sending takes the schema's input: `priority` may be left out, `at` is the string that is sent.
expectTypeOf(resolved.send).parameter(0).toEqualTypeOf<{ jobId: string; priority?: number | undefined; at: string }>()
expectTypeOf(resolved.send({ jobId: '1', at: '2026-01-01' })).toEqualTypeOf<Promise<SendResult>>()
// @ts-expect-error jobId must be a string
resolved.send({ jobId: 1, at: '2026-01-01' })
// @ts-expect-error at is required
resolved.send({ jobId: '1' })
expectTypeOf(resolved.sendBatch([{ jobId: '1', at: '' }], (message) => ({ groupId: message.jobId }))).toEqualTypeOf<Promise<BatchResult>>()
// @ts-expect-error every message of a batch is checked
resolved.sendBatch([{ jobId: 2, at: '' }])

// Receiving gives the schema's output: defaults applied, transforms run.
type Received = Awaited<ReturnType<typeof resolved.receive>>[number]
expectTypeOf<Received['body']>().toEqualTypeOf<{ jobId: string; priority: number; at: Date }>()
expectTypeOf<Received['attributes']>().toEqualTypeOf<Readonly<Record<string, string | number | Uint8Array>>>()
declare const signal: AbortSignal
expectTypeOf(resolved.listen({ signal })).toEqualTypeOf<AsyncIterable<ReceivedMessage<{ jobId: string; priority: number; at: Date }>>>()
// @ts-expect-error listen needs a signal to stop
resolved.listen({})

// Instance attributes: the schema's output.
expectTypeOf(resolved.attributes).toEqualTypeOf<{ maxReceive: number }>()
expectTypeOf(resolved.arn).toEqualTypeOf<string | undefined>()

// Without schemas: any message in, unknown bodies out, Cloud Map's strings as attributes.
const plainQueue = queue('prod.scheduler->plain')
declare const plain: Resolved<typeof plainQueue>
expectTypeOf(plain).toEqualTypeOf<Queue<unknown, unknown, RawAttributes>>()
plain.send({ anything: [1, 2] })

// queueSender(): send() typed as queue()'s, and neither batch nor receive calls.
const sender = queueSender('prod.scheduler->jobs', { message: Job })
declare const sending: Resolved<typeof sender>
expectTypeOf(sending.send).parameter(0).toEqualTypeOf<{ jobId: string; priority?: number | undefined; at: string }>()
expectTypeOf(sending.url).toBeString()
// @ts-expect-error a sender has no sendBatch
void sending.sendBatch
// @ts-expect-error a sender has no receive
void sending.receive
