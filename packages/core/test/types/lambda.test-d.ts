import { expectTypeOf } from 'expect-type'
import { z } from 'zod'
import type { Resolved } from '../../src/index.js'
import { type LambdaFunction, lambda } from '../../src/kinds/lambda.js'

const Job = z.object({ id: z.string(), state: z.enum(['queued', 'done']) })
const JobRequest = z.object({ id: z.string(), priority: z.number().default(0) })

const typed = lambda('prod.scheduler->get-job', {
  payload: JobRequest,
  result: Job,
  attributes: z.object({ arn: z.string(), timeoutMs: z.coerce.number() }),
})
declare const jobs: Resolved<typeof typed>

// request() returns the result schema's output type.
expectTypeOf(jobs.request({ id: '42' })).toEqualTypeOf<Promise<{ id: string; state: 'queued' | 'done' }>>()
expectTypeOf(jobs.invoke({ id: '42', priority: 1 })).toEqualTypeOf<Promise<void>>()
expectTypeOf(jobs.attributes).toEqualTypeOf<{ arn: string; timeoutMs: number }>()
expectTypeOf(jobs.arn).toBeString()
expectTypeOf(jobs.region).toBeString()

// A payload that does not match the payload schema's input is a compile error.
// @ts-expect-error id must be a string
void jobs.request({ id: 42 })
// @ts-expect-error id is required
void jobs.invoke({ priority: 1 })

// Without schemas: any payload, an unknown result, Cloud Map's string attributes.
const untyped = lambda('prod.scheduler->get-job')
declare const raw: Resolved<typeof untyped>
expectTypeOf(raw).toEqualTypeOf<LambdaFunction<unknown, unknown, Readonly<Record<string, string>>>>()
expectTypeOf(raw.request).returns.toEqualTypeOf<Promise<unknown>>()
expectTypeOf(raw.request).parameter(0).toBeUnknown()

// A signal is the only call option.
void raw.request(undefined, { signal: AbortSignal.timeout(1000) })
// @ts-expect-error no such option
void raw.invoke({}, { timeout: 1000 })
