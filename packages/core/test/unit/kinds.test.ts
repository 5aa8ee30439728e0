import { beforeEach, describe, expect, it } from '@jest/globals'
import { z } from 'zod'
import { InstanceTypeMismatchError } from '../../src/errors.js'
import { instanceTypeOf, isKind, KINDS, type Kind, registeredAttributes, targetResource } from '../../src/iam.js'
import { type AnyDependency, createResolver } from '../../src/index.js'
import { eventBus } from '../../src/kinds/event-bus.js'
import { http } from '../../src/kinds/http.js'
import { instance } from '../../src/kinds/instance.js'
import { lambda } from '../../src/kinds/lambda.js'
import { queue } from '../../src/kinds/queue.js'
import { stateMachine } from '../../src/kinds/state-machine.js'
import { topic } from '../../src/kinds/topic.js'
import { clearCache, staticRegistry } from '../../src/testing/index.js'
import { KIND_NAMES } from '../../src/types/kinds.js'

// Keyed by Kind: a kind added to the list and not here is a type error.
const FACTORIES: { readonly [K in Kind]: (address: string) => AnyDependency } = {
  lambda: (address) => lambda(address),
  queue: (address) => queue(address),
  topic: (address) => topic(address),
  http: (address) => http(address),
  stateMachine: (address) => stateMachine(address),
  eventBus: (address) => eventBus(address),
  instance: (address) => instance(address, { attributes: z.object({}).passthrough() }),
}

// What each kind reads besides `type`, registered as the kind's attributes say.
const TARGETS: { readonly [K in Kind]: Readonly<Record<string, string>> } = {
  lambda: { arn: 'arn:aws:lambda:eu-west-1:123456789012:function:get-job' },
  queue: { arn: 'arn:aws:sqs:eu-west-1:123456789012:jobs', url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs' },
  topic: { arn: 'arn:aws:sns:eu-west-1:123456789012:events' },
  http: { url: 'https://orders.example.com' },
  stateMachine: { arn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:flow' },
  eventBus: { arn: 'arn:aws:events:eu-west-1:123456789012:event-bus/orders' },
  instance: { tableName: 'orders' },
}

const CALLER = { partition: 'aws', region: 'us-east-1', accountId: '111122223333' }
const kinds = Object.keys(KINDS) as Kind[]
const typed = kinds.filter((kind) => KINDS[kind].type !== undefined)

/** Resolves `kind`'s factory against one instance registered with `attributes`. */
const resolve = (kind: Kind, attributes: Record<string, string>) =>
  createResolver({ registry: staticRegistry({ 'prod.svc': { one: attributes } }), logger: { warn: () => undefined } }).resolve(
    FACTORIES[kind]('prod.svc'),
  )

beforeEach(() => clearCache())

describe('The list of kinds', () => {
  it('It should name each kind as its factory, with its own key', () => {
    for (const kind of kinds) {
      expect(KINDS[kind].kind).toBe(kind)
      expect(KINDS[kind].factory).toBe(`${kind}()`)
      expect(FACTORIES[kind]('prod.svc').kind).toBe(kind)
    }
    expect(kinds).toHaveLength(7)
  })

  it('It should list the kinds for messages in the order and number of KINDS', () => {
    expect(KIND_NAMES).toEqual(kinds)
  })

  it('It should give every type and alias to exactly one kind', () => {
    const seen = typed.flatMap((kind) => [KINDS[kind].type, ...KINDS[kind].aliases])
    expect(new Set(seen).size).toBe(seen.length)
  })

  it.each(typed)('It should bind a %s instance registered with its type or any alias, in any case', async (kind) => {
    const facts = KINDS[kind]
    for (const type of [facts.type as string, ...facts.aliases, (facts.type as string).toUpperCase()]) {
      clearCache()
      await expect(resolve(kind, { type, ...TARGETS[kind] })).resolves.toMatchObject({ instanceId: 'one' })
    }
  })

  it.each(typed)("It should refuse for %s an instance of another kind's type, naming the type it needs", async (kind) => {
    const other = typed.find((k) => k !== kind) as Kind
    const error = await resolve(kind, { type: KINDS[other].type as string, ...TARGETS[kind] }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InstanceTypeMismatchError)
    expect((error as InstanceTypeMismatchError).expected).toBe(KINDS[kind].type)
  })

  it('It should read a type as none of the kinds when it is unknown or a prototype key', () => {
    expect(instanceTypeOf('sfn')).toBe('stepfunctions')
    expect(instanceTypeOf('constructor')).toBeUndefined()
    expect(instanceTypeOf('dynamodb')).toBeUndefined()
    expect(isKind('stateMachine')).toBe(true)
    expect(isKind('constructor')).toBe(false)
    expect(isKind('sqs')).toBe(false)
  })

  it.each(kinds)("It should derive %s's IAM resource from the value its factory binds", async (kind) => {
    const facts = KINDS[kind]
    const value = await resolve(kind, { ...(facts.type === undefined ? {} : { type: facts.type }), ...TARGETS[kind] })
    expect(targetResource(kind, value as object, CALLER)).toBe(facts.arnService === undefined ? undefined : TARGETS[kind].arn)
  })

  it('It should complete a Lambda function name or partial ARN in the caller region and account', () => {
    const resource = (target: object, caller: typeof CALLER) => targetResource('lambda', target, caller)
    expect(resource({ arn: 'get-job', region: 'eu-west-1' }, CALLER)).toBe('arn:aws:lambda:eu-west-1:111122223333:function:get-job')
    expect(resource({ arn: '123456789012:function:get-job:live', region: '' }, CALLER)).toBe(
      'arn:aws:lambda:us-east-1:123456789012:function:get-job:live',
    )
  })

  it('It should name a queue known by its URL only, an event bus by its name, a state machine without its qualifier', () => {
    expect(targetResource('queue', { url: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs' }, CALLER)).toBe(
      'arn:aws:sqs:eu-west-1:123456789012:jobs',
    )
    expect(targetResource('queue', { url: 'not a url' }, CALLER)).toBeUndefined()
    expect(targetResource('eventBus', { name: 'orders', region: 'eu-west-1' }, CALLER)).toBe(
      'arn:aws:events:eu-west-1:111122223333:event-bus/orders',
    )
    expect(targetResource('stateMachine', { arn: 'arn:aws:states:eu-west-1:123456789012:stateMachine:flow:live' }, CALLER)).toBe(
      'arn:aws:states:eu-west-1:123456789012:stateMachine:flow',
    )
  })

  it("It should write a kind's type and the attributes it reads, and refuse one it does not read", () => {
    expect(registeredAttributes('queue', { arn: 'a', url: 'u' })).toEqual({ type: 'sqs', arn: 'a', url: 'u' })
    expect(() => registeredAttributes('topic', { url: 'u' })).toThrow('topic() does not read the attribute "url"')
  })
})
