import { type BatchFailure, BatchSendError } from '../errors.js'
import { isTransient, retriedBySdk } from '../transient.js'

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
   * FIFO: the order of each message group (`PreparedEntry.group`) is kept whatever fails
   * or goes unanswered, at the cost of one entry per group and request: see {@link batchSender}.
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

type Failure = Omit<BatchFailure, 'index'>

/**
 * What one request made of one entry: accepted with its id, or failed, whether sending it
 * again may pass, and whether the entry may have arrived all the same (no answer about it).
 */
type Outcome = { readonly messageId: string } | { readonly failure: Failure; readonly retriable: boolean; readonly unanswered: boolean }

/** The group of the entries that name none (kept apart from every group id a user can write). */
const UNGROUPED = Symbol('ungrouped')

const NO_RESULT: Failure = { code: 'NoResult', message: 'the service returned no result for this entry', senderFault: false }

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

function describeError(error: unknown): Failure {
  if (!(error instanceof Error)) return { code: 'Error', message: String(error), senderFault: false }
  return { code: error.name, message: error.message, senderFault: (error as { $fault?: string }).$fault === 'client' }
}

/**
 * False when the service refused the request (a client fault, a 4xx status) the first time the
 * SDK sent it: it took none of it. True otherwise (a network error, a timeout, a server error,
 * or a refusal after SDK retries): an answer is lost, and the service may have taken some
 * entries, or all.
 */
function mayHaveArrived(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || retriedBySdk(error)) return true
  const { $fault, $metadata } = error as { $fault?: string; $metadata?: { httpStatusCode?: number } }
  const status = $metadata?.httpStatusCode
  return $fault !== 'client' && !(status !== undefined && status >= 400 && status < 500)
}

/**
 * Sends one request and says what came of each entry, in the order of `items`. A request
 * that throws counts for every entry, retriable when the error is transient; an entry the
 * answer does not mention is `NoResult`, not retriable (it may have been sent).
 */
async function request<E>(
  send: (entries: readonly BatchRequestEntry<E>[]) => Promise<BatchAnswer>,
  items: readonly Item<E>[],
): Promise<Outcome[]> {
  let answer: BatchAnswer
  try {
    answer = await send(items)
  } catch (error) {
    const outcome = { failure: describeError(error), retriable: isTransient(error), unanswered: mayHaveArrived(error) }
    return items.map(() => outcome)
  }
  const accepted = new Map<string, string>()
  for (const { id, messageId } of answer.successful) if (!accepted.has(id)) accepted.set(id, messageId)
  const failed = new Map<string, Failure>()
  for (const { id, ...failure } of answer.failed) if (!failed.has(id)) failed.set(id, failure)
  return items.map((item): Outcome => {
    const messageId = accepted.get(item.id)
    if (messageId !== undefined) return { messageId }
    const failure = failed.get(item.id)
    if (failure === undefined) return { failure: NO_RESULT, retriable: false, unanswered: true }
    return { failure, retriable: !failure.senderFault || RETRIABLE_CODES.has(failure.code), unanswered: false }
  })
}

/** The wait before the `retry`-th retry: 50, 100, 200 ms. */
const backoffMs = (retry: number) => RETRY_BASE_MS * 2 ** (retry - 1)

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
 * nothing is sent), sends requests within `limits`, and retries up to 3 times with backoff
 * (50, 100, 200 ms) the entries that may pass: those the service does not blame on the
 * sender or that failed with a throttling or server-side code, and those of a request
 * that threw a transient error (its answer is lost: the service may have taken some of
 * its entries, or all). Every message is either confirmed, with its id, or named in the
 * `BatchSendError`, with the service's code (a request that threw: the error's name) or
 * one of these:
 *
 * - `NoResult`: the answer neither confirmed nor refused the entry. It may have been
 *   sent, so it is not sent again.
 * - `NotSent` (ordered only): an earlier message of its group was lost for good (any
 *   failure above), so this one is not sent rather than overtake it.
 *
 * Unordered, the requests go in parallel, each packed with as many entries as the limits
 * allow, and a lost answer's entries are sent again (a standard queue may deliver one twice
 * anyway).
 *
 * Ordered (FIFO queues and topics), the order of each message group is kept whatever
 * mix of failed entries and lost answers comes back, and nothing is dropped silently:
 *
 * - A request carries at most one entry of a group, and a group's next entry is sent only
 *   once the service confirmed the one before: at any moment at most one message of a
 *   group is unconfirmed. Requests go one after the other; the other groups fill them.
 * - So resending an unconfirmed entry, here or by the SDK's own retry of a request whose
 *   answer was lost, can never land it behind a later message of its group: none was
 *   sent. It is sent again as it was, with the same `MessageDeduplicationId` (or body, for
 *   content-based deduplication), which the service deduplicates for 5 minutes: a copy it
 *   had already taken is accepted again but not delivered twice. The retries here end
 *   well within that window.
 * - A message lost for good holds back the rest of its group (`NotSent`); the other
 *   groups go on. A message whose every attempt went unanswered is reported with the
 *   request's error, and may still have arrived: only the `sent` ones are known to have.
 *
 * Either way, a failed message of which any attempt went unanswered (a request that threw
 * anything but the service's refusal, or `NoResult`) has `mayHaveBeenSent: true`, even when a later attempt was refused: the
 * first may have landed, so resending it under a new deduplication id may deliver it twice.
 *
 * The cost: a batch whose messages share one group takes one request per message (n
 * groups fill up to min(n, 10) entries a request).
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
    // Items of which an attempt got no answer: they may have arrived whatever comes after.
    const unanswered = new Set<number>()
    const fail = (item: Item<E>, failure: Failure) => {
      if (!unanswered.has(item.index)) failures.push({ index: item.index, ...failure })
      else {
        const message = `${failure.message}${failure.message === '' ? '' : '; '}an attempt got no answer, so it may have been sent`
        failures.push({ index: item.index, ...failure, message, mayHaveBeenSent: true })
      }
    }
    /** Records an outcome's item as accepted (true) or not, remembering an unanswered attempt. */
    const accept = (item: Item<E>, outcome: Outcome): outcome is { readonly messageId: string } => {
      if ('messageId' in outcome) {
        messageIds[item.index] = outcome.messageId
        return true
      }
      if (outcome.unanswered) unanswered.add(item.index)
      return false
    }

    /** Sends one chunk and its retries; records each item as sent (with its id) or failed. */
    const sendChunk = async (chunkItems: readonly Item<E>[]): Promise<void> => {
      let pending = chunkItems
      for (let retry = 0; pending.length > 0; retry += 1) {
        if (retry > 0) await sleep(backoffMs(retry))
        const outcomes = await request(send, pending)
        const again: Item<E>[] = []
        outcomes.forEach((outcome, position) => {
          const item = pending[position] as Item<E>
          if (accept(item, outcome)) return
          if (outcome.retriable && retry < MAX_RETRIES) again.push(item)
          else fail(item, outcome.failure)
        })
        pending = again
      }
    }

    /** Sends an ordered batch: at most one unconfirmed message per group at any time (see above). */
    const sendOrdered = async (): Promise<void> => {
      // Each group's messages not settled yet, in order: only the first may be in flight.
      const groups = new Map<string | typeof UNGROUPED, Item<E>[]>()
      for (const item of items) {
        const key = item.group ?? UNGROUPED
        const queue = groups.get(key)
        if (queue) queue.push(item)
        else groups.set(key, [item])
      }
      const retries = new Array<number>(items.length).fill(0)
      while (groups.size > 0) {
        // The first unsettled message of each group, oldest first, as many as the limits take.
        const heads = [...groups.values()].map((queue) => queue[0] as Item<E>).sort((a, b) => a.index - b.index)
        const batch: Item<E>[] = []
        let bytes = 0
        for (const head of heads) {
          if (batch.length === limits.entries) break
          if (batch.length > 0 && bytes + head.size > limits.bytes) continue
          batch.push(head)
          bytes += head.size
        }
        const retry = Math.max(...batch.map((item) => retries[item.index] as number))
        if (retry > 0) await sleep(backoffMs(retry))
        const outcomes = await request(send, batch)
        outcomes.forEach((outcome, position) => {
          const item = batch[position] as Item<E>
          const key = item.group ?? UNGROUPED
          const queue = groups.get(key) as Item<E>[]
          if (accept(item, outcome)) {
            queue.shift()
          } else if (outcome.retriable && (retries[item.index] as number) < MAX_RETRIES) {
            retries[item.index] = (retries[item.index] as number) + 1
          } else {
            fail(item, outcome.failure)
            for (const held of queue.slice(1)) {
              fail(held, {
                code: 'NotSent',
                message: `not sent: message #${item.index} of its FIFO group was not sent, and this one must not overtake it`,
                senderFault: false,
              })
            }
            queue.length = 0
          }
          if (queue.length === 0) groups.delete(key)
        })
      }
    }

    if (ordered) await sendOrdered()
    else await Promise.all(chunk(items, limits).map(sendChunk))
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
