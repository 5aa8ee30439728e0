import { type AnyDependency, http, instance, lambda, topic } from '@cloudmap-middy/core'
import type { Context as LambdaContext } from 'aws-lambda'
import { z } from 'zod'

/** The namespace every benchmark registers its services in. */
export const NAMESPACE = 'bench.example.com'

type Kind = 'lambda' | 'topic' | 'table' | 'http'

/** One dependency of a benchmark handler: which service and instance it points to, and its kind. */
export interface Slot {
  readonly name: string
  readonly service: string
  readonly instanceId: string
  readonly kind: Kind
}

const KINDS: readonly Kind[] = ['lambda', 'lambda', 'topic', 'table', 'http']

/**
 * Ten dependencies spread over `serviceCount` services (round-robin), of mixed kinds.
 * Each one pins its own instance, so a service holds several instances of one kind.
 */
export function layout(dependencyCount: number, serviceCount: number): readonly Slot[] {
  return Array.from({ length: dependencyCount }, (_, i) => {
    const s = i % serviceCount
    // The kind follows the service, so every instance of a service has the same type.
    const kind = KINDS[s % KINDS.length] as Kind
    return { name: `dep${i}`, service: `svc${s}`, instanceId: `i${i}`, kind }
  })
}

/** The attributes registered for one slot, as Cloud Map would return them. */
export function attributesOf(slot: Slot): Record<string, string> {
  switch (slot.kind) {
    case 'lambda':
      return { type: 'lambda', arn: `arn:aws:lambda:us-east-1:123456789012:function:${slot.service}-${slot.instanceId}` }
    case 'topic':
      return { type: 'sns', arn: `arn:aws:sns:us-east-1:123456789012:${slot.service}-${slot.instanceId}` }
    case 'table':
      return { tableName: `${slot.service}-${slot.instanceId}`, region: 'us-east-1' }
    case 'http':
      return { type: 'http', url: `https://${slot.instanceId}.${slot.service}.internal/` }
  }
}

const TableAttributes = z.object({ tableName: z.string(), region: z.string() })

function dependencyOf(slot: Slot): AnyDependency {
  const address = `${NAMESPACE}.${slot.service}->${slot.instanceId}`
  switch (slot.kind) {
    case 'lambda':
      return lambda(address)
    case 'topic':
      return topic(address)
    case 'table':
      return instance(address, { attributes: TableAttributes })
    case 'http':
      return http(address)
  }
}

/**
 * A dependency on a service of its own with several registered instances, none pinned:
 * the resolver picks one (random, the default) when the handler reads it.
 */
export interface MultiSlot {
  readonly name: string
  readonly service: string
  readonly kind: Kind
  readonly instanceIds: readonly string[]
}

/** `count` dependencies (`dep0`, `dep1`, ...), each on its own service (`multi0`, ...) with `instances` instances, kinds mixed. */
export function multiInstanceLayout(count: number, instances = 3): readonly MultiSlot[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `dep${i}`,
    service: `multi${i}`,
    kind: KINDS[i % KINDS.length] as Kind,
    instanceIds: Array.from({ length: instances }, (_, n) => `i${n}`),
  }))
}

/** The kind's factory for an unpinned address, no schemas (validation runs once per fetch, never on the warm path). */
export function multiDependencyOf(slot: MultiSlot): AnyDependency {
  const address = `${NAMESPACE}.${slot.service}`
  switch (slot.kind) {
    case 'lambda':
      return lambda(address)
    case 'topic':
      return topic(address)
    case 'table':
      return instance(address)
    case 'http':
      return http(address)
  }
}

/** The registry table (`staticRegistry` format) serving every instance of every slot. */
export function multiTableOf(slots: readonly MultiSlot[]): Record<string, Record<string, Record<string, string>>> {
  const table: Record<string, Record<string, Record<string, string>>> = {}
  for (const slot of slots) {
    const instances: Record<string, Record<string, string>> = {}
    for (const instanceId of slot.instanceIds) instances[instanceId] = attributesOf({ ...slot, instanceId })
    table[`${NAMESPACE}.${slot.service}`] = instances
  }
  return table
}

/** The `services` map a handler declares. */
export function servicesOf(slots: readonly Slot[]): Record<string, AnyDependency> {
  return Object.fromEntries(slots.map((slot) => [slot.name, dependencyOf(slot)]))
}

/** The registry table (`staticRegistry` format) that serves every slot. */
export function tableOf(slots: readonly Slot[]): Record<string, Record<string, Record<string, string>>> {
  const table: Record<string, Record<string, Record<string, string>>> = {}
  for (const slot of slots) {
    const service = `${NAMESPACE}.${slot.service}`
    table[service] ??= {}
    table[service][slot.instanceId] = attributesOf(slot)
  }
  return table
}

/** What the handler reads from a resolved dependency: the same shape with or without discovery. */
export interface Target {
  readonly arn?: string
  readonly url?: string
  readonly attributes: Readonly<Record<string, unknown>>
}

/** The hard-coded equivalent of the resolved services: what a handler without discovery keeps in a closure. */
export function hardCoded(slots: readonly Slot[]): Record<string, Target> {
  return Object.fromEntries(
    slots.map((slot) => {
      const attributes = attributesOf(slot)
      return [
        slot.name,
        { ...(attributes.arn ? { arn: attributes.arn } : {}), ...(attributes.url ? { url: attributes.url } : {}), attributes },
      ]
    }),
  )
}

export interface BenchEvent {
  readonly id: string
  readonly tenant: string
}

export interface BenchResult {
  readonly statusCode: number
  readonly body: string
}

/**
 * A realistic trivial handler body: reads the event, picks three of its
 * dependencies and answers with JSON. Shared by every variant, so only what
 * happens before it differs.
 */
export function body(event: BenchEvent, services: Readonly<Record<string, Target>>): BenchResult {
  const fn = services.dep0
  const events = services.dep2
  const table = services.dep3
  return {
    statusCode: 200,
    body: JSON.stringify({ id: event.id, tenant: event.tenant, target: fn?.arn, events: events?.arn, table: table?.attributes.tableName }),
  }
}

export const EVENT: BenchEvent = { id: 'job-42', tenant: 'acme' }

/** A Lambda context as the runtime passes it: Middy arms its early-timeout timer from `getRemainingTimeInMillis`. */
export function lambdaContext(): LambdaContext {
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench',
    memoryLimitInMB: '1024',
    awsRequestId: 'bench-request',
    logGroupName: '/aws/lambda/bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  }
}

/** A handler as the Lambda runtime calls it. */
export type Handler = (event: BenchEvent, context: LambdaContext) => Promise<BenchResult>

/** Middy types a handler's context with what its middlewares add; the runtime passes a plain Lambda context. */
export function asHandler(handler: unknown): Handler {
  return handler as Handler
}

/** The `services` a middleware put on the context. */
export function servicesFrom(context: unknown): Readonly<Record<string, Target>> {
  return (context as { services: Readonly<Record<string, Target>> }).services
}
