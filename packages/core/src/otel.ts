// OpenTelemetry through @opentelemetry/api, an optional peer: imported only once a tracer provider
// is registered (the API's global holds `trace`), so a process without OpenTelemetry imports
// nothing and a bundle without the package carries nothing (esbuild leaves an `import()` with its
// own `.catch()` to fail at run time). No public declaration refers to this module's types.
import type * as OtelApi from '@opentelemetry/api'
import { errorName } from './errors.js'

type Api = typeof OtelApi

/** Where @opentelemetry/api 1.x keeps its registrations (`internal/global-utils`: `opentelemetry.js.api.<major>`). */
const GLOBAL_KEY = Symbol.for('opentelemetry.js.api.1')

let api: Api | undefined
let loading: Promise<Api | undefined> | undefined

/** The API once loaded; a promise of it while it loads; `undefined` while no tracer provider is registered. */
function openTelemetry(): Api | Promise<Api | undefined> | undefined {
  if (api !== undefined) return api
  if ((globalThis as Record<symbol, { trace?: unknown } | undefined>)[GLOBAL_KEY]?.trace === undefined) return undefined
  loading ??= import('@opentelemetry/api').then(
    (loaded) => {
      api = loaded
      return loaded
    },
    () => undefined,
  )
  return loading
}

/** Span attributes, as OpenTelemetry takes them. */
export type SpanAttributes = Record<string, string | number | boolean>

/** The semantic conventions' attributes for the service on the other side: Cloud Map's namespace and service. */
function peer(namespace: string, service: string): SpanAttributes {
  return { 'service.peer.namespace': namespace, 'service.peer.name': service }
}

/**
 * Runs `work` in an INTERNAL span named `name`, child of the active span, with the peer's
 * attributes and `attributes`; `work` may add more through `annotate`. A failure is recorded on
 * the span (exception, status ERROR) unless `expected(error)` says it is an answer. Without a
 * registered tracer provider: `work` alone.
 *
 * @internal
 */
export function inSpan<T>(
  name: string,
  namespace: string,
  service: string,
  attributes: SpanAttributes,
  work: (annotate: (attributes: SpanAttributes) => void) => Promise<T>,
  expected: (error: unknown) => boolean,
): Promise<T> {
  const loaded = openTelemetry()
  if (loaded === undefined) return work(ignore)
  const run = (otel: Api | undefined): Promise<T> => {
    if (otel === undefined) return work(ignore)
    const tracer = otel.trace.getTracer('@cloudmap-middy/core')
    const options = { kind: otel.SpanKind.INTERNAL, attributes: { ...peer(namespace, service), ...attributes } }
    return tracer.startActiveSpan(name, options, async (span) => {
      try {
        return await work((more) => span.setAttributes(more))
      } catch (error) {
        if (!expected(error)) {
          if (error instanceof Error) span.recordException(error)
          span.setStatus({ code: otel.SpanStatusCode.ERROR, message: errorName(error) })
        }
        throw error
      } finally {
        span.end()
      }
    })
  }
  return loaded instanceof Promise ? loaded.then(run) : run(loaded)
}

const ignore = (): void => undefined

/** An SDK command's middleware stack, as much of it as is used here. */
interface WithStack {
  readonly middlewareStack?: {
    add(middleware: (next: (args: unknown) => unknown) => (args: unknown) => unknown, options: { step: 'initialize'; name: string }): void
  }
}

/**
 * Adds the peer's attributes to the span active while `command` goes through its client's
 * middleware stack: the AWS SDK instrumentation's client span (it runs `send` in its span's
 * context). Nothing without a registered tracer provider; never a span of its own.
 *
 * @internal
 */
export function tagPeer<C>(command: C, namespace: string, service: string): C | Promise<C> {
  const loaded = openTelemetry()
  if (loaded === undefined) return command
  const tag = (otel: Api | undefined): C => {
    if (otel === undefined) return command
    const attributes = peer(namespace, service)
    ;(command as WithStack).middlewareStack?.add(
      (next) => (args) => {
        otel.trace.getActiveSpan()?.setAttributes(attributes)
        return next(args)
      },
      { step: 'initialize', name: 'cloudMapMiddyPeer' },
    )
    return command
  }
  return loaded instanceof Promise ? loaded.then(tag) : tag(loaded)
}
