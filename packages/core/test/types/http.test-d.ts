import { expectTypeOf } from 'expect-type'
import { z } from 'zod'
import type { Resolved } from '../../src/index.js'
import { type HttpService, http } from '../../src/kinds/http.js'

const typed = http('prod.orders', {
  attributes: z.object({ version: z.coerce.number(), stage: z.enum(['blue', 'green']) }),
  timeoutMs: 2_000,
})
declare const orders: Resolved<typeof typed>

// The attributes are the schema's output type.
expectTypeOf(orders.attributes).toEqualTypeOf<{ version: number; stage: 'blue' | 'green' }>()
expectTypeOf(orders.url).toBeString()
expectTypeOf(orders.instanceId).toBeString()
expectTypeOf(orders.fetch('/orders')).toEqualTypeOf<Promise<Response>>()

// fetch takes RequestInit plus a per-call timeout.
void orders.fetch('/orders', { method: 'PUT', body: '{}', headers: { 'content-type': 'application/json' }, timeoutMs: 500 })
// @ts-expect-error timeoutMs is a number
void orders.fetch('/orders', { timeoutMs: '500' })
// @ts-expect-error a path is required
void orders.fetch()
// @ts-expect-error no such option
http('prod.orders', { timeout: 1_000 })

// Without a schema: Cloud Map's string attributes.
const untyped = http('prod.orders->task-1')
declare const raw: Resolved<typeof untyped>
expectTypeOf(raw).toEqualTypeOf<HttpService<Readonly<Record<string, string>>>>()
expectTypeOf(raw.attributes.url).toEqualTypeOf<string | undefined>()
