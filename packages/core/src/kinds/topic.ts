import type * as SnsSdk from '@aws-sdk/client-sns'
import type { PublishBatchRequestEntry, SNSClient } from '@aws-sdk/client-sns'
import { andThen } from '../and-then.js'
import { type BatchResult, batchSender, toBatchAnswer } from '../calls/batch.js'
import { clientPool, lazySender, type Sender } from '../calls/clients.js'
import { retryOnGone } from '../calls/gone.js'
import { byteLength, encodeJson, validate } from '../calls/json.js'
import { SNS_BATCH, SNS_BATCH_ENTRIES, SNS_MESSAGE } from '../calls/limits.js'
import { attributesSize, type MessageAttributes, toMessageAttributes } from '../calls/message-attributes.js'
import { refused } from '../calls/refused.js'
import { loadSnsSdk } from '../calls/sdk.js'
import { checkType, requireArn } from '../calls/target.js'
import { bindResolved, defineDependency } from '../dependency/dependency.js'
import { AttributeValidationError, MissingGroupIdError } from '../errors.js'
import type { InferInput, InferOutput, Schema } from '../schema.js'
import type { AddressInput } from '../types/address.js'
import type { Dependency, DiscoveryOptions, ResolvedInstance } from '../types/dependency.js'
import type { RawAttributes } from './instance.js'

/** Options of `topic()`: schemas for the message and the attributes, and discovery options. */
export interface TopicOptions<M extends Schema | undefined, A extends Schema | undefined> extends DiscoveryOptions {
  /** Checks what is published; its input type is what `publish()` accepts. */
  readonly message?: M
  /**
   * Validates the instance's attributes (any Standard Schema validator: zod, valibot,
   * arktype, ...); its output type is the resolved `attributes`. The kind's own attributes
   * (`type`, `arn`, `url`) are checked whether or not the schema names them.
   */
  readonly attributes?: A
}

/** Per-message options of `publish()` and `publishBatch()`. */
export interface PublishOptions {
  /** Subject of the message (used by email subscriptions). */
  readonly subject?: string
  /** Message attributes, counted in the 256 KiB limit. */
  readonly attributes?: MessageAttributes
  /** Message group id: required by FIFO topics. */
  readonly groupId?: string
  /** Deduplication id for FIFO topics without content-based deduplication. */
  readonly deduplicationId?: string
}

/** What SNS answers to one `publish()`. */
export interface PublishResult {
  /** The id SNS gave the message. */
  readonly messageId: string
  /** Set by FIFO topics. */
  readonly sequenceNumber?: string
}

/** Kept here too for imports from this module. */
export type { BatchResult } from '../calls/batch.js'

/** A resolved SNS topic: the registered instance and its publish helpers. */
export interface Topic<Message, Attributes> extends ResolvedInstance<Attributes> {
  /** The topic ARN from the registry. */
  readonly arn: string
  /** The topic's region, taken from its ARN. */
  readonly region: string
  /** True for a FIFO topic (ARN ending in `.fifo`): every message then needs a `groupId`. */
  readonly fifo: boolean
  /**
   * Publishes one message as JSON.
   *
   * @throws {PayloadValidationError} when the message does not satisfy its schema; nothing is sent.
   * @throws {PayloadTooLargeError} over 256 KiB, attributes included; nothing is sent.
   * @throws {MissingGroupIdError} for a FIFO topic without `groupId`; nothing is sent.
   */
  publish(message: Message, options?: PublishOptions): Promise<PublishResult>
  /**
   * Publishes many messages with PublishBatch, in chunks of at most 10 entries and
   * 256 KiB. Every message is checked before anything is sent. Entries SNS rejects
   * without blaming the request or with a throttling or server-side code, and chunks
   * that fail transiently, are retried (3 times, with backoff); an entry SNS says
   * nothing about is reported (`NoResult`), not sent again, as it may have been
   * published. A FIFO topic keeps each message group's order whatever fails or goes
   * unanswered: requests go one after the other with one message per group, a group's
   * next message once SNS confirmed the one before (a batch in one group takes one
   * request per message).
   *
   * @param options the same options for every message, or a function giving each message its own.
   * @throws {PayloadValidationError} | {PayloadTooLargeError} | {MissingGroupIdError} naming the first bad message (`message #<index>`); nothing is sent.
   * @throws {BatchSendError} when some messages were still not accepted: `failures` names them by index, `sent` lists the others.
   */
  publishBatch(
    messages: readonly Message[],
    options?: PublishOptions | ((message: Message, index: number) => PublishOptions),
  ): Promise<BatchResult>
}

/**
 * A resolved topic that `topicPublisher()` declared: its ARN and `publish`.
 *
 * @example
 * ```ts
 * const events = await resolver.resolve(topicPublisher('prod.events->job-events', { message: JobEvent }))
 * await events.publish({ jobId: '42', state: 'done' })
 * ```
 */
export type TopicPublisher<Message, Attributes> = Omit<Topic<Message, Attributes>, 'publishBatch'>

/** `SNSClient`, made on its first use (its SDK module loaded then, or by a prefetch in Lambda). */
const loadSnsClient = async () => (await loadSnsSdk()).SNSClient

/**
 * A dependency on an SNS topic registered in Cloud Map (`type` `sns`, `topic`,
 * `event` or `pubsub`, and its `arn`). The instance is checked once per fetched set:
 * type, ARN (account and region within the resolver's `allowedAccounts` /
 * `allowedRegions`) and attributes. The SDK client is the one for the ARN's region.
 *
 * @example
 * ```ts
 * import { z } from 'zod'
 * const events = topic('prod.events->job-events', { message: z.object({ jobId: z.string(), state: z.string() }) })
 * const jobEvents = await resolver.resolve(events)
 * await jobEvents.publish({ jobId: '42', state: 'done' }, { attributes: { tenant: 'acme', priority: 5 } })
 * const { messageIds } = await jobEvents.publishBatch(jobs.map((job) => ({ jobId: job.id, state: job.state })))
 * ```
 */
// Declaring a dependency does nothing else: a bundler may drop one that is never used.
/* @__NO_SIDE_EFFECTS__ */
export function topic<M extends Schema | undefined = undefined, A extends Schema | undefined = undefined>(
  address: AddressInput,
  options: TopicOptions<M, A> = {},
): Dependency<Topic<InferInput<M, unknown>, InferOutput<A, RawAttributes>>> {
  return defineTopic(address, options, (parts) => {
    const { label, arn, fifo, sender, prepare } = parts
    const publishBatch = batchSender<InferInput<M, unknown>, PublishOptions, Omit<PublishBatchRequestEntry, 'Id'>>({
      label,
      limits: { entries: SNS_BATCH_ENTRIES, bytes: SNS_BATCH },
      ordered: fifo,
      prepare: (message, publishOptions = {}, what) =>
        andThen(prepare(message, publishOptions, what), (entry) => ({
          entry,
          size: byteLength(entry.Message ?? '') + attributesSize(publishOptions.attributes),
          group: publishOptions.groupId,
        })),
      send: async (entries) => {
        const { sdk, client } = await sender()
        return toBatchAnswer(
          await client.send(
            new sdk.PublishBatchCommand({
              TopicArn: arn,
              PublishBatchRequestEntries: entries.map(({ id, entry }) => ({ Id: id, ...entry })),
            }),
          ),
        )
      },
    })
    return { publish: publishMessage(parts), publishBatch }
  })
}

/**
 * A dependency on an SNS topic that a handler only publishes to, one message at a time: a
 * `topic()` with `publish` alone, so a bundle carries no batch code. Registered, checked
 * and published to exactly as by `topic()`.
 *
 * @example
 * ```ts
 * import { z } from 'zod'
 * const events = topicPublisher('prod.events->job-events', { message: z.object({ jobId: z.string() }) })
 * const jobEvents = await resolver.resolve(events)
 * await jobEvents.publish({ jobId: '42' }, { subject: 'job.done' })
 * ```
 */
// Declaring a dependency does nothing else: a bundler may drop one that is never used.
/* @__NO_SIDE_EFFECTS__ */
export function topicPublisher<M extends Schema | undefined = undefined, A extends Schema | undefined = undefined>(
  address: AddressInput,
  options: TopicOptions<M, A> = {},
): Dependency<TopicPublisher<InferInput<M, unknown>, InferOutput<A, RawAttributes>>> {
  return defineTopic(address, options, (parts) => ({ publish: publishMessage(parts) }))
}

type Entry = Omit<PublishBatchRequestEntry, 'Id'>

/** What every call of a bound topic is built from. */
interface TopicParts {
  readonly label: string
  readonly arn: string
  readonly fifo: boolean
  readonly sender: () => Promise<Sender<typeof SnsSdk, SNSClient>>
  /** Checks and encodes one message; synchronous for synchronous schemas. `what` names it in errors. */
  readonly prepare: (message: unknown, options: PublishOptions, what: string) => Entry | Promise<Entry>
}

/**
 * A `topic` dependency whose bound value has the topic's `arn`, `region` and `fifo` and the
 * calls `calls` builds: each factory names its calls here, so a bundle holds only their code.
 */
function defineTopic<M extends Schema | undefined, A extends Schema | undefined, Calls extends object>(
  address: AddressInput,
  options: TopicOptions<M, A>,
  calls: (parts: TopicParts) => Calls,
): Dependency<
  ResolvedInstance<InferOutput<A, RawAttributes>> & { readonly arn: string; readonly region: string; readonly fifo: boolean } & Calls
> {
  const messageSchema = options.message as Schema | undefined
  const attributesSchema = options.attributes as Schema<InferOutput<A, RawAttributes>> | undefined

  return defineDependency(
    'topic',
    address,
    options,
    (registered, context) => {
      const { label, policy } = context
      checkType(label, registered, 'sns')
      const { arn, region, resource } = requireArn(label, registered, 'sns', policy)
      // A subscription ARN (`topic:uuid`) is an sns ARN too, but cannot be published to.
      if (resource.includes(':') || region === '') {
        throw new AttributeValidationError(label, registered.instanceId, [
          { path: ['arn'], message: `"${arn}" is not a topic ARN with a region` },
        ])
      }
      const fifo = arn.endsWith('.fifo')
      // The client is made on the first call, after its messages passed every check (the SDK module may be loaded already: see warmDependency).
      const sender = lazySender(
        { label, address: context.address, kind: 'topic' },
        loadSnsSdk,
        clientPool(context.clients, context.awsClientCapture).client('sns', region, context.clients?.sns, loadSnsClient),
      )

      /** Checks and encodes one message; synchronous for synchronous schemas. `what` names it in errors. */
      const prepare = (message: unknown, publishOptions: PublishOptions, what: string): Entry | Promise<Entry> =>
        andThen(validate(label, what, messageSchema, message), (value) => {
          const { subject, attributes, groupId, deduplicationId } = publishOptions
          if (fifo && (groupId === undefined || groupId === '')) {
            throw new MissingGroupIdError(label, what === 'message' ? 'topic' : `topic (${what})`)
          }
          const text = encodeJson(label, what, value, SNS_MESSAGE, attributesSize(attributes))
          return {
            Message: text,
            ...(subject === undefined ? {} : { Subject: subject }),
            ...(attributes === undefined ? {} : { MessageAttributes: toMessageAttributes(attributes) }),
            ...(groupId === undefined ? {} : { MessageGroupId: groupId }),
            ...(deduplicationId === undefined ? {} : { MessageDeduplicationId: deduplicationId }),
          }
        })

      return bindResolved(registered, label, attributesSchema, () => ({
        arn,
        region,
        fifo,
        ...retryOnGone(context, arn, calls({ label, arn, fifo, sender, prepare })),
      }))
    },
    undefined,
    loadSnsSdk,
  )
}

/** `publish` of a bound topic. */
function publishMessage({ label, arn, sender, prepare }: TopicParts) {
  return async (message: unknown, publishOptions: PublishOptions = {}): Promise<PublishResult> => {
    const prepared = prepare(message, publishOptions, 'message')
    const request = prepared instanceof Promise ? await prepared : prepared
    const { sdk, client } = await sender()
    const output = await client.send(new sdk.PublishCommand({ TopicArn: arn, ...request })).catch(refused(label, 'SNS', 'Publish', arn))
    return {
      messageId: output.MessageId ?? '',
      ...(output.SequenceNumber === undefined ? {} : { sequenceNumber: output.SequenceNumber }),
    }
  }
}
