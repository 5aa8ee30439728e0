/**
 * The longest delay a Node.js timer keeps: 2^31 - 1 ms, about 24.8 days. A longer one fires
 * after 1 ms (with a `TimeoutOverflowWarning`), and `AbortSignal.timeout()` throws a bare
 * `RangeError` beyond 2^32 - 1, for a negative delay, NaN or a fraction.
 *
 * @example
 * ```ts
 * const timeout = AbortSignal.timeout(Math.min(requestedMs, MAX_DELAY_MS))
 * ```
 */
export const MAX_DELAY_MS = 2_147_483_647

/** True for a timeout a user may set: a finite number of milliseconds, above 0, at most {@link MAX_DELAY_MS}. */
export function isTimeout(value: unknown): value is number {
  return typeof value === 'number' && value > 0 && value <= MAX_DELAY_MS
}

/** A value as an error shows it: a string quoted, anything else as `String()` writes it. */
const show = (value: unknown): string => (typeof value === 'string' ? JSON.stringify(value) : String(value))

/** Why `value` is not a timeout, for an error that names the option: `"-1 is not ..."`. */
export function describeBadTimeout(value: unknown): string {
  return `${show(value)} is not a number of milliseconds above 0 and at most ${MAX_DELAY_MS} (a timer's limit)`
}

/** A checked timeout as timers take it: whole milliseconds (`AbortSignal.timeout()` refuses a fraction). */
export function timerDelay(timeoutMs: number): number {
  return Math.min(Math.ceil(timeoutMs), MAX_DELAY_MS)
}

/**
 * The time left for work in a Lambda invocation: `remainingMs` (what
 * `context.getRemainingTimeInMillis()` returned) less `marginMs`, as a timer takes it. The
 * runtime's value is clamped rather than refused: whole milliseconds, 0 when it is negative
 * (no time left), at most {@link MAX_DELAY_MS} (1e300 means "no practical limit"); and
 * `undefined`, meaning no bound, when it is not a finite number (NaN, Infinity, or no
 * function at all outside Lambda). Feed it to `AbortSignal.timeout()` or `settleRefreshes()`.
 * `marginMs` is the caller's own: a finite number, 0 or more, else a `RangeError` naming it.
 *
 * @example
 * ```ts
 * const left = remainingBudgetMs(context.getRemainingTimeInMillis(), 500)
 * const dependency = await resolver.resolve(orders, left === undefined ? {} : { signal: AbortSignal.timeout(left) })
 * ```
 */
export function remainingBudgetMs(remainingMs: unknown, marginMs = 0): number | undefined {
  if (typeof marginMs !== 'number' || !Number.isFinite(marginMs) || marginMs < 0) {
    throw new RangeError(`marginMs of remainingBudgetMs: ${show(marginMs)} is not a finite number of milliseconds, 0 or more`)
  }
  if (typeof remainingMs !== 'number' || !Number.isFinite(remainingMs)) return undefined
  return Math.min(Math.max(0, Math.floor(remainingMs - marginMs)), MAX_DELAY_MS)
}
