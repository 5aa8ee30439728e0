import { inspect } from 'node:util'

/**
 * The facts of one log line, as fields (`address`, `ageMs`, `error`, ...): a Powertools `Logger`
 * merges them into its JSON, `console` prints them after the message.
 */
export type LogFields = Readonly<Record<string, unknown>>

/**
 * Where the library's log lines go. Every line is a stable message (`cloudmap-middy: cache miss`)
 * and its facts as a fields object, the form Powertools `Logger` merges into its JSON; `console`
 * fits too. `debug` is called only when the logger has it; `info` and `error` are never called.
 *
 * @example
 * ```ts
 * import { Logger } from '@aws-lambda-powertools/logger'
 * const resolver = createResolver({ logger: new Logger({ serviceName: 'orders' }) })
 * ```
 */
export interface Logger {
  /**
   * A dropped instance, a stale answer served after a failed refresh, an evicted service, a cold
   * key that gave up, a message left on its queue.
   */
  warn(message: string, fields: LogFields): void
  /** Each discovery, cache hit, miss, stale answer, failed attempt and throttle. */
  debug?(message: string, fields: LogFields): void
  /** Accepted, for loggers that have it (Powertools, console): not called. */
  info?(message: string, fields: LogFields): void
  /** Accepted, for loggers that have it (Powertools, console): not called. */
  error?(message: string, fields: LogFields): void
}

/**
 * The default logger: `console.warn(message, fields)` for warnings (the fields on one line); with env
 * `CLOUDMAP_MIDDY_LOG=debug`, also `console.debug` for every discovery, cache hit, miss,
 * stale answer and failed attempt.
 *
 * @example
 * ```ts
 * const resolver = createResolver({ logger: consoleLogger() }) // what createResolver() does by default
 * ```
 */
export function consoleLogger(): Logger {
  const warn = (message: string, fields: LogFields) => console.warn(message, oneLine(fields))
  return process.env.CLOUDMAP_MIDDY_LOG === 'debug'
    ? { warn, debug: (message, fields) => console.debug(message, oneLine(fields)) }
    : { warn }
}

/** The fields as `console` prints an object, on one line: a log line stays one line (one event, one grep). */
function oneLine(fields: LogFields): string {
  return inspect(fields, { breakLength: Number.POSITIVE_INFINITY })
}
