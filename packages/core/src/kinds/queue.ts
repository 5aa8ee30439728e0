import type { Message, SendMessageBatchRequestEntry } from '@aws-sdk/client-sqs'
import type { AddressInput } from '../address/address.js'
import { parseQueueUrl } from '../calls/arn.js'
import { type BatchResult, batchSender, toBatchAnswer } from '../calls/batch.js'
import { lazySender, loadSqsSdk } from '../calls/clients.js'
import { byteLength, encodeJson, validate } from '../calls/json.js'
import { LIMITS } from '../calls/limits.js'
import { attributesSize, fromSqsAttributes, type MessageAttributes, toSqsAttributes } from '../calls/message-attributes.js'
import { checkAllowed, checkType, requireArn } from '../calls/target.js'
import {
  andThen,
  type BindContext,
  type Dependency,
  type DiscoveryOptions,
  defineDependency,
  parseAttributes,
} from '../dependency/dependency.js'
import { AttributeValidationError, describeError, MissingGroupIdError } from '../errors.js'
import type { RegisteredInstance } from '../registry/types.js'
import type { InferInput, InferOutput, Schema } from '../schema.js'
import type { RawAttributes } from './instance.js'

/** Options of `queue()`: schemas for the message body and the instance attributes, and discovery options. */
export interface QueueOptions<M extends Schema | undefined, A extends Schema | undefined> extends DiscoveryOptions {
  /** Validates every message sent (its input type) and every message received (its output type). */
  readonly message?: M
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
  readonly messageId: string
  /** FIFO queues only. */
  readonly sequenceNumber?: string
}

/** Kept here too for imports from this module. */
export type { BatchResult } from '../calls/batch.js'

/** Options of `receive` (and `listen`). */
export interface ReceiveOptions {
  /** Messages per request, 1 to 10. Default 10. */
  readonly max?: number
  /** Long-polling wait (`WaitTimeSeconds`, 0 to 20). Default: the queue's setting for `receive`, 20 for `listen`. */
  readonly waitSeconds?: number
  /** Overrides the queue's visibility timeout for the messages received. */
  readonly visibilityTimeout?: number
  /** Aborts the pending request. */
  readonly signal?: AbortSignal
}

/** Options of `listen`: a signal is required, as it is the only way to stop listening. */
export interface ListenOptions extends ReceiveOptions {
  readonly signal: AbortSignal
}

/**
 * A message taken from the queue, its body parsed and validated.
 *
 * @example
 * ```ts
 * for (const message of await jobs.receive({ max: 5 })) {
 *   if (await tryRun(message.body)) await message.ack()
 *   else await message.release() // another consumer may take it now
 * }
 * ```
 */
export interface ReceivedMessage<Body> {
  readonly messageId: string
  readonly receiptHandle: string
  readonly body: Body
  /** The message attributes (numbers as numbers, binary as `Uint8Array`). */
  readonly attributes: Readonly<Record<string, string | number | Uint8Array>>
  /** How many times the message was received, this time included (`ApproximateReceiveCount`). */
  readonly receiveCount: number
  /** FIFO queues only. */
  readonly groupId?: string
  /** Deletes the message from the queue. A second call (or a call after `release`) does nothing. */
  ack(): Promise<void>
  /** Puts the message back on the queue now (visibility timeout 0). A second call (or a call after `ack`) does nothing. */
  release(): Promise<void>
}

/**
 * A resolved queue: its URL and the calls that send to it and receive from it.
 *
 * @example
 * ```ts
 * const jobs = await resolver.resolve(queue('prod.scheduler->jobs-queue.fifo', { message: Job }))
 * await jobs.send(job, { groupId: job.tenant, attributes: { priority: 5 } })
 * ```
 */
export interface Queue<Message, Body, Attributes> {
  readonly instanceId: string
  /** The address it was resolved from, as text. */
  readonly address: string
  readonly attributes: Attributes
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

const LISTEN_WAIT_SECONDS = 20
/** Messages whose ack() or release() was called: listen() leaves them alone. */
const decided = new WeakSet<object>()
const STOPPED: unique symbol = Symbol('stopped')

interface Target {
  readonly url: string
  readonly arn: string | undefined
  readonly region: string | undefined
  readonly name: string
}

/** The queue URL (given, or derived from the ARN), checked against the target policy. */
function locate(label: string, registered: RegisteredInstance, context: BindContext): Target {
  const given = registered.attributes.url || undefined
  if (given !== undefined && !URL.canParse(given)) {
    throw new AttributeValidationError(label, registered.instanceId, [{ path: ['url'], message: `"${given}" is not a URL` }])
  }
  const fromUrl = given === undefined ? {} : parseQueueUrl(given)
  if (registered.attributes.arn) {
    const arn = requireArn(label, registered, 'sqs', context.policy)
    const domain = arn.partition === 'aws-cn' ? 'amazonaws.com.cn' : 'amazonaws.com'
    return {
      url: given ?? `https://sqs.${arn.region}.${domain}/${arn.account}/${arn.resource}`,
      arn: arn.arn,
      region: arn.region || fromUrl.region,
      name: arn.resource,
    }
  }
  if (given === undefined) {
    throw new AttributeValidationError(label, registered.instanceId, [
      { path: ['url'], message: 'required for an sqs target (or an "arn" to derive it from)' },
    ])
  }
  checkAllowed(label, registered.instanceId, given, fromUrl, context.policy)
  return { url: given, arn: undefined, region: fromUrl.region, name: fromUrl.name ?? given }
}

/** The SQS fields of the per-message options; absent ones are left out. */
function sendFields(options: SendOptions) {
  const { groupId, deduplicationId, delaySeconds, attributes } = options
  return {
    ...(groupId === undefined ? {} : { MessageGroupId: groupId }),
    ...(deduplicationId === undefined ? {} : { MessageDeduplicationId: deduplicationId }),
    ...(delaySeconds === undefined ? {} : { DelaySeconds: delaySeconds }),
    ...(attributes === undefined || Object.keys(attributes).length === 0 ? {} : { MessageAttributes: toSqsAttributes(attributes) }),
  }
}

function clampMax(max: number | undefined): number {
  if (max === undefined || !Number.isFinite(max)) return LIMITS.sqsBatchEntries
  return Math.min(Math.max(Math.trunc(max), 1), LIMITS.sqsBatchEntries)
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
export function queue<M extends Schema | undefined = undefined, A extends Schema | undefined = undefined>(
  address: AddressInput,
  options: QueueOptions<M, A> = {},
): Dependency<Queue<InferInput<M, unknown>, InferOutput<M, unknown>, InferOutput<A, RawAttributes>>> {
  type Input = InferInput<M, unknown>
  type Body = InferOutput<M, unknown>
  const messageSchema = options.message as Schema<Body> | undefined
  const attributesSchema = options.attributes as Schema<InferOutput<A, RawAttributes>> | undefined

  return defineDependency('queue', address, options, (registered, context) => {
    const { label, logger } = context
    checkType(label, registered, 'sqs')
    const target = locate(label, registered, context)
    const { url } = target
    const fifo = target.name.endsWith('.fifo')

    return andThen(parseAttributes(attributesSchema, registered, label), (attributes) => {
      // The SDK is loaded on the first call, after its messages passed every check.
      const sender = lazySender(loadSqsSdk, context.clients.sqs(target.region))

      /** Validates and encodes one message; `what` names it in errors. */
      const prepare = async (message: Input, sendOptions: SendOptions, what: string): Promise<string> => {
        if (fifo && (sendOptions.groupId === undefined || sendOptions.groupId === '')) {
          throw new MissingGroupIdError(label, what === 'message' ? 'queue' : `queue (${what})`)
        }
        const value = await validate(label, what, messageSchema, message)
        return encodeJson(label, what, value, LIMITS.sqsMessage, attributesSize(sendOptions.attributes))
      }

      const send = async (message: Input, sendOptions: SendOptions = {}): Promise<SendResult> => {
        const body = await prepare(message, sendOptions, 'message')
        const { sdk, client } = await sender()
        const out = await client.send(new sdk.SendMessageCommand({ QueueUrl: url, MessageBody: body, ...sendFields(sendOptions) }))
        return out.SequenceNumber === undefined
          ? { messageId: out.MessageId ?? '' }
          : { messageId: out.MessageId ?? '', sequenceNumber: out.SequenceNumber }
      }

      const sendBatch = batchSender<Input, SendOptions, Omit<SendMessageBatchRequestEntry, 'Id'>>({
        label,
        limits: { entries: LIMITS.sqsBatchEntries, bytes: LIMITS.sqsBatch },
        ordered: fifo,
        prepare: async (message, sendOptions = {}, what) => {
          const body = await prepare(message, sendOptions, what)
          return {
            entry: { MessageBody: body, ...sendFields(sendOptions) },
            size: byteLength(body) + attributesSize(sendOptions.attributes),
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

      const toMessage = (raw: Message, body: Body): ReceivedMessage<Body> => {
        const receiptHandle = raw.ReceiptHandle ?? ''
        // One ack or release per message; a failed one may be tried again.
        let settling: Promise<void> | undefined
        const settle = (call: () => Promise<unknown>) => {
          // The caller decided this message's fate: listen() must not ack it on its own, even if this call fails.
          decided.add(message)
          settling ??= call().then(
            () => undefined,
            (error: unknown) => {
              settling = undefined
              throw error
            },
          )
          return settling
        }
        const groupId = raw.Attributes?.MessageGroupId
        const receiveCount = Number(raw.Attributes?.ApproximateReceiveCount ?? 1)
        const message: ReceivedMessage<Body> = Object.freeze({
          messageId: raw.MessageId ?? '',
          receiptHandle,
          body,
          attributes: Object.freeze(fromSqsAttributes(raw.MessageAttributes)),
          receiveCount: Number.isFinite(receiveCount) ? receiveCount : 1,
          ...(groupId === undefined ? {} : { groupId }),
          ack: () =>
            settle(async () => {
              const { sdk, client } = await sender()
              return client.send(new sdk.DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: receiptHandle }))
            }),
          release: () =>
            settle(async () => {
              const { sdk, client } = await sender()
              return client.send(
                new sdk.ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: receiptHandle, VisibilityTimeout: 0 }),
              )
            }),
        })
        return message
      }

      /** The message, or `undefined` (with a warning) when its body is unreadable: it then stays on the queue. */
      const read = async (raw: Message): Promise<ReceivedMessage<Body> | undefined> => {
        let parsed: unknown
        try {
          parsed = JSON.parse(raw.Body ?? '')
        } catch (error) {
          leave(raw, `body is not JSON (${(error as Error).message})`)
          return undefined
        }
        try {
          return toMessage(raw, await validate(label, 'message', messageSchema, parsed))
        } catch (error) {
          leave(raw, (error as Error).message)
          return undefined
        }
      }
      const leave = (raw: Message, reason: string) =>
        logger.warn(
          `cloudmap-middy: left message "${raw.MessageId}" on "${label}" (not deleted; the queue's redrive policy moves it to its dead-letter queue): ${reason}`,
        )

      const receive = async (receiveOptions: ReceiveOptions = {}): Promise<ReceivedMessage<Body>[]> => {
        const { waitSeconds, visibilityTimeout, signal } = receiveOptions
        const { sdk, client } = await sender()
        const out = await client.send(
          new sdk.ReceiveMessageCommand({
            QueueUrl: url,
            MaxNumberOfMessages: clampMax(receiveOptions.max),
            ...(waitSeconds === undefined ? {} : { WaitTimeSeconds: waitSeconds }),
            ...(visibilityTimeout === undefined ? {} : { VisibilityTimeout: visibilityTimeout }),
            MessageAttributeNames: ['All'],
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
          }),
          signal === undefined ? {} : { abortSignal: signal },
        )
        const messages = await Promise.all((out.Messages ?? []).map(read))
        return messages.filter((message) => message !== undefined)
      }

      /** Releases messages that will not be handed out, so none waits for its visibility timeout. */
      const releaseAll = async (messages: readonly ReceivedMessage<Body>[]) => {
        const outcomes = await Promise.allSettled(messages.map((message) => message.release()))
        outcomes.forEach((outcome, i) => {
          if (outcome.status === 'rejected') {
            logger.warn(
              `cloudmap-middy: could not release message "${messages[i]?.messageId}" of "${label}": ${describeError(outcome.reason)}`,
            )
          }
        })
      }

      async function* listen(listenOptions: ListenOptions): AsyncGenerator<ReceivedMessage<Body>, void, undefined> {
        const { signal } = listenOptions
        const receiveOptions = { ...listenOptions, waitSeconds: listenOptions.waitSeconds ?? LISTEN_WAIT_SECONDS }
        // Stops waiting even when a request does not honour its abort signal.
        let onAbort!: () => void
        const stopped = new Promise<typeof STOPPED>((resolve) => {
          onAbort = () => resolve(STOPPED)
        })
        signal.addEventListener('abort', onAbort, { once: true })
        let buffered: ReceivedMessage<Body>[] = []
        try {
          while (!signal.aborted) {
            const pending = receive(receiveOptions)
            let received: ReceivedMessage<Body>[] | typeof STOPPED
            try {
              received = await Promise.race([pending, stopped])
            } catch (error) {
              if (signal.aborted) return
              throw error
            }
            if (received === STOPPED) {
              // A response that arrives after the abort is handed back to the queue.
              pending.then(releaseAll, () => undefined)
              return
            }
            buffered = received
            while (buffered.length > 0 && !signal.aborted) {
              const message = buffered.shift() as ReceivedMessage<Body>
              yield message
              // The loop asked for the next message: the body completed, so this one is done
              // (unless the body already acked or released it, successfully or not).
              if (!decided.has(message)) await message.ack()
            }
          }
        } finally {
          signal.removeEventListener('abort', onAbort)
          if (buffered.length > 0) await releaseAll(buffered)
        }
      }

      return Object.freeze({
        instanceId: registered.instanceId,
        address: label,
        attributes,
        url,
        arn: target.arn,
        fifo,
        send,
        sendBatch,
        receive,
        listen,
      })
    })
  })
}
