import { expectTypeOf } from 'expect-type'
import { z } from 'zod'
import type { Resolved } from '../../src/index.js'
import { type ExecutionStarted, type StateMachine, stateMachine } from '../../src/kinds/state-machine.js'

const Order = z.object({ orderId: z.string(), total: z.number().default(0) })
const Invoice = z.object({ invoiceId: z.string(), lines: z.array(z.string()).transform((lines) => lines.length) })

const typed = stateMachine('prod.billing->invoice', {
  input: Order,
  output: Invoice,
  attributes: z.object({ arn: z.string(), timeoutSeconds: z.coerce.number() }),
})
declare const invoices: Resolved<typeof typed>

// start() and run() take the input schema's input type (defaults may be left out); run() returns the output schema's output type.
expectTypeOf(invoices.start).parameter(0).toEqualTypeOf<{ orderId: string; total?: number | undefined }>()
expectTypeOf(invoices.start({ orderId: '42' })).toEqualTypeOf<Promise<ExecutionStarted>>()
expectTypeOf(invoices.run({ orderId: '42', total: 9.5 })).toEqualTypeOf<Promise<{ invoiceId: string; lines: number }>>()
expectTypeOf<ExecutionStarted>().toEqualTypeOf<{ readonly executionArn: string; readonly startDate: Date }>()
expectTypeOf(invoices.executionArn('order-42')).toBeString()
expectTypeOf(invoices.attributes).toEqualTypeOf<{ arn: string; timeoutSeconds: number }>()
expectTypeOf(invoices.arn).toBeString()
expectTypeOf(invoices.region).toBeString()
expectTypeOf(invoices.name).toBeString()

// An input that does not match the schema is a compile error.
// @ts-expect-error orderId must be a string
void invoices.start({ orderId: 42 })
// @ts-expect-error orderId is required
void invoices.run({ total: 1 })

// Options: a name, a trace header and a signal, nothing else.
void invoices.start({ orderId: '42' }, { name: 'order-42', traceHeader: 'Root=1-abc', signal: AbortSignal.timeout(1000) })
// @ts-expect-error no such option
void invoices.run({ orderId: '42' }, { timeout: 1000 })
// @ts-expect-error the name is a string
void invoices.start({ orderId: '42' }, { name: 42 })

// Without schemas: any input, an unknown output, Cloud Map's string attributes.
const untyped = stateMachine('prod.billing->invoice')
declare const raw: Resolved<typeof untyped>
expectTypeOf(raw).toEqualTypeOf<StateMachine<unknown, unknown, Readonly<Record<string, string>>>>()
expectTypeOf(raw.run).returns.toEqualTypeOf<Promise<unknown>>()
expectTypeOf(raw.start).parameter(0).toBeUnknown()
