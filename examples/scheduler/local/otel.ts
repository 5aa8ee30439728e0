// OpenTelemetry for the local run: what an ADOT layer or the Node SDK sets up before the handler
// loads, with an exporter that prints each finished span as one line (`otel span {...}`) for the
// demo to collect. Each function's worker imports it first (startLocalApp's `preload`).
import { context, SpanStatusCode, trace } from '@opentelemetry/api'
import { AsyncHooksContextManager } from '@opentelemetry/context-async-hooks'
import { BasicTracerProvider, type ReadableSpan, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base'

const printing: SpanExporter = {
  export(spans: ReadableSpan[], done) {
    for (const span of spans) {
      const [seconds, nanos] = span.duration
      const line = {
        name: span.name,
        attributes: span.attributes,
        status: span.status.code === SpanStatusCode.ERROR ? 'error' : 'ok',
        durationMs: Math.round(seconds * 1000 + nanos / 1e6),
      }
      console.log(`otel span ${JSON.stringify(line)}`)
    }
    done({ code: 0 })
  },
  shutdown: async () => undefined,
}

context.setGlobalContextManager(new AsyncHooksContextManager().enable())
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(printing)] }))
