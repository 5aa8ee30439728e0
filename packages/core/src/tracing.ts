// Tracing the SDK clients the library creates (awsClientCapture), and keeping requests made outside
// an invocation out of X-Ray, which has no trace to add them to there.
import type { AwsClientCapture, CapturableClient, SdkClient } from './types/calls.js'

/** What the Lambda runtime exposes of the invocation under way, where it has several at once (InvokeStore). */
type LambdaGlobal = { awslambda?: { InvokeStore?: { getXRayTraceId?: () => string | undefined } } }

/**
 * True in Lambda outside an invocation (init, typically: a prefetch): there is no trace id yet,
 * and the X-Ray SDK logs `Missing AWS Lambda trace data for X-Ray` for any request it sees.
 * The X-Ray SDK reads the same two places (the runtime's InvokeStore, then `_X_AMZN_TRACE_ID`).
 */
export function outsideInvocation(): boolean {
  if (!process.env.LAMBDA_TASK_ROOT || process.env._X_AMZN_TRACE_ID) return false
  return !(globalThis as LambdaGlobal).awslambda?.InvokeStore?.getXRayTraceId?.()
}

/**
 * Makes the requests `client` sends outside an invocation say that they are not traced
 * (`X-Amzn-Trace-Id: Sampled=0`). The X-Ray SDK's patch of `http`/`https.request` (Powertools
 * Tracer's default `captureHTTPsRequests`) then hands such a request straight to Node.js, as it
 * does for a request an instrumented SDK client already traces, instead of looking for a
 * segment that does not exist yet and logging an error. In an invocation it does nothing.
 */
export function untracedOutsideInvocation<C>(client: C): C {
  const stack = (client as { middlewareStack?: { add?: (middleware: never, options: object) => void } }).middlewareStack
  const untraced =
    (next: (args: { request: { headers?: Record<string, string> } }) => Promise<unknown>) =>
    (args: { request: { headers?: Record<string, string> } }) => {
      const { headers } = args.request
      if (headers && headers['X-Amzn-Trace-Id'] === undefined && outsideInvocation()) headers['X-Amzn-Trace-Id'] = 'Sampled=0'
      return next(args)
    }
  stack?.add?.(untraced as never, { step: 'build', priority: 'low', name: 'cloudmapMiddyUntracedOutsideInvocation' })
  return client
}

/**
 * A client that sends through `capture(create())` in an invocation and through `plain()`
 * outside one (a capture would log an error there: see {@link outsideInvocation}); the
 * captured client is created on first use. Outside Lambda every request is captured.
 */
export function capturedClient<C extends SdkClient>(plain: () => C, create: () => C, capture: AwsClientCapture): C {
  let captured: C | undefined
  const current = (): C => {
    if (outsideInvocation()) return plain()
    captured ??= capture(create() as unknown as CapturableClient) as unknown as C
    return captured
  }
  return { send: (command: never, options?: never) => current().send(command, options) } as C
}
