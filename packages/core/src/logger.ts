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
  warn(message: string, ...details: unknown[]): void
  debug?(message: string, ...details: unknown[]): void
}

export const consoleLogger: Logger = {
  warn: (message, ...details) => console.warn(message, ...details),
}
