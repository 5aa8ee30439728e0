/**
 * Where warnings go (dropped instances, stale values served). `console` fits, and so
 * does a Powertools `Logger`.
 *
 * @example
 * ```ts
 * import { Logger } from '@aws-lambda-powertools/logger'
 * const resolver = createResolver({ logger: new Logger() })
 * ```
 */
export interface Logger {
  /** A dropped instance, a stale value served, a refresh that failed, a message left on its queue. */
  warn(message: string, ...details: unknown[]): void
  /** Each discovery, cache hit, miss and stale answer; called only when the logger has it. */
  debug?(message: string, ...details: unknown[]): void
}

/**
 * The default logger: `console.warn` for warnings; with env `CLOUDMAP_MIDDY_LOG=debug`,
 * also `console.debug` for every discovery, cache hit, miss and stale answer.
 */
export function consoleLogger(): Logger {
  const warn = (message: string, ...details: unknown[]) => console.warn(message, ...details)
  return process.env.CLOUDMAP_MIDDY_LOG === 'debug'
    ? { warn, debug: (message, ...details) => console.debug(message, ...details) }
    : { warn }
}
