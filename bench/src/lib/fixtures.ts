import { type AnyDependency, http, instance, lambda, type Schema, topic } from '@cloudmap-middy/core'
import type { Context as LambdaContext } from 'aws-lambda'
import { z } from 'zod'
import type { Table } from './server.js'

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

/** A kind's factory in @cloudmap-middy/core: its exported name (cold.ts writes calls to it) and the function. */
export interface Factory {
  readonly name: string
  readonly create: (address: string, options?: { readonly attributes?: Schema }) => AnyDependency
}

/** The factory each kind is declared with. */
export const FACTORIES: Readonly<Record<Kind, Factory>> = {
  lambda: { name: 'lambda', create: lambda },
  topic: { name: 'topic', create: topic },
  table: { name: 'instance', create: instance },
  http: { name: 'http', create: http },
}

const TableAttributes = z.object({ tableName: z.string(), region: z.string() })

/** The kind's factory for the slot's pinned instance; a table's attributes are validated. */
function dependencyOf(slot: Slot): AnyDependency {
  const address = `${NAMESPACE}.${slot.service}->${slot.instanceId}`
  return FACTORIES[slot.kind].create(address, slot.kind === 'table' ? { attributes: TableAttributes } : undefined)
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
  return FACTORIES[slot.kind].create(`${NAMESPACE}.${slot.service}`)
}

/** The registry table (`staticRegistry` format) serving every instance of every slot. */
export function multiTableOf(slots: readonly MultiSlot[]): Table {
  return Object.fromEntries(
    slots.map((slot) => [
      `${NAMESPACE}.${slot.service}`,
      Object.fromEntries(slot.instanceIds.map((instanceId) => [instanceId, attributesOf({ ...slot, instanceId })])),
    ]),
  )
}

/** The `services` map a handler declares. */
export function servicesOf(slots: readonly Slot[]): Record<string, AnyDependency> {
  return Object.fromEntries(slots.map((slot) => [slot.name, dependencyOf(slot)]))
}

/** The registry table (`staticRegistry` format) that serves every slot. */
export function tableOf(slots: readonly Slot[]): Table {
  const services = [...new Set(slots.map((slot) => slot.service))]
  return Object.fromEntries(
    services.map((service) => [
      `${NAMESPACE}.${service}`,
      Object.fromEntries(slots.filter((slot) => slot.service === service).map((slot) => [slot.instanceId, attributesOf(slot)])),
    ]),
  )
}

/** What the handler reads from a resolved dependency: the same shape with or without discovery. */
export interface Target {
  readonly arn?: string
  readonly url?: string
  readonly attributes: Readonly<Record<string, unknown>>
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
