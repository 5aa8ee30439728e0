import { type BatchFailure, BatchSendError } from '../errors.js'
import { isTransient } from '../transient.js'

/** What a batch call answers: `messageIds[i]` is the id of the i-th message handed in. */
export interface BatchResult {
  /** The id the service gave each message, in the order the messages were handed in. */
  readonly messageIds: readonly string[]
}

/** The limits of one batch request (`LIMITS.sqsBatchEntries` / `LIMITS.sqsBatch`, and the SNS ones). */
export interface BatchLimits {
  readonly entries: number
  readonly bytes: number
}

/** One message checked and encoded: the service's entry (without its id) and its size against the request limit. */
export interface PreparedEntry<E> {
  readonly entry: E
  readonly size: number
  /**
   * The message group of the entry (SQS and SNS `MessageGroupId`), read only when the
   * batch is `ordered`: order is kept within a group, and a message lost for good holds
   * back the later ones of its group only. Entries without one form one group together,
   * so an ordered batch whose kind gives no groups is kept in order as a whole.
   */
  readonly group?: string | undefined
}

/** One entry of a request, with the id the service's answer refers to it by. */
export interface BatchRequestEntry<E> {
  readonly id: string
  readonly entry: E
}

/** The service's answer to one request, by entry id. */
export interface BatchAnswer {
  readonly successful: readonly { readonly id: string; readonly messageId: string }[]
  readonly failed: readonly { readonly id: string; readonly code: string; readonly message: string; readonly senderFault: boolean }[]
}

/** What a batch sender needs from its kind: the limits, how to prepare one message and how to send one request. */
export interface BatchSpec<M, O, E> {
  /** The address, as text, for errors. */
  readonly label: string
  readonly limits: BatchLimits
  /**
   * FIFO: requests go one after the other, each finished (retries included) before the
   * next, and the order of each message group (`PreparedEntry.group`) is kept: see
   * {@link batchSender}.
   */
  readonly ordered: boolean
  /** Validates and encodes one message; throws an error naming it by `what` (`message #<index>`). */
  prepare(message: M, options: O | undefined, what: string): PreparedEntry<E> | Promise<PreparedEntry<E>>
  /** Sends one request (at most `limits.entries` entries, `limits.bytes` bytes). A throw counts for every entry. */
  send(entries: readonly BatchRequestEntry<E>[]): Promise<BatchAnswer>
}

/** The shape of an SQS SendMessageBatch and an SNS PublishBatch answer. */
export interface AwsBatchOutput {
  readonly Successful?: readonly { readonly Id?: string | undefined; readonly MessageId?: string | undefined }[] | undefined
  readonly Failed?:
    | readonly {
        readonly Id?: string | undefined
        readonly Code?: string | undefined
        readonly Message?: string | undefined
        readonly SenderFault?: boolean | undefined
      }[]
    | undefined
}

const MAX_RETRIES = 3
/** First retry delay, doubled for each further retry. Small: a handler is waiting, and the SDK already retried the request. */
const RETRY_BASE_MS = 50
/** Failed entries worth sending again even when the service blames the sender: throttling and server-side codes of SQS and SNS. */
const RETRIABLE_CODES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'RequestThrottled',
  'ServiceUnavailable',
  'InternalError',
  'InternalErrorException',
  'InternalFailure',
  'KmsThrottled',
  'KMSThrottlingException',
])

interface Item<E> extends PreparedEntry<E> {
  readonly index: number
  readonly id: string
}

/** An item to send, with the failure of its last attempt when it is a retry. */
interface Pending<E> {
  readonly item: Item<E>
  readonly failure?: Omit<BatchFailure, 'index'>
}

/** The group of the entries that name none (kept apart from every group id a user can write). */
const UNGROUPED = Symbol('ungrouped')

/**
 * The order of the message groups of one ordered batch: per group, the highest index
 * accepted and the lowest index lost for good. An item may be sent only when it lands
 * behind everything of its group sent so far and nothing before it in its group was lost.
 */
function fifoOrder() {
  const highestAccepted = new Map<string | typeof UNGROUPED, number>()
  const lowestLost = new Map<string | typeof UNGROUPED, number>()
  return {
    accepted(item: Item<unknown>): void {
      const group = item.group ?? UNGROUPED
      if ((highestAccepted.get(group) ?? -1) < item.index) highestAccepted.set(group, item.index)
    },
    lost(item: Item<unknown>): void {
      const group = item.group ?? UNGROUPED
      if ((lowestLost.get(group) ?? Number.POSITIVE_INFINITY) > item.index) lowestLost.set(group, item.index)
    },
    /** Why the item must not be sent now, or undefined when it may. */
    hold({ item, failure }: Pending<unknown>): Omit<BatchFailure, 'index'> | undefined {
      const group = item.group ?? UNGROUPED
      const after = highestAccepted.get(group)
      const before = lowestLost.get(group)
      const last = failure === undefined ? '' : ` (last attempt: ${failure.code})`
      if (after !== undefined && after > item.index) {
        return {
          code: 'OutOfOrder',
          message: `not sent again: message #${after} of its FIFO group was accepted meanwhile, and a retry would arrive behind it${last}`,
          senderFault: false,
        }
      }
      if (before !== undefined && before < item.index) {
        return {
          code: 'NotSent',
          message: `not sent: message #${before} of its FIFO group was not sent, and this one must not overtake it${last}`,
          senderFault: false,
        }
      }
      return undefined
    },
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Maps an SQS SendMessageBatch or SNS PublishBatch answer (same shape) to a `BatchAnswer`.
 *
 * @example
 * ```ts
 * const send = async (entries: readonly BatchRequestEntry<Omit<PublishBatchRequestEntry, 'Id'>>[]) =>
 *   toBatchAnswer(await client.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: entries.map(({ id, entry }) => ({ Id: id, ...entry })) })))
 * ```
 */
export function toBatchAnswer(output: AwsBatchOutput): BatchAnswer {
  return {
    successful: (output.Successful ?? []).map((success) => ({ id: success.Id ?? '', messageId: success.MessageId ?? '' })),
    failed: (output.Failed ?? []).map((failure) => ({
      id: failure.Id ?? '',
      code: failure.Code ?? 'Unknown',
      message: failure.Message ?? '',
      senderFault: failure.SenderFault ?? false,
    })),
  }
}

/** Groups items into requests within both limits, keeping their order. */
function chunk<E>(items: readonly Item<E>[], limits: BatchLimits): Item<E>[][] {
  const chunks: Item<E>[][] = []
  let current: Item<E>[] = []
  let bytes = 0
  for (const item of items) {
    if (current.length === limits.entries || (current.length > 0 && bytes + item.size > limits.bytes)) {
      chunks.push(current)
      current = []
      bytes = 0
    }
    current.push(item)
    bytes += item.size
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

function describeError(error: unknown): Omit<BatchFailure, 'index'> {
  if (!(error instanceof Error)) return { code: 'Error', message: String(error), senderFault: false }
  return { code: error.name, message: error.message, senderFault: (error as { $fault?: string }).$fault === 'client' }
}

/** Checks every message before anything is sent; the error names the lowest bad index. */
async function prepareAll<M, O, E>(
  messages: readonly M[],
  options: O | ((message: M, index: number) => O) | undefined,
  spec: BatchSpec<M, O, E>,
): Promise<Item<E>[]> {
  const settled = await Promise.allSettled(
    messages.map(async (message, index): Promise<Item<E>> => {
      // O is an options object, never a function itself.
      const own = typeof options === 'function' ? (options as (message: M, index: number) => O)(message, index) : options
      const { entry, size, group } = await spec.prepare(message, own, `message #${index}`)
      return { index, id: String(index), entry, size, group }
    }),
  )
  return settled.map((outcome) => {
    if (outcome.status === 'rejected') throw outcome.reason
    return outcome.value
  })
}

/**
 * Builds the `sendBatch` / `publishBatch` of a kind. The function it returns checks and
 * encodes every message first (one bad message throws, naming `message #<index>`, and
 * nothing is sent), sends requests within `limits` (in parallel, or one after the other
 * when `ordered`), and retries up to 3 times with backoff (50, 100, 200 ms) the entries
 * that may pass: those the service does not blame on the sender or that failed with a
 * throttling or server-side code, and those of a request that threw a transient error.
 * Every message is either confirmed or named in the `BatchSendError`, with the service's
 * code or one of these:
 *
 * - `NoResult`: the service neither confirmed nor refused the entry. It may have been
 *   sent, so it is not sent again.
 * - `OutOfOrder` (ordered only): the entry failed, and a later message of its group was
 *   accepted meanwhile (a FIFO service may accept the rest of a request around a failed
 *   entry). A retry would arrive behind that message, so it is not sent again.
 * - `NotSent` (ordered only): an earlier message of its group was lost for good (any
 *   failure above), so this one is not sent (or not sent again) rather than overtake it.
 *
 * When `ordered`, the order is kept per group (`PreparedEntry.group`; entries without
 * one are one group together): the messages of other groups are still sent and retried.
 *
 * @example
 * ```ts
 * const publishBatch = batchSender<unknown, PublishOptions, Omit<PublishBatchRequestEntry, 'Id'>>({
 *   label,
 *   limits: { entries: LIMITS.snsBatchEntries, bytes: LIMITS.snsBatch },
 *   ordered: fifo,
 *   prepare: (message, options = {}, what) => {
 *     const text = encodeJson(label, what, message, LIMITS.snsMessage)
 *     return { entry: { Message: text, MessageGroupId: options.groupId }, size: byteLength(text), group: options.groupId }
 *   },
 *   send: async (entries) =>
 *     toBatchAnswer(await client.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: entries.map(({ id, entry }) => ({ Id: id, ...entry })) }))),
 * })
 * const { messageIds } = await publishBatch(messages, (message, index) => ({ groupId: `g${index % 4}` }))
 * ```
 */
export function batchSender<M, O, E>(
  spec: BatchSpec<M, O, E>,
): (messages: readonly M[], options?: O | ((message: M, index: number) => O)) => Promise<BatchResult> {
  const { label, limits, ordered, send } = spec
  return async (messages, options) => {
    const items = await prepareAll(messages, options, spec)
    const messageIds: string[] = new Array(items.length)
    const failures: BatchFailure[] = []
    const order = ordered ? fifoOrder() : undefined

    const accept = (item: Item<E>, messageId: string) => {
      messageIds[item.index] = messageId
      order?.accepted(item)
    }
    const fail = (item: Item<E>, failure: Omit<BatchFailure, 'index'>) => {
      failures.push({ index: item.index, ...failure })
      order?.lost(item)
    }
    /** Ordered: reports what may not be sent now, in index order, so a loss holds back the later ones of its group. */
    const sendable = (pending: readonly Pending<E>[]): Pending<E>[] =>
      pending.filter((one) => {
        const held = order?.hold(one)
        if (held) fail(one.item, held)
        return held === undefined
      })

    /** Sends one chunk and its retries; records each item as sent (with its id) or failed. */
    const sendChunk = async (chunkItems: readonly Item<E>[]): Promise<void> => {
      let pending: Pending<E>[] = sendable(chunkItems.map((item) => ({ item })))
      for (let attempt = 0; pending.length > 0; attempt += 1) {
        if (attempt > 0) await sleep(RETRY_BASE_MS * 2 ** (attempt - 1))
        const retry: Pending<E>[] = []
        const settle = (item: Item<E>, failure: Omit<BatchFailure, 'index'>, retriable: boolean) => {
          if (retriable && attempt < MAX_RETRIES) retry.push({ item, failure })
          else fail(item, failure)
        }
        const requested = pending.map(({ item }) => item)
        let answer: BatchAnswer | undefined
        try {
          answer = await send(requested)
        } catch (error) {
          for (const item of requested) settle(item, describeError(error), isTransient(error))
        }
        if (answer) {
          const byId = new Map(requested.map((item) => [item.id, item]))
          for (const success of answer.successful) {
            const item = byId.get(success.id)
            if (!item) continue
            byId.delete(success.id)
            accept(item, success.messageId)
          }
          for (const { id, ...failure } of answer.failed) {
            const item = byId.get(id)
            if (!item) continue
            byId.delete(id)
            settle(item, failure, !failure.senderFault || RETRIABLE_CODES.has(failure.code))
          }
          // Neither confirmed nor refused: it may have been sent, so resending could duplicate it.
          for (const item of byId.values()) {
            settle(item, { code: 'NoResult', message: 'the service returned no result for this entry', senderFault: false }, false)
          }
        }
        // Retries go in their original order (the service lists failures in any order).
        pending = sendable(retry.sort((a, b) => a.item.index - b.item.index))
      }
    }

    const chunks = chunk(items, limits)
    if (ordered) for (const one of chunks) await sendChunk(one)
    else await Promise.all(chunks.map(sendChunk))
    if (failures.length > 0) {
      const sent = messageIds.flatMap((id, index) => (id === undefined ? [] : [index]))
      throw new BatchSendError(
        label,
        failures.sort((a, b) => a.index - b.index),
        sent,
      )
    }
    return Object.freeze({ messageIds: Object.freeze(messageIds) })
  }
}
