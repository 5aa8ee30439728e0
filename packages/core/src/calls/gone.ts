import { type BatchSendError, CallRefusedError, CloudMapMiddyError } from '../errors.js'
import { retriedBySdk } from '../transient.js'
import type { BindContext } from '../types/dependency.js'

/**
 * The errors by which a service says the target of a call does not exist, as the SDK v3 names
 * them: Lambda and EventBridge `ResourceNotFoundException`, SQS `QueueDoesNotExist` (the query
 * protocol's `AWS.SimpleQueueService.NonExistentQueue`), SNS `NotFoundException` (`NotFound`),
 * Step Functions `StateMachineDoesNotExist`.
 */
const GONE = new Set([
  'ResourceNotFoundException',
  'QueueDoesNotExist',
  'AWS.SimpleQueueService.NonExistentQueue',
  'NotFoundException',
  'NotFound',
  'StateMachineDoesNotExist',
])

/**
 * True when a call was refused, as a whole and before anything was sent, because its target no
 * longer exists: a single call refused so the first time the SDK sent it (after SDK retries, an
 * earlier attempt that got no answer may have been taken), or a batch none of whose messages was
 * sent or may have been, each refused so.
 *
 * @internal
 */
export function isTargetGone(error: unknown): boolean {
  if (error instanceof CallRefusedError) return GONE.has(error.code) && !retriedBySdk(error.cause)
  // By name, not instanceof: a bundle whose kinds send no batch then holds no BatchSendError.
  if (!(error instanceof CloudMapMiddyError) || error.name !== 'BatchSendError') return false
  const { sent, failures } = error as BatchSendError
  return sent.length === 0 && failures.length > 0 && failures.every((failure) => GONE.has(failure.code) && failure.mayHaveBeenSent !== true)
}

// biome-ignore lint/suspicious/noExplicitAny: the calls' arguments and results are the kind's own
type Call = (...args: any[]) => unknown

/** Each retrying call's own, unwrapped: a retry is made once, never retried again. */
const unwrapped = new WeakMap<Call, Call>()

/** What a bound value calls: a queue's URL, else its ARN, else its name (an event bus given by name). */
function targetOf(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined
  const { url, arn, name } = value as { url?: unknown; arn?: unknown; name?: unknown }
  const target = url ?? arn ?? name
  return typeof target === 'string' ? target : undefined
}

/**
 * The calls of a bound value, each retried once on another target when its own no longer
 * exists ({@link isTargetGone}): the dependency is refreshed (`BindContext.renew`) and, when
 * the registry now names another target, the same call is made on it; otherwise, or when the
 * refresh fails, the call fails with its own error. Nothing is sent twice: the first attempt
 * was refused whole.
 *
 * @param target - what the calls go to, as {@link targetOf} reads it from a bound value: a
 *   queue's URL, else the ARN, else the bus name.
 * @internal
 */
export function retryOnGone<M extends object>(context: BindContext, target: string, calls: M): M {
  const { renew, label, logger } = context
  if (renew === undefined) return calls
  const retrying: Record<string, Call> = {}
  for (const [name, call] of Object.entries(calls) as [string, Call][]) {
    const once: Call = (...args) => {
      const result = call(...args)
      // Only a call that answers with a promise can be refused as a whole (listen() gives an iterable).
      if (!(result instanceof Promise)) return result
      return result.catch(async (error: unknown) => {
        if (!isTargetGone(error)) throw error
        const renewed = await renew().catch((failure: unknown) => {
          // The registry's new answer could not be bound (a target the policy refuses, say): the call fails with its own error.
          logger.warn('cloudmap-middy: the target no longer exists, and what the registry names now cannot be used; not retried', {
            address: label,
            gone: target,
            error: failure instanceof Error ? failure.message : String(failure),
          })
          return undefined
        })
        const next = (renewed as Record<string, unknown> | undefined)?.[name]
        const nextTarget = targetOf(renewed)
        if (typeof next !== 'function' || nextTarget === undefined || nextTarget === target) throw error
        logger.warn('cloudmap-middy: the target no longer exists; retrying once on the one registered now', {
          address: label,
          gone: target,
          target: nextTarget,
        })
        return (unwrapped.get(next as Call) ?? (next as Call))(...args)
      })
    }
    unwrapped.set(once, call)
    retrying[name] = once
  }
  return retrying as M
}
