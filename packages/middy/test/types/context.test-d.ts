import { instance, lambda } from '@cloudmap-middy/core'
import middy from '@middy/core'
import type { Context } from 'aws-lambda'
import { expectTypeOf } from 'expect-type'
import { z } from 'zod'
import { cloudMap } from '../../src/index.js'

// The exported handler is called as Lambda calls it: with a plain Context, no `services`, no cast.
const handler = middy<{ id: string }, { id: string }>()
  .use(cloudMap({ services: { flags: instance('prod.config->flags') } }))
  .use(cloudMap({ services: { jobs: lambda('prod.scheduler->get-job', { result: z.object({ id: z.string() }) }) } }))
  .handler(async (event, context) => {
    // Inside, the context has every service, typed.
    expectTypeOf(context.services.flags.instanceId).toEqualTypeOf<string>()
    expectTypeOf(context.services.jobs.request).returns.resolves.toEqualTypeOf<{ id: string }>()
    return { id: event.id }
  })

declare const context: Context
expectTypeOf(handler({ id: '1' }, context)).resolves.toEqualTypeOf<{ id: string }>()
// A partial context, as a test writes one, with the usual cast.
await handler({ id: '1' }, { getRemainingTimeInMillis: () => 3_000 } as Context)
// The event is still checked.
// @ts-expect-error the event must be the handler's
await handler({ id: 1 }, context)
