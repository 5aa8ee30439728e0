import { type AnyDependency, createResolver, eventBus, http, instance, lambda, queue, stateMachine, topic } from '@cloudmap-middy/core'
import { KINDS, type Kind, targetResource } from '@cloudmap-middy/core/iam'
import { staticRegistry } from '@cloudmap-middy/core/testing'
import { describe, expect, it } from '@jest/globals'
import { boundTarget } from '../../src/bound-target.js'

const PSEUDO = { partition: 'aws', region: 'us-east-1', accountId: '111122223333' }

// Per kind (a kind added to core's list and not here is a type error): what is registered, and
// the resource the function's role must allow for it, or undefined for a kind with none.
const CASES: { readonly [K in Kind]: { declare: (address: string) => AnyDependency; attributes: Record<string, string>; iam?: string } } = {
  lambda: {
    declare: (address) => lambda(address),
    attributes: { type: 'function', arn: '123456789012:function:get-job:live' },
    iam: 'arn:aws:lambda:us-east-1:123456789012:function:get-job:live',
  },
  queue: {
    declare: (address) => queue(address),
    attributes: { type: 'sqs', url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs' },
    iam: 'arn:aws:sqs:eu-west-1:123456789012:jobs',
  },
  topic: {
    declare: (address) => topic(address),
    attributes: { type: 'pubsub', arn: 'arn:aws:sns:eu-west-1:123456789012:events' },
    iam: 'arn:aws:sns:eu-west-1:123456789012:events',
  },
  http: { declare: (address) => http(address), attributes: { type: 'http', url: 'https://orders.example.com' } },
  stateMachine: {
    declare: (address) => stateMachine(address),
    attributes: { type: 'sfn', arn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:flow:live' },
    iam: 'arn:aws:states:eu-west-1:123456789012:stateMachine:flow',
  },
  eventBus: {
    declare: (address) => eventBus(address),
    attributes: { type: 'event-bus', name: 'orders' },
    iam: 'arn:aws:events:us-east-1:111122223333:event-bus/orders',
  },
  instance: { declare: (address) => instance(address), attributes: { tableName: 'orders' } },
}

describe('Function: boundTarget', () => {
  it.each(Object.keys(KINDS) as Kind[])(
    "It should name the IAM resource of a bound %s as core's list of kinds derives it",
    async (kind) => {
      // Prepare
      const { declare, attributes, iam } = CASES[kind]
      const resolver = createResolver({ registry: staticRegistry({ 'prod.svc': { one: attributes } }), logger: { warn: () => undefined } })
      const dependency = declare('prod.svc')

      // Act
      const value = await resolver.resolve(dependency)

      // Assess
      expect(dependency.kind).toBe(kind)
      expect(boundTarget(kind, value, PSEUDO)).toBe(iam)
      expect(boundTarget(kind, value, PSEUDO)).toBe(targetResource(kind, value as object, PSEUDO))
    },
  )

  it('It should name no resource for a kind this version does not know', () => {
    expect(boundTarget('dynamoTable', { arn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/t' }, PSEUDO)).toBeUndefined()
  })
})
