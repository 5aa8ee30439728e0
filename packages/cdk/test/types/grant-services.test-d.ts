import { http, instance, lambda, optional, queue, stateMachine } from '@cloudmap-middy/core'
import type * as iam from 'aws-cdk-lib/aws-iam'
import type * as lambdaCdk from 'aws-cdk-lib/aws-lambda'
import { expectTypeOf } from 'expect-type'
import { type CallName, grantServices } from '../../src/index.js'

declare const fn: lambdaCdk.IFunction
const services = {
  jobs: queue('prod.scheduler->jobs'),
  audit: optional(queue('prod.audit->events')),
  getJob: lambda('prod.scheduler->get-job'),
  invoice: stateMachine('prod.billing->invoice'),
  api: http('prod.api'),
  table: instance('prod.storage->jobs-table'),
}

// The calls of a dependency are the methods of what it resolves to (optional() ones included).
expectTypeOf<CallName<typeof services.jobs>>().toEqualTypeOf<'send' | 'sendBatch' | 'receive' | 'listen'>()
expectTypeOf<CallName<typeof services.audit>>().toEqualTypeOf<'send' | 'sendBatch' | 'receive' | 'listen'>()
expectTypeOf<CallName<typeof services.getJob>>().toEqualTypeOf<'request' | 'invoke'>()
expectTypeOf<CallName<typeof services.invoice>>().toEqualTypeOf<'start' | 'run' | 'executionArn'>()
expectTypeOf<CallName<typeof services.api>>().toEqualTypeOf<'fetch'>()
expectTypeOf<CallName<typeof services.table>>().toEqualTypeOf<never>()

expectTypeOf(grantServices(fn, services, { calls: { jobs: ['receive'], invoice: ['run'] }, external: ['api'] })).toEqualTypeOf<iam.Grant>()

// @ts-expect-error a queue has no run()
grantServices(fn, services, { calls: { jobs: ['run'] } })
// @ts-expect-error only the declared names can have calls
grantServices(fn, services, { calls: { other: ['send'] } })
// @ts-expect-error only the declared names can be external
grantServices(fn, services, { external: ['other'] })
