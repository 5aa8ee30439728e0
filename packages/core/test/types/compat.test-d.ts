// The types of payloads, results and attributes are inferred from any Standard Schema v1
// validator: zod 4, zod 3.25, valibot 1 and arktype 2 give the same types.
import { type } from 'arktype'
import { expectTypeOf } from 'expect-type'
import * as v from 'valibot'
import { z as z4 } from 'zod'
import { z as z3 } from 'zod3'
import { instance, lambda, type Resolved } from '../../src/index.js'

/** What `request()` accepts: the payload schema's input (`priority` has a default). */
type JobRequest = { id: string; priority?: number | undefined }
/** What `request()` returns: the result schema's output (`createdAt` parsed into a Date). */
type Job = { id: string; state: 'queued' | 'done'; createdAt: Date }
/** The instance's attributes: the attributes schema's output (`port` coerced). */
type Table = { tableName: string; port: number }

// zod 4
{
  const getJob = lambda('prod.scheduler->get-job', {
    payload: z4.object({ id: z4.string(), priority: z4.number().default(0) }),
    result: z4.object({ id: z4.string(), state: z4.enum(['queued', 'done']), createdAt: z4.coerce.date() }),
    attributes: z4.object({ tableName: z4.string(), port: z4.coerce.number() }),
  })
  const orders = instance('prod.storage->orders', { attributes: z4.object({ tableName: z4.string(), port: z4.coerce.number() }) })
  const jobs = {} as Resolved<typeof getJob>

  expectTypeOf(jobs.request).parameter(0).toEqualTypeOf<JobRequest>()
  expectTypeOf(jobs.request({ id: '42' })).toEqualTypeOf<Promise<Job>>()
  expectTypeOf(jobs.invoke).parameter(0).toEqualTypeOf<JobRequest>()
  expectTypeOf(jobs.attributes).toEqualTypeOf<Table>()
  expectTypeOf<Resolved<typeof orders>['attributes']>().toEqualTypeOf<Table>()
  // @ts-expect-error id must be a string
  void jobs.request({ id: 42 })
}

// zod 3 (3.25 implements Standard Schema)
{
  const getJob = lambda('prod.scheduler->get-job', {
    payload: z3.object({ id: z3.string(), priority: z3.number().default(0) }),
    result: z3.object({ id: z3.string(), state: z3.enum(['queued', 'done']), createdAt: z3.coerce.date() }),
    attributes: z3.object({ tableName: z3.string(), port: z3.coerce.number() }),
  })
  const orders = instance('prod.storage->orders', { attributes: z3.object({ tableName: z3.string(), port: z3.coerce.number() }) })
  const jobs = {} as Resolved<typeof getJob>

  expectTypeOf(jobs.request).parameter(0).toEqualTypeOf<JobRequest>()
  expectTypeOf(jobs.request({ id: '42' })).toEqualTypeOf<Promise<Job>>()
  expectTypeOf(jobs.invoke).parameter(0).toEqualTypeOf<JobRequest>()
  expectTypeOf(jobs.attributes).toEqualTypeOf<Table>()
  expectTypeOf<Resolved<typeof orders>['attributes']>().toEqualTypeOf<Table>()
  // @ts-expect-error id must be a string
  void jobs.request({ id: 42 })
}

// valibot 1
{
  const getJob = lambda('prod.scheduler->get-job', {
    payload: v.object({ id: v.string(), priority: v.optional(v.number(), 0) }),
    result: v.object({
      id: v.string(),
      state: v.picklist(['queued', 'done']),
      createdAt: v.pipe(v.string(), v.isoTimestamp(), v.toDate()),
    }),
    attributes: v.object({ tableName: v.string(), port: v.pipe(v.string(), v.toNumber()) }),
  })
  const orders = instance('prod.storage->orders', {
    attributes: v.object({ tableName: v.string(), port: v.pipe(v.string(), v.toNumber()) }),
  })
  const jobs = {} as Resolved<typeof getJob>

  expectTypeOf(jobs.request).parameter(0).toEqualTypeOf<JobRequest>()
  expectTypeOf(jobs.request({ id: '42' })).toEqualTypeOf<Promise<Job>>()
  expectTypeOf(jobs.invoke).parameter(0).toEqualTypeOf<JobRequest>()
  expectTypeOf(jobs.attributes).toEqualTypeOf<Table>()
  expectTypeOf<Resolved<typeof orders>['attributes']>().toEqualTypeOf<Table>()
  // @ts-expect-error id must be a string
  void jobs.request({ id: 42 })
}

// arktype 2: a key with a default is optional in the input (`priority?: number`, without `| undefined`).
{
  const getJob = lambda('prod.scheduler->get-job', {
    payload: type({ id: 'string', priority: 'number = 0' }),
    result: type({ id: 'string', state: "'queued' | 'done'", createdAt: 'string.date.iso.parse' }),
    attributes: type({ tableName: 'string', port: 'string.numeric.parse' }),
  })
  const orders = instance('prod.storage->orders', { attributes: type({ tableName: 'string', port: 'string.numeric.parse' }) })
  const jobs = {} as Resolved<typeof getJob>

  expectTypeOf(jobs.request).parameter(0).toEqualTypeOf<{ id: string; priority?: number }>()
  expectTypeOf(jobs.request({ id: '42' })).toEqualTypeOf<Promise<Job>>()
  expectTypeOf(jobs.invoke).parameter(0).toEqualTypeOf<{ id: string; priority?: number }>()
  expectTypeOf(jobs.attributes).toEqualTypeOf<Table>()
  expectTypeOf<Resolved<typeof orders>['attributes']>().toEqualTypeOf<Table>()
  // @ts-expect-error id must be a string
  void jobs.request({ id: 42 })
}
