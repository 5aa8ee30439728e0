import type { PutEventsRequestEntry, PutEventsResponse } from '@aws-sdk/client-eventbridge'
import { andThen } from '../and-then.js'
import { type BatchAnswer, type BatchRequestEntry, batchSender, type PreparedEntry } from '../calls/batch.js'
import { clientPool, lazySender } from '../calls/clients.js'
import { retryOnGone } from '../calls/gone.js'
import { byteLength, encodeJson, isRecord, validate } from '../calls/json.js'
import { EVENTBRIDGE_BATCH, EVENTBRIDGE_BATCH_ENTRIES, EVENTBRIDGE_ENTRY } from '../calls/limits.js'
import { loadEventBridgeSdk } from '../calls/sdk.js'
import { checkType, requireArn, requireAttribute } from '../calls/target.js'
import { bindResolved, defineDependency } from '../dependency/dependency.js'
import { AttributeValidationError, MissingEventSourceError, PayloadValidationError } from '../errors.js'
import { checkInCallersRegion } from '../policy/policy.js'
import type { InferInput, InferOutput, Schema } from '../schema.js'
import type { AddressInput } from '../types/address.js'
import type { Dependency, DiscoveryOptions, ResolvedInstance } from '../types/dependency.js'
import type { TargetPolicy } from '../types/policy.js'
import type { RegisteredInstance } from '../types/registry.js'
import type { RawAttributes } from './instance.js'

/** Options of `eventBus()`: the detail and attributes schemas, the default source, and discovery options. */
export interface EventBusOptions<D extends Schema | undefined, A extends Schema | undefined> extends DiscoveryOptions {
  /** Checks each event's detail; its input type is what `put()` and `putBatch()` accept. Its output must be a JSON object. */
  readonly detail?: D
  /** The `source` of the events put without one of their own (`com.example.orders`). */
  readonly source?: string
  /**
   * Validates the instance's attributes (any Standard Schema validator: zod, valibot,
   * arktype, ...); its output type is the resolved `attributes`. The kind's own attributes
   * (`type`, `arn`, `name`) are checked whether or not the schema names them.
   */
  readonly attributes?: A
}

/** Per-event options of `put()`. */
export interface PutEventOptions {
  /** The event's `source`; default: the one declared with `eventBus()`. */
  readonly source?: string
  /** ARNs of the resources the event is about. */
  readonly resources?: readonly string[]
  /** The X-Ray trace header to pass on (`Root=...;Parent=...;Sampled=1`). */
  readonly traceHeader?: string
}

/** One event of `putBatch()`: its detail type and detail, and the options `put()` takes. */
export interface EventEntry<Detail> extends PutEventOptions {
  /** The event's `detail-type` (`OrderPlaced`). */
  readonly detailType: string
  /** The event's `detail`, checked by the `detail` schema; it must encode to a JSON object. */
  readonly detail: Detail
}

/** What EventBridge answers to one `put()`. */
export interface PutEventResult {
  /** The id EventBridge gave the event. */
  readonly eventId: string
}

/** What `putBatch()` answers: `eventIds[i]` is the id of the i-th event handed in. */
export interface PutBatchResult {
  /** The id EventBridge gave each event, in the order the events were handed in. */
  readonly eventIds: readonly string[]
}

/** A resolved EventBridge event bus: the registered instance and its put helpers. */
export interface EventBus<Detail, Attributes> extends ResolvedInstance<Attributes> {
  /** The event bus ARN from the registry; `undefined` when the bus was registered by `name`. */
  readonly arn: string | undefined
  /** The bus's name (`default`, `orders`), from its ARN or the `name` attribute. */
  readonly name: string
  /** The bus's region: from its ARN, else the caller's (env `AWS_REGION`; empty when unset). */
  readonly region: string
  /** The `source` declared with `eventBus()`, used for the events put without one. */
  readonly source: string | undefined
  /**
   * Puts one event with PutEvents; an entry EventBridge fails with `InternalFailure` or
   * `ThrottlingException` is sent again (3 times, with backoff).
   *
   * @throws {PayloadValidationError} when the detail does not satisfy its schema or is not a JSON object, or the detail type is empty; nothing is sent.
   * @throws {PayloadTooLargeError} over 256 KiB (source, detail type, detail and resources, as EventBridge counts them); nothing is sent.
   * @throws {MissingEventSourceError} with no source in the call or the declaration; nothing is sent.
   * @throws {BatchSendError} when EventBridge did not accept the event: `failures[0]` has its code.
   */
  put(detailType: string, detail: Detail, options?: PutEventOptions): Promise<PutEventResult>
  /**
   * Puts many events with PutEvents, in chunks of at most 10 entries and 256 KiB. Every
   * event is checked before anything is sent. Entries EventBridge fails with
   * `InternalFailure` or `ThrottlingException`, and chunks that fail transiently, are
   * retried (3 times, with backoff); other failures, and an entry EventBridge says nothing
   * about (`NoResult`, not sent again, as it may have been put), are reported by index.
   *
   * @throws {PayloadValidationError} | {PayloadTooLargeError} | {MissingEventSourceError} naming the first bad event (`message #<index>`); nothing is sent.
   * @throws {BatchSendError} when some events were still not accepted: `failures` names them by index, `sent` lists the others.
   */
  putBatch(entries: readonly EventEntry<Detail>[]): Promise<PutBatchResult>
}

/** The codes EventBridge documents as retriable for a failed entry. */
const RETRIABLE_ENTRY_CODES = new Set(['InternalFailure', 'ThrottlingException'])
// EventBridge's rules for bus names; partner buses have slashes (`aws.partner/example.com/123/orders`).
const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/
const BUS_RESOURCE = /^event-bus\/(.+)$/

type Entry = Omit<PutEventsRequestEntry, 'EventBusName'>

/** `EventBridgeClient`, made on its first use (its SDK module loaded then, or by a prefetch in Lambda). */
const loadEventBridgeClient = async () => (await loadEventBridgeSdk()).EventBridgeClient

/**
 * PutEvents answers entry by entry, in the order of the request: each has an `EventId` or an
 * `ErrorCode` (`FailedEntryCount` counts the latter, so the entries are read rather than the
 * count). An entry with neither, or missing from a short answer, is left out (`NoResult`):
 * it may have been put, so it is reported and not sent again.
 */
function toEventsAnswer(entries: readonly BatchRequestEntry<Entry>[], output: PutEventsResponse): BatchAnswer {
  const results = output.Entries ?? []
  const successful: { id: string; messageId: string }[] = []
  const failed: { id: string; code: string; message: string; senderFault: boolean }[] = []
  entries.forEach(({ id }, index) => {
    const result = results[index]
    if (result?.ErrorCode) {
      const code = result.ErrorCode
      failed.push({ id, code, message: result.ErrorMessage ?? '', senderFault: !RETRIABLE_ENTRY_CODES.has(code) })
    } else if (result?.EventId) successful.push({ id, messageId: result.EventId })
  })
  return { successful, failed }
}

/**
 * Where the events go: the registered bus ARN (its region and account checked), or a bus
 * `name` in the caller's region (env `AWS_REGION`) and account. As for a Lambda function
 * name, `allowedRegions` checks that region, and `allowedAccounts` passes a name, which can
 * only name a bus of the caller's own account.
 */
function locateBus(
  label: string,
  registered: RegisteredInstance,
  policy: TargetPolicy,
): { arn: string | undefined; name: string; region: string } {
  const invalid = (path: string, message: string) => new AttributeValidationError(label, registered.instanceId, [{ path: [path], message }])
  const hasArn = registered.attributes.arn !== undefined && registered.attributes.arn !== ''
  if (hasArn) {
    const { arn, region, account, resource } = requireArn(label, registered, 'events', policy)
    const name = BUS_RESOURCE.exec(resource)?.[1]
    if (name === undefined || !BUS_NAME.test(name) || region === '' || account === '') {
      throw invalid('arn', `"${arn}" is not an event bus ARN with a region and an account`)
    }
    const also: unknown = registered.attributes.name
    if (also !== undefined && also !== name) throw invalid('name', `names another bus than the ARN ("${name}")`)
    return { arn, name, region }
  }
  const name = requireAttribute(label, registered, 'name', 'for an eventbridge target (a bus ARN or name)')
  if (!BUS_NAME.test(name)) throw invalid('name', `"${name}" is not an event bus name`)
  return { arn: undefined, name, region: checkInCallersRegion({ label, instanceId: registered.instanceId }, name, undefined, policy) }
}

/**
 * A dependency on an EventBridge event bus registered in Cloud Map (`type` `eventbridge`,
 * `events` or `event-bus`, and its `arn`, or a bus `name` in the caller's region and
 * account). The instance is checked once per fetched set: type, ARN (account and region
 * within the resolver's `allowedAccounts` / `allowedRegions`) and attributes. The SDK
 * client is the one for the bus's region; `@aws-sdk/client-eventbridge` is loaded by a
 * prefetch in Lambda or on the first call.
 *
 * @example
 * ```ts
 * import { z } from 'zod'
 * const orders = eventBus('prod.events->orders', {
 *   detail: z.object({ orderId: z.string(), total: z.number() }),
 *   source: 'com.example.orders',
 * })
 * const bus = await resolver.resolve(orders)
 * const { eventId } = await bus.put('OrderPlaced', { orderId: '42', total: 9.5 })
 * const { eventIds } = await bus.putBatch(placed.map((order) => ({ detailType: 'OrderPlaced', detail: order })))
 * ```
 */
// Declaring a dependency does nothing else: a bundler may drop one that is never used.
/* @__NO_SIDE_EFFECTS__ */
export function eventBus<D extends Schema | undefined = undefined, A extends Schema | undefined = undefined>(
  address: AddressInput,
  options: EventBusOptions<D, A> = {},
): Dependency<EventBus<InferInput<D, unknown>, InferOutput<A, RawAttributes>>> {
  type Detail = InferInput<D, unknown>
  type Value = EventBus<Detail, InferOutput<A, RawAttributes>>
  const detailSchema = options.detail as Schema | undefined
  const attributesSchema = options.attributes as Schema<InferOutput<A, RawAttributes>> | undefined
  const declaredSource = options.source

  return defineDependency<Value>(
    'eventBus',
    address,
    options,
    (registered, context) => {
      const { label, policy } = context
      checkType(label, registered, 'eventbridge')
      const { arn, name, region } = locateBus(label, registered, policy)
      const busName = arn ?? name
      // The client is made on the first call, after its events passed every check.
      const connect = clientPool(context.clients, context.awsClientCapture).client(
        'eventbridge',
        region === '' ? undefined : region,
        context.clients?.eventBridge,
        loadEventBridgeClient,
      )
      const sender = lazySender({ label, address: context.address, kind: 'eventBus' }, loadEventBridgeSdk, connect)

      /** Checks and encodes one event; synchronous for synchronous schemas. `what` names it in errors. */
      const prepare = (event: EventEntry<unknown>, what: string): PreparedEntry<Entry> | Promise<PreparedEntry<Entry>> => {
        const { detailType, source = declaredSource, resources, traceHeader } = event
        const subject = what === 'event' ? '' : ` (${what})`
        if (typeof detailType !== 'string' || detailType === '') {
          throw new PayloadValidationError(label, `detailType${subject}`, [{ path: [], message: 'must be a non-empty string' }])
        }
        if (source === undefined || source === '') throw new MissingEventSourceError(label, what === 'event' ? 'the event' : what)
        return andThen(validate(label, `detail${subject}`, detailSchema, event.detail), (value) => {
          if (!isRecord(value)) {
            const found = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value
            throw new PayloadValidationError(label, `detail${subject}`, [{ path: [], message: `must be a JSON object, not ${found}` }])
          }
          // EventBridge counts source, detail type, detail and each resource against the entry limit.
          const around = byteLength(source) + byteLength(detailType) + (resources ?? []).reduce((sum, one) => sum + byteLength(one), 0)
          const text = encodeJson(label, `detail${subject}`, value, EVENTBRIDGE_ENTRY, around)
          const entry: Entry = {
            Source: source,
            DetailType: detailType,
            Detail: text,
            ...(resources === undefined ? {} : { Resources: [...resources] }),
            ...(traceHeader === undefined ? {} : { TraceHeader: traceHeader }),
          }
          return { entry, size: byteLength(text) + around }
        })
      }

      const spec = {
        label,
        limits: { entries: EVENTBRIDGE_BATCH_ENTRIES, bytes: EVENTBRIDGE_BATCH },
        ordered: false,
        send: async (entries: readonly BatchRequestEntry<Entry>[]): Promise<BatchAnswer> => {
          const { sdk, client } = await sender()
          const output = await client.send(
            new sdk.PutEventsCommand({ Entries: entries.map(({ entry }) => ({ ...entry, EventBusName: busName })) }),
          )
          return toEventsAnswer(entries, output)
        },
      }
      const putEntries = batchSender<EventEntry<Detail>, undefined, Entry>({
        ...spec,
        prepare: (event, _options, what) => prepare(event, what),
      })
      // put() checks its one event itself, so its errors say `detail`, not `detail (message #0)`.
      const putPrepared = batchSender<PreparedEntry<Entry>, undefined, Entry>({ ...spec, prepare: (prepared) => prepared })

      return bindResolved(registered, label, attributesSchema, () => ({
        arn,
        name,
        region,
        source: declaredSource,
        ...retryOnGone(context, arn ?? name, {
          async put(detailType: string, detail: Detail, putOptions: PutEventOptions = {}): Promise<PutEventResult> {
            const prepared = prepare({ ...putOptions, detailType, detail }, 'event')
            const { messageIds } = await putPrepared([prepared instanceof Promise ? await prepared : prepared])
            return { eventId: messageIds[0] ?? '' }
          },
          async putBatch(entries: readonly EventEntry<Detail>[]): Promise<PutBatchResult> {
            const { messageIds } = await putEntries(entries)
            return Object.freeze({ eventIds: messageIds })
          },
        }),
      }))
    },
    undefined,
    loadEventBridgeSdk,
  )
}
