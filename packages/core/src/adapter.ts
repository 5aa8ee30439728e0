/**
 * Hooks for a framework integration, as `@cloudmap-middy/middy` uses them: the time a
 * Lambda invocation has left for work (`remainingBudgetMs`, `MAX_DELAY_MS`), and the
 * background refreshes to wait for before an invocation returns (`pendingRefreshes`,
 * `settleRefreshes`). A handler author does not need them.
 *
 * @module @cloudmap-middy/core/adapter
 */
export { pendingRefreshes, settleRefreshes } from './resolver/cache.js'
export { MAX_DELAY_MS, remainingBudgetMs } from './timers.js'
