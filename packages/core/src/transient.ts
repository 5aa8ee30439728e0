// Each list is one whitespace-separated text: shorter in every bundle than an array literal.
const THROTTLING = new Set(
  `RequestLimitExceeded ThrottlingException Throttling ThrottledException
  TooManyRequestsException RequestThrottled RequestThrottledException SlowDown`.split(/\s+/),
)
/**
 * True when the service throttled the request (`ThrottlingException`, `RequestLimitExceeded`, ...).
 *
 * @internal
 */
export function isThrottling(error: unknown): boolean {
  return typeof error === 'object' && error !== null && THROTTLING.has((error as { name?: string }).name ?? '')
}

const TIMEOUTS = new Set(`AbortError TimeoutError RequestTimeout RequestTimeoutException`.split(/\s+/))
const NETWORK = new Set(
  `ECONNREFUSED ECONNRESET ECONNABORTED ETIMEDOUT EPIPE EHOSTUNREACH
  ENETUNREACH ENETDOWN EAI_AGAIN ENOTFOUND UND_ERR_SOCKET UND_ERR_CONNECT_TIMEOUT`.split(/\s+/),
)

const WRAPPED = /^AWS SDK error wrapper for (\w+)/
const NETWORK_IN_TEXT = new RegExp(`\\b(?:${[...NETWORK].join('|')})\\b`)

interface SdkLikeError {
  name?: string
  code?: string
  $retryable?: unknown
  $metadata?: { httpStatusCode?: number }
  cause?: unknown
}

/**
 * True for failures that say nothing about the registry's content and may pass:
 * throttling, network errors, 5xx answers and timeouts. These are the ones a
 * resolver answers with stale instances.
 *
 * @example
 * ```ts
 * try {
 *   await jobs.request({ id: '42' })
 * } catch (error) {
 *   if (isTransient(error)) return retryLater() // throttled, unreachable or a 5xx: worth another try
 *   throw error
 * }
 * ```
 */
export function isTransient(error: unknown, depth = 0): boolean {
  if (typeof error !== 'object' || error === null || depth > 3) return false
  const e = error as SdkLikeError
  if (THROTTLING.has(e.name as string) || TIMEOUTS.has(e.name as string) || NETWORK.has(e.code as string)) return true
  // Some wrappers keep only the text of a network error ("AWS SDK error wrapper for Error: connect ECONNREFUSED ...",
  // "... for TimeoutError: socket hang up": the SDK wraps an error of another realm, a Jest module's, so).
  const message = (error as { message?: unknown }).message
  if (typeof message === 'string') {
    if (NETWORK_IN_TEXT.test(message) || message.includes('socket hang up')) return true
    const wrapped = WRAPPED.exec(message)?.[1] ?? ''
    if (THROTTLING.has(wrapped) || TIMEOUTS.has(wrapped)) return true
  }
  if (e.$retryable) return true
  const status = e.$metadata?.httpStatusCode
  if (status !== undefined && (status >= 500 || status === 429)) return true
  return e.cause !== undefined && isTransient(e.cause, depth + 1)
}

/**
 * True when the SDK sent the request more than once (its own retries, counted in
 * `$metadata.attempts`): whatever the last attempt answered, an earlier one that got no answer
 * (a timeout, a dropped connection) may have been taken by the service.
 */
export function retriedBySdk(error: unknown): boolean {
  const attempts = (error as { $metadata?: { attempts?: unknown } } | null | undefined)?.$metadata?.attempts
  return typeof attempts === 'number' && attempts > 1
}
