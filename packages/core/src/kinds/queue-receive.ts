import type * as SqsSdk from '@aws-sdk/client-sqs'
import type { Message, SQSClient } from '@aws-sdk/client-sqs'
import type { Sender } from '../calls/clients.js'
import { validate } from '../calls/json.js'
import { SQS_BATCH_ENTRIES } from '../calls/limits.js'
import { fromSqsAttributes } from '../calls/message-attributes.js'
import { refused } from '../calls/refused.js'
import { describeError } from '../errors.js'
import type { Logger } from '../logger.js'
import { describeSize } from '../redact.js'
import type { Schema } from '../schema.js'
import type { ListenOptions, ReceivedMessage, ReceiveOptions } from './received-message.js'

const LISTEN_WAIT_SECONDS = 20
/** Messages whose ack() or release() was called: listen() leaves them alone. */
const decided = new WeakSet<object>()
const STOPPED: unique symbol = Symbol('stopped')

function clampMax(max: number | undefined): number {
  if (max === undefined || !Number.isFinite(max)) return SQS_BATCH_ENTRIES
  return Math.min(Math.max(Math.trunc(max), 1), SQS_BATCH_ENTRIES)
}

/**
 * The receiving half of a bound queue: `receive` and `listen`, with acknowledgement.
 *
 * @internal
 */
export function queueReceiver<Body>(
  label: string,
  url: string,
  sender: () => Promise<Sender<typeof SqsSdk, SQSClient>>,
  messageSchema: Schema<Body> | undefined,
  logger: Logger,
): {
  receive(options?: ReceiveOptions): Promise<ReceivedMessage<Body>[]>
  listen(options: ListenOptions): AsyncGenerator<ReceivedMessage<Body>, void, undefined>
} {
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
          return client
            .send(new sdk.DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: receiptHandle }))
            .catch(refused(label, 'SQS', 'DeleteMessage', url))
        }),
      release: () =>
        settle(async () => {
          const { sdk, client } = await sender()
          return client
            .send(new sdk.ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: receiptHandle, VisibilityTimeout: 0 }))
            .catch(refused(label, 'SQS', 'ChangeMessageVisibility', url))
        }),
    })
    return message
  }

  /** The message, or `undefined` (with a warning) when its body is unreadable: it then stays on the queue. */
  const read = async (raw: Message): Promise<ReceivedMessage<Body> | undefined> => {
    let parsed: unknown
    try {
      parsed = JSON.parse(raw.Body ?? '')
    } catch {
      // The parser's message quotes the body, which may hold anything: only its size is told.
      leave(raw, `body is not JSON (${describeSize(raw.Body ?? '')})`)
      return undefined
    }
    try {
      return toMessage(raw, await validate(label, 'message', messageSchema, parsed))
    } catch (error) {
      leave(raw, (error as Error).message)
      return undefined
    }
  }
  // Not deleted: the queue's redrive policy moves it to its dead-letter queue.
  const leave = (raw: Message, reason: string) =>
    logger.warn('cloudmap-middy: left a message on its queue', { address: label, messageId: raw.MessageId, reason })

  const receive = async (receiveOptions: ReceiveOptions = {}): Promise<ReceivedMessage<Body>[]> => {
    const { waitSeconds, visibilityTimeout, signal } = receiveOptions
    const { sdk, client } = await sender()
    const out = await client
      .send(
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
      .catch(refused(label, 'SQS', 'ReceiveMessage', url))
    const messages = await Promise.all((out.Messages ?? []).map(read))
    return messages.filter((message) => message !== undefined)
  }

  /** Releases messages that will not be handed out, so none waits for its visibility timeout. */
  const releaseAll = async (messages: readonly ReceivedMessage<Body>[]) => {
    const outcomes = await Promise.allSettled(messages.map((message) => message.release()))
    outcomes.forEach((outcome, i) => {
      if (outcome.status === 'rejected') {
        logger.warn('cloudmap-middy: could not release a message', {
          address: label,
          messageId: messages[i]?.messageId,
          error: describeError(outcome.reason),
        })
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

  return { receive, listen }
}
