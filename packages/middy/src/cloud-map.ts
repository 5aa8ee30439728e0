import {
  type AwsClientCapture,
  createResolver,
  DependencyResolutionError,
  defineServices,
  getDefaultResolver,
  type Logger,
  type MetricsSink,
  NOT_READY,
  type ResolvedServices,
  type Resolver,
  type Services,
} from '@cloudmap-middy/core'
import {
  holdRefreshes,
  invocationBegan,
  invocationEnded,
  pendingRefreshes,
  releaseRefreshes,
  remainingBudgetMs,
  settleRefreshes,
  signalsInvocationEnds,
} from '@cloudmap-middy/core/adapter'
import { isRecordingDeclarations, recordDeclaration } from '@cloudmap-middy/core/declarations'
import type { MiddlewareObj, Request } from '@middy/core'
import type { Context as LambdaContext } from 'aws-lambda'

/** Options of {@link cloudMap}: the services, and either a resolver or the settings of one. */
export type CloudMapOptions<S extends Services> = {
  /** The handler's dependencies by name: `context.services.<name>`. */
  readonly services: S
  /** Resolve the services at `.use()` time, in parallel (the free init phase). Default true. */
  readonly prefetch?: boolean
  /**
   * Time kept free at the end of the invocation: resolution gives up when the Lambda
   * has less than this left. A finite number of milliseconds, 0 or more. Default 500 ms.
   */
  readonly timeoutMarginMs?: number
} & (
  | {
      /** The resolver to use; default: the process-wide one (or a new one when `ttlMs`, `logger`, `metrics` or `awsClientCapture` is set). */
      readonly resolver: Resolver
      /** Not with `resolver`: set it on the resolver. */
      readonly ttlMs?: never
      /** Not with `resolver`: set it on the resolver. */
      readonly logger?: never
      /** Not with `resolver`: set it on the resolver. */
      readonly metrics?: never
      /** Not with `resolver`: set it on the resolver. */
      readonly awsClientCapture?: never
    }
  | {
      /** Not with `ttlMs`, `logger`, `metrics` or `awsClientCapture`. */
      readonly resolver?: never
      /** TTL of this middleware's resolver (it still shares the process-wide cache). */
      readonly ttlMs?: number
      /**
       * Where this middleware's resolver writes its log lines (a stable message and its fields): a
       * Powertools `Logger` fits. Default `console`.
       */
      readonly logger?: Logger
      /**
       * Where this middleware's resolver counts cache hits, misses, stale answers, refresh failures,
       * throttles and discovery latency (`METRICS` in `@cloudmap-middy/core`): a Powertools `Metrics`
       * fits. Never flushed here: the handler's `logMetrics` middleware does.
       */
      readonly metrics?: MetricsSink
      /**
       * Traces every SDK client this middleware's resolver creates (Cloud Map's and the call
       * helpers'), as Middy's own `awsClientCapture`: see `ResolverOptions.awsClientCapture`. The
       * prefetch at init is not captured (Lambda has no trace yet); DiscoverInstances and the
       * calls made in an invocation are. `useStaticRegistry()` still applies.
       *
       * @example
       * ```ts
       * const tracer = new Tracer({ serviceName: 'orders' })
       * cloudMap({ services, awsClientCapture: tracer.captureAWSv3Client.bind(tracer) })
       * ```
       */
      readonly awsClientCapture?: AwsClientCapture
    }
)

/** The context a handler gets: the Lambda context plus `services`. */
export type CloudMapContext<S extends Services> = LambdaContext & {
  /** One resolved value per declared service, typed from its declaration. */
  readonly services: ResolvedServices<S>
}

/** What a caller hands the handler: its context without the `services` that `cloudMap()` adds. */
type CallerContext<C> = C extends { readonly services: unknown } ? Omit<C, 'services'> : C

// Middy types the exported handler's `context` parameter as the context its middlewares build, so
// `.use(cloudMap())` would make callers pass `services`. Lambda (and a test) pass a plain Context:
// this overload takes the context without what `cloudMap()` adds. Type parameters without
// constraints merge with those of @middy/core 5, 6 and 7 alike.
declare module '@middy/core' {
  interface MiddyfiedHandler<TEvent, TResult, TErr, TContext, TInternal> {
    // biome-ignore lint/style/useShorthandFunctionType: an interface merges with Middy's; a type alias would clash with it
    (event: TEvent, context: CallerContext<TContext>): Promise<TResult>
  }
}

const DEFAULT_MARGIN_MS = 500

/** A value as it appears in an error: strings quoted, anything else as JavaScript writes it. */
function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : Array.isArray(value) ? 'an array' : String(value)
}

/**
 * Checks what `cloudMap()` is given, so a mistake fails the module load (declaration),
 * never the first invocation. `ttlMs` is checked by `createResolver`, the services by
 * `defineServices`.
 */
function checkOptions(options: unknown): void {
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`cloudMap() needs an options object, as in cloudMap({ services: { ... } }), not ${show(options)}`)
  }
  const { services, prefetch, timeoutMarginMs, resolver, ttlMs, logger, metrics, awsClientCapture } = options as Record<string, unknown>
  if (services === null || typeof services !== 'object' || Array.isArray(services)) {
    throw new TypeError(`cloudMap(): services=${show(services)} is not an object of dependencies by name`)
  }
  if (prefetch !== undefined && typeof prefetch !== 'boolean') {
    throw new TypeError(`cloudMap(): prefetch=${show(prefetch)} is not a boolean`)
  }
  if (timeoutMarginMs !== undefined && !(typeof timeoutMarginMs === 'number' && Number.isFinite(timeoutMarginMs) && timeoutMarginMs >= 0)) {
    throw new RangeError(`timeoutMarginMs=${show(timeoutMarginMs)} is not a number of milliseconds`)
  }
  if (resolver !== undefined) {
    const { resolve, resolveSync, prefetch: prefetchAll, settings } = (resolver ?? {}) as Record<string, unknown>
    if (
      typeof resolve !== 'function' ||
      typeof resolveSync !== 'function' ||
      typeof prefetchAll !== 'function' ||
      typeof settings !== 'object' ||
      settings === null
    ) {
      throw new TypeError(`cloudMap(): resolver=${show(resolver)} is not a resolver (see createResolver())`)
    }
    if (ttlMs !== undefined || logger !== undefined || metrics !== undefined || awsClientCapture !== undefined) {
      throw new TypeError('cloudMap(): give either a resolver or its settings (ttlMs, logger, metrics, awsClientCapture), not both')
    }
  }
}

/**
 * True for an event an HTTP error handler may answer: API Gateway (REST, HTTP, WebSocket), an
 * ALB, a function URL, VPC Lattice. None of the other event sources (SQS, SNS, EventBridge,
 * schedules, streams, direct invocations with a payload of their own) has these fields.
 */
function isHttpEvent(event: unknown): boolean {
  return typeof event === 'object' && event !== null && ('httpMethod' in event || 'requestContext' in event || 'headers' in event)
}

/** The time left for discovery in this invocation (clamped for a timer), or undefined outside Lambda. */
function budget(context: Partial<LambdaContext> | undefined, marginMs: number): number | undefined {
  return remainingBudgetMs(context?.getRemainingTimeInMillis?.(), marginMs)
}

/**
 * The Middy middleware: resolves the declared services through Cloud Map before the
 * handler runs and hands them over as a typed `context.services`.
 *
 * - Addresses and options are checked when `cloudMap()` is called: a typo fails the
 *   module load (`InvalidAddressError`; a `TypeError` or `RangeError` naming the option
 *   and its value).
 * - Every service is prefetched at once, in parallel, during init.
 * - Warm invocations with every entry fresh (or stale and refreshing) assign
 *   `context.services` synchronously: `before` returns no promise.
 * - A refresh still running when the handler finishes never holds a frozen container's
 *   half-sent request. In Lambda the library runs as an internal extension (registered
 *   when `@cloudmap-middy/middy` is imported during init): `after` / `onError` only tell
 *   it the handler is done, the response goes out at once, and the extension holds the
 *   freeze until the refresh settles. Without the extension (outside Lambda, a refused
 *   registration, a `require()`d package), `after` / `onError` await the refresh,
 *   bounded by the remaining time.
 * - Failures throw one `DependencyResolutionError` listing every failed service, by name,
 *   address and reason, in its message. For an HTTP event (API Gateway, ALB, function URL,
 *   VPC Lattice) the message is the generic "Service Unavailable" with `expose: true`, so
 *   `@middy/http-error-handler` answers 503 with no internals; the details stay in `detail`,
 *   `failures` and the first line of the logged stack.
 *
 * @example
 * ```ts
 * import middy from '@middy/core'
 * import { lambda, queue } from '@cloudmap-middy/core'
 * import { cloudMap } from '@cloudmap-middy/middy'
 * import { z } from 'zod'
 *
 * const Job = z.object({ id: z.string(), status: z.string() })
 *
 * export const handler = middy<{ id: string }>()
 *   .use(cloudMap({ services: {
 *     jobs: lambda('prod.scheduler->get-job', { result: Job }),
 *     queue: queue('prod.scheduler->scheduler-queue', { message: z.object({ jobId: z.string() }) }),
 *   } }))
 *   .handler(async (event, context) => {
 *     const job = await context.services.jobs.request({ id: event.id }) // typed Job
 *     await context.services.queue.send({ jobId: job.id }, { groupId: job.id })
 *     return job
 *   })
 * ```
 */
export function cloudMap<const S extends Services>(
  options: CloudMapOptions<S>,
): MiddlewareObj<unknown, unknown, Error, CloudMapContext<S>> {
  checkOptions(options)
  const set = defineServices(options.services)
  const resolver =
    options.resolver ??
    (options.ttlMs !== undefined || options.logger !== undefined || options.metrics !== undefined || options.awsClientCapture !== undefined
      ? createResolver({
          ...(options.ttlMs === undefined ? {} : { ttlMs: options.ttlMs }),
          ...(options.logger === undefined ? {} : { logger: options.logger }),
          ...(options.metrics === undefined ? {} : { metrics: options.metrics }),
          ...(options.awsClientCapture === undefined ? {} : { awsClientCapture: options.awsClientCapture }),
        })
      : getDefaultResolver())
  const marginMs = options.timeoutMarginMs ?? DEFAULT_MARGIN_MS
  const settleLimitMs = resolver.settings.requestTimeoutMs

  // Seen by `cloudmap-middy check` when it loads the handler module, which then makes no Cloud Map call.
  recordDeclaration({ type: 'services', by: 'cloudMap()', services: options.services, resolver })

  // Best effort: a resolver of the user's own might throw or reject here; the invocation
  // reports failures, not the prefetch (nor the module load).
  if (options.prefetch !== false && !isRecordingDeclarations()) {
    try {
      Promise.resolve(set.prefetch(resolver)).catch(() => undefined)
    } catch {
      // Reported by the invocation that needs the services.
    }
  }

  const resolveSlowly = async (request: Request<unknown, unknown, Error, CloudMapContext<S>>): Promise<void> => {
    const left = budget(request.context, marginMs)
    const signal = left === undefined ? undefined : AbortSignal.timeout(left)
    const services = await set.resolve(resolver, signal ? { signal } : {}).catch((error: unknown) => {
      // An HTTP client gets a generic 503 (http-error-handler answers with the message); any
      // other caller's errorMessage names what failed.
      throw error instanceof DependencyResolutionError && isHttpEvent(request.event)
        ? new DependencyResolutionError(error.failures, { expose: true })
        : error
    })
    ;(request.context as { services: ResolvedServices<S> }).services = services
  }

  const cloudMapMiddlewareBefore = (request: Request<unknown, unknown, Error, CloudMapContext<S>>): Promise<void> | undefined => {
    // Before any refresh starts: the Lambda extension then holds the freeze for this invocation,
    // and the refreshes of stale answers start once the response is out.
    if (invocationBegan(request.context.awsRequestId)) holdRefreshes()
    const ready = set.resolveSync(resolver)
    if (ready === NOT_READY) return resolveSlowly(request)
    ;(request.context as { services: ResolvedServices<S> }).services = ready
    return undefined
  }

  signalsInvocationEnds()

  const cloudMapMiddlewareAfter = (request: Request<unknown, unknown, Error, CloudMapContext<S>>): Promise<void> | undefined => {
    // When the extension holds the freeze until the refreshes settle, the response need not wait:
    // they start after the runtime has posted it.
    const extensionHolds = invocationEnded(request.context.awsRequestId, settleLimitMs)
    releaseRefreshes(extensionHolds)
    if (extensionHolds || pendingRefreshes() === 0) return undefined
    const left = budget(request.context, marginMs)
    return settleRefreshes(left === undefined ? settleLimitMs : Math.min(left, settleLimitMs))
  }

  return {
    before: cloudMapMiddlewareBefore,
    after: cloudMapMiddlewareAfter,
    onError: cloudMapMiddlewareAfter,
  }
}
