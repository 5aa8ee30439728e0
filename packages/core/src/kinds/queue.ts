import type * as SqsSdk from '@aws-sdk/client-sqs'
import type { SendMessageBatchRequestEntry, SQSClient } from '@aws-sdk/client-sqs'
import { andThen } from '../and-then.js'
import { type BatchResult, batchSender, toBatchAnswer } from '../calls/batch.js'
import { clientPool, lazySender, type Sender } from '../calls/clients.js'
import { retryOnGone } from '../calls/gone.js'
import { byteLength, encodeJson, validate } from '../calls/json.js'
import { SQS_BATCH, SQS_BATCH_ENTRIES, SQS_MESSAGE } from '../calls/limits.js'
import { attributesSize, type MessageAttributes, toMessageAttributes } from '../calls/message-attributes.js'
import { refused } from '../calls/refused.js'
import { loadSqsSdk } from '../calls/sdk.js'
import { sqsEndpoint } from '../calls/sqs-endpoint.js'
import { checkType, requireArn, requireAttribute } from '../calls/target.js'
import { bindResolved, defineDependency } from '../dependency/dependency.js'
import { MissingGroupIdError } from '../errors.js'
import type { Logger } from '../logger.js'
import { locateQueue, type QueueTarget, regionOfQueueUrl } from '../policy/queue-url.js'
import type { InferInput, InferOutput, Schema } from '../schema.js'
import type { AddressInput } from '../types/address.js'
import type { Dependency, DiscoveryOptions, ResolvedInstance } from '../types/dependency.js'
import type { RawAttributes } from './instance.js'
import { queueReceiver } from './queue-receive.js'
import type { ListenOptions, ReceivedMessage, ReceiveOptions } from './received-message.js'

export type { ListenOptions, ReceivedMessage, ReceiveOptions } from './received-message.js'

/** Options of `queue()`: schemas for the message body and the instance attributes, and discovery options. */
export interface QueueOptions<M extends Schema | undefined, A extends Schema | undefined> extends DiscoveryOptions {
  /** Validates every message sent (its input type) and every message received (its output type). */
  readonly message?: M
  /**
   * Validates the instance's attributes (any Standard Schema validator: zod, valibot,
   * arktype, ...); its output type is the resolved `attributes`. The kind's own attributes
   * (`type`, `arn`, `url`) are checked whether or not the schema names them.
   */
  readonly attributes?: A
}

/** Per-message options of `send` and `sendBatch`. */
export interface SendOptions {
  /** `MessageGroupId`: required by FIFO queues. */
  readonly groupId?: string
  /** `MessageDeduplicationId`: FIFO queues without content-based deduplication need it. */
  readonly deduplicationId?: string
  /** `DelaySeconds` (0 to 900; standard queues only). */
  readonly delaySeconds?: number
  /** Message attributes; they count towards the message size limit. */
  readonly attributes?: MessageAttributes
}

/** What SQS answered to `send`. */
export interface SendResult {
  /** The id SQS gave the message. */
  readonly messageId: string
  /** FIFO queues only. */
  readonly sequenceNumber?: string
}

/** Kept here too for imports from this module. */
export type { BatchResult } from '../calls/batch.js'

/**
 * A resolved queue: its URL and the calls that send to it and receive from it.
 *
 * @example
 * ```ts
 * const jobs = await resolver.resolve(queue('prod.scheduler->jobs-queue.fifo', { message: Job }))
 * await jobs.send(job, { groupId: job.tenant, attributes: { priority: 5 } })
 * ```
 */
export interface Queue<Message, Body, Attributes> extends ResolvedInstance<Attributes> {
  /** The queue URL requests go to: the registered `url`, or the one the `arn` gives. */
  readonly url: string
  /** The queue ARN, when the instance registered one. */
  readonly arn: string | undefined
  /** True when the queue name ends with `.fifo`: every message then needs a `groupId`. */
  readonly fifo: boolean
  /**
   * Validates, encodes and sends one message.
   *
   * @throws {PayloadValidationError} when the message does not satisfy the schema; nothing was sent.
   * @throws {PayloadTooLargeError} when body and attributes exceed 1 MiB; nothing was sent.
   * @throws {MissingGroupIdError} for a FIFO queue without `groupId`; nothing was sent.
   */
  send(message: Message, options?: SendOptions): Promise<SendResult>
  /**
   * Sends many messages, in as few `SendMessageBatch` requests as the limits allow (10
   * entries and 1 MiB each). Every message is validated first: one bad message throws
   * before anything is sent. Entries that fail are retried when retriable; the rest are
   * reported in a `BatchSendError`, which names every message by its index.
   *
   * A FIFO queue keeps each message group's order whatever fails or goes unanswered: a
   * request carries one message per group, and a group's next message goes once SQS
   * confirmed the one before, so a resend (same deduplication id) never lands behind a
   * later one. A batch in one group takes one request per message.
   *
   * @throws {BatchSendError} when some messages were not accepted; `sent` and `failures` cover every index.
   */
  sendBatch(messages: readonly Message[], options?: SendOptions | ((message: Message, index: number) => SendOptions)): Promise<BatchResult>
  /**
   * Receives up to `max` messages. A message whose body is not JSON or fails the schema is
   * not returned and not deleted: it stays on the queue, so the queue's redrive policy moves
   * it to its dead-letter queue; a warning names it.
   */
  receive(options?: ReceiveOptions): Promise<ReceivedMessage<Body>[]>
  /**
   * Long-polls until `signal` aborts, yielding messages one at a time.
   *
   * Acknowledgement: a yielded message is deleted when the loop asks for the next one, that
   * is after the loop body completed, unless the body already called `ack()` or `release()`.
   * When the loop exits by `break`, `return` or a throw, the current message is not deleted
   * (it comes back after its visibility timeout). Aborting ends the loop without an error:
   * the pending request is aborted, and messages received but not yet yielded are released
   * so that none waits for its visibility timeout.
   */
  listen(options: ListenOptions): AsyncIterable<ReceivedMessage<Body>>
}

/**
 * A resolved queue that `queueSender()` declared: its URL and `send`.
 *
 * @example
 * ```ts
 * const jobs = await resolver.resolve(queueSender('prod.scheduler->jobs-queue.fifo', { message: Job }))
 * await jobs.send(job, { groupId: job.tenant })
 * ```
 */
export type QueueSender<Message, Attributes> = Omit<Queue<Message, unknown, Attributes>, 'sendBatch' | 'receive' | 'listen'>

/** `SQSClient`, made on its first use (its SDK module loaded then, or by a prefetch in Lambda). */
const loadSqsClient = async () => (await loadSqsSdk()).SQSClient

/** The SQS fields of the per-message options; absent ones are left out. */
function sendFields(options: SendOptions) {
  const { groupId, deduplicationId, delaySeconds, attributes } = options
  return {
    ...(groupId === undefined ? {} : { MessageGroupId: groupId }),
    ...(deduplicationId === undefined ? {} : { MessageDeduplicationId: deduplicationId }),
    ...(delaySeconds === undefined ? {} : { DelaySeconds: delaySeconds }),
    ...(attributes === undefined || Object.keys(attributes).length === 0 ? {} : { MessageAttributes: toMessageAttributes(attributes) }),
  }
}

/**
 * A dependency on an SQS queue registered in Cloud Map (`type` `sqs` or `queue`, with a
 * `url`, an `arn`, or both). Messages are JSON, validated by the `message` schema when
 * sending (its input type) and when receiving (its output type).
 *
 * Received messages that cannot be parsed or fail the schema are left on the queue (not
 * returned, not deleted) with a warning, so the queue's redrive policy moves them to its
 * dead-letter queue instead of a handler deleting what it could not read.
 *
 * @example
 * ```ts
 * import { z } from 'zod'
 * const jobs = queue('prod.scheduler->jobs-queue', { message: z.object({ jobId: z.string() }) })
 * const resolved = await resolver.resolve(jobs)
 * await resolved.send({ jobId: '42' })
 * await resolved.sendBatch([{ jobId: '1' }, { jobId: '2' }])
 * for await (const job of resolved.listen({ signal: AbortSignal.timeout(60_000) })) {
 *   await run(job.body.jobId) // deleted when the loop asks for the next one
 * }
 * ```
 */
// Declaring a dependency does nothing else: a bundler may drop one that is never used.
/* @__NO_SIDE_EFFECTS__ */
export function queue<M extends Schema | undefined = undefined, A extends Schema | undefined = undefined>(
  address: AddressInput,
  options: QueueOptions<M, A> = {},
): Dependency<Queue<InferInput<M, unknown>, InferOutput<M, unknown>, InferOutput<A, RawAttributes>>> {
  return defineQueue(address, options, (parts) => {
    const { label, fifo, url, sender, prepare } = parts
    const sendBatch = batchSender<InferInput<M, unknown>, SendOptions, Omit<SendMessageBatchRequestEntry, 'Id'>>({
      label,
      limits: { entries: SQS_BATCH_ENTRIES, bytes: SQS_BATCH },
      ordered: fifo,
      prepare: async (message, sendOptions = {}, what) => {
        const body = await prepare(message, sendOptions, what)
        return {
          entry: { MessageBody: body, ...sendFields(sendOptions) },
          size: byteLength(body) + attributesSize(sendOptions.attributes),
          group: sendOptions.groupId,
        }
      },
      send: async (entries) => {
        const { sdk, client } = await sender()
        return toBatchAnswer(
          await client.send(
            new sdk.SendMessageBatchCommand({ QueueUrl: url, Entries: entries.map(({ id, entry }) => ({ Id: id, ...entry })) }),
          ),
        )
      },
    })
    const { receive, listen } = queueReceiver<InferOutput<M, unknown>>(label, url, sender, parts.messageSchema, parts.logger)
    return { send: sendMessage(parts), sendBatch, receive, listen }
  })
}

/**
 * A dependency on an SQS queue that a handler only sends to, one message at a time: a
 * `queue()` with `send` alone, so a bundle carries neither the batch nor the receiving
 * code. Registered, checked and sent to exactly as by `queue()`.
 *
 * @example
 * ```ts
 * import { z } from 'zod'
 * const jobs = queueSender('prod.scheduler->jobs-queue', { message: z.object({ jobId: z.string() }) })
 * const resolved = await resolver.resolve(jobs)
 * await resolved.send({ jobId: '42' })
 * ```
 */
// Declaring a dependency does nothing else: a bundler may drop one that is never used.
/* @__NO_SIDE_EFFECTS__ */
export function queueSender<M extends Schema | undefined = undefined, A extends Schema | undefined = undefined>(
  address: AddressInput,
  options: QueueOptions<M, A> = {},
): Dependency<QueueSender<InferInput<M, unknown>, InferOutput<A, RawAttributes>>> {
  return defineQueue(address, options, (parts) => ({ send: sendMessage(parts) }))
}

/** What every call of a bound queue is built from. */
interface QueueParts<Input, Body> {
  readonly label: string
  readonly url: string
  readonly fifo: boolean
  readonly sender: () => Promise<Sender<typeof SqsSdk, SQSClient>>
  /** Validates and encodes one message; `what` names it in errors. */
  readonly prepare: (message: Input, options: SendOptions, what: string) => Promise<string>
  readonly messageSchema: Schema<Body> | undefined
  readonly logger: Logger
}

/**
 * A `queue` dependency whose bound value has the target's `url`, `arn` and `fifo` and the
 * calls `calls` builds: each factory names its calls here, so a bundle holds only their code.
 */
function defineQueue<M extends Schema | undefined, A extends Schema | undefined, Calls extends object>(
  address: AddressInput,
  options: QueueOptions<M, A>,
  calls: (parts: QueueParts<InferInput<M, unknown>, InferOutput<M, unknown>>) => Calls,
): Dependency<
  ResolvedInstance<InferOutput<A, RawAttributes>> & {
    readonly url: string
    readonly arn: string | undefined
    readonly fifo: boolean
  } & Calls
> {
  type Input = InferInput<M, unknown>
  type Body = InferOutput<M, unknown>
  const messageSchema = options.message as Schema<Body> | undefined
  const attributesSchema = options.attributes as Schema<InferOutput<A, RawAttributes>> | undefined

  return defineDependency(
    'queue',
    address,
    options,
    (registered, context) => {
      const { label, logger, policy } = context
      checkType(label, registered, 'sqs')
      const given = registered.attributes.url ? requireAttribute(label, registered, 'url', 'for an sqs target') : undefined
      const arn = registered.attributes.arn ? requireArn(label, registered, 'sqs', policy) : undefined
      const pool = clientPool(context.clients, context.awsClientCapture)
      const located = andThen(sqsEndpoint(pool, context.clients, arn?.region ?? regionOfQueueUrl(given)), (customOrigin) =>
        locateQueue({ label, instanceId: registered.instanceId }, { url: given, arn }, policy, customOrigin),
      )
      return andThen(located, (target) => bindResolved(registered, label, attributesSchema, () => build(target)))

      function build(target: QueueTarget) {
        const { url } = target
        const fifo = target.name.endsWith('.fifo')

        // The client is made on the first call, after its messages passed every check (the SDK module may be loaded already: see warmDependency).
        const sender = lazySender(
          { label, address: context.address, kind: 'queue' },
          loadSqsSdk,
          pool.client('sqs', target.region, context.clients?.sqs, loadSqsClient),
        )

        const prepare = async (message: Input, sendOptions: SendOptions, what: string): Promise<string> => {
          if (fifo && (sendOptions.groupId === undefined || sendOptions.groupId === '')) {
            throw new MissingGroupIdError(label, what === 'message' ? 'queue' : `queue (${what})`)
          }
          const value = await validate(label, what, messageSchema, message)
          return encodeJson(label, what, value, SQS_MESSAGE, attributesSize(sendOptions.attributes))
        }

        return {
          url,
          arn: target.arn,
          fifo,
          ...retryOnGone(context, url, calls({ label, url, fifo, sender, prepare, messageSchema, logger })),
        }
      }
    },
    undefined,
    loadSqsSdk,
  )
}

/** `send` of a bound queue. */
function sendMessage<Input>({ label, url, sender, prepare }: QueueParts<Input, unknown>) {
  return async (message: Input, sendOptions: SendOptions = {}): Promise<SendResult> => {
    const body = await prepare(message, sendOptions, 'message')
    const { sdk, client } = await sender()
    const out = await client
      .send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: body, ...sendFields(sendOptions) }))
      .catch(refused(label, 'SQS', 'SendMessage', url))
    return out.SequenceNumber === undefined
      ? { messageId: out.MessageId ?? '' }
      : { messageId: out.MessageId ?? '', sequenceNumber: out.SequenceNumber }
  }
}
