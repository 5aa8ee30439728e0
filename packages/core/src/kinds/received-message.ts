// The public types of receiving from a queue, apart from the code that receives (queue-receive.ts),
// whose declarations refer to @aws-sdk/client-sqs: an app without that client still type-checks.
// Through the namespace, so TypeDoc sees `ReceivedAttributes` itself (not an import alias) and inlines it.
import type * as AttributeTypes from '../calls/message-attributes.js'

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
  /** The id SQS gave the message. */
  readonly messageId: string
  /** The handle of this receipt, which `ack()` and `release()` use. */
  readonly receiptHandle: string
  /** The message body, parsed from JSON and validated by the `message` schema (its output type). */
  readonly body: Body
  /** The message attributes (numbers as numbers, binary as `Uint8Array`). */
  readonly attributes: Readonly<AttributeTypes.ReceivedAttributes>
  /** How many times the message was received, this time included (`ApproximateReceiveCount`). */
  readonly receiveCount: number
  /** FIFO queues only. */
  readonly groupId?: string
  /** Deletes the message from the queue. A second call (or a call after `release`) does nothing. */
  ack(): Promise<void>
  /** Puts the message back on the queue now (visibility timeout 0). A second call (or a call after `ack`) does nothing. */
  release(): Promise<void>
}
