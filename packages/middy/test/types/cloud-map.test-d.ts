import { createResolver, instance, lambda, optional, type ResolvedInstance } from '@cloudmap-middy/core'
import middy from '@middy/core'
import { expectTypeOf } from 'expect-type'
import middy5 from 'middy5'
import middy6 from 'middy6'
import { z } from 'zod'
import { cloudMap } from '../../src/index.js'

const Orders = z.object({ tableName: z.string(), shards: z.coerce.number() })

// context.services.<name> has the type its dependency resolves to, with no cast.
middy<{ id: string }, { table: string }>()
  .use(
    cloudMap({
      services: {
        orders: instance('prod.storage->orders', { attributes: Orders }),
        flags: instance('prod.config->flags'),
        audit: optional(instance('prod.audit')),
      },
    }),
  )
  .handler(async (event, context) => {
    expectTypeOf(event.id).toEqualTypeOf<string>()
    expectTypeOf(context.services.orders).toEqualTypeOf<ResolvedInstance<{ tableName: string; shards: number }>>()
    expectTypeOf(context.services.orders.attributes.shards).toEqualTypeOf<number>()
    expectTypeOf(context.services.flags.attributes).toEqualTypeOf<Readonly<Record<string, string>>>()
    expectTypeOf(context.services.audit).toEqualTypeOf<ResolvedInstance<Readonly<Record<string, string>>> | undefined>()
    expectTypeOf(context.getRemainingTimeInMillis).returns.toEqualTypeOf<number>()
    // @ts-expect-error an unknown service name is a compile error
    context.services.nope
    return { table: context.services.orders.attributes.tableName }
  })

// Middlewares compose: two cloudMap() uses add both sets of services.
middy()
  .use(cloudMap({ services: { a: instance('prod.a') } }))
  .use(cloudMap({ services: { b: instance('prod.b') } }))
  .handler(async (_event, context) => {
    expectTypeOf(context.services.a.instanceId).toEqualTypeOf<string>()
    expectTypeOf(context.services.b.instanceId).toEqualTypeOf<string>()
  })

// A resolver excludes the options that would build one.
// @ts-expect-error ttlMs goes with no resolver
cloudMap({ services: {}, resolver: createResolver(), ttlMs: 5 })

// The same typing holds under @middy/core 5 and 6.
middy5()
  .use(cloudMap({ services: { orders: instance('prod.storage->orders', { attributes: Orders }) } }))
  .handler(async (_event, context) => {
    expectTypeOf(context.services.orders.attributes.shards).toEqualTypeOf<number>()
    // @ts-expect-error an unknown service name is a compile error
    context.services.nope
  })
middy6()
  .use(cloudMap({ services: { orders: instance('prod.storage->orders', { attributes: Orders }) } }))
  .handler(async (_event, context) => {
    expectTypeOf(context.services.orders.attributes.shards).toEqualTypeOf<number>()
    // @ts-expect-error an unknown service name is a compile error
    context.services.nope
  })

// A call helper's payload and result are typed from its schemas.
const Job = z.object({ id: z.string(), status: z.enum(['queued', 'done']) })
middy<{ id: string }>()
  .use(cloudMap({ services: { jobs: lambda('prod.scheduler->get-job', { payload: z.object({ id: z.string() }), result: Job }) } }))
  .handler(async (event, context) => {
    const job = await context.services.jobs.request({ id: event.id })
    expectTypeOf(job).toEqualTypeOf<{ id: string; status: 'queued' | 'done' }>()
    // @ts-expect-error a payload that does not match the schema is a compile error
    await context.services.jobs.request({ id: 42 })
    // @ts-expect-error so is a missing one
    await context.services.jobs.invoke()
  })

// A metrics sink is any addMetric(name, unit, value); it builds a resolver, so it excludes one too.
const sink = { addMetric: (_name: string, _unit: string, _value: number) => undefined }
cloudMap({ services: {}, metrics: sink, logger: console, ttlMs: 5 })
// @ts-expect-error metrics goes with no resolver
cloudMap({ services: {}, resolver: createResolver(), metrics: sink })
// @ts-expect-error a sink has addMetric
cloudMap({ services: {}, metrics: { putMetric: () => undefined } })
