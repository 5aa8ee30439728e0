/**
 * Hooks for a framework integration, as `@cloudmap-middy/middy` uses them: the time a
 * Lambda invocation has left for work (`remainingBudgetMs`, `MAX_DELAY_MS`), the background
 * refreshes to wait for before an invocation returns (`pendingRefreshes`,
 * `settleRefreshes`) or to hold until its response is out (`holdRefreshes`,
 * `releaseRefreshes`), and the internal Lambda extension that lets them finish after the
 * response instead (`registerLambdaExtension`, `lambdaExtensionActive`,
 * `signalsInvocationEnds`, `invocationBegan`, `invocationEnded`). A handler author does not need them.
 *
 * @module @cloudmap-middy/core/adapter
 */
export {
  invocationBegan,
  invocationEnded,
  lambdaExtensionActive,
  registerLambdaExtension,
  signalsInvocationEnds,
} from './extension/extension.js'
export { holdRefreshes, pendingRefreshes, releaseRefreshes, settleRefreshes } from './resolver/cache.js'
export { MAX_DELAY_MS, remainingBudgetMs } from './timers.js'
