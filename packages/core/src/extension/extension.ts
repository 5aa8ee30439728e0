// The library as an internal Lambda extension: it holds the environment's freeze, after the
// runtime has posted the response, until the refreshes an invocation started have settled.
// Lambda freezes the environment once the runtime and every registered extension have asked
// for the next event; an extension that asks later keeps the process running (the
// PostRuntimeExtensionsDuration phase) without delaying the response.
import { consoleLogger, type Logger } from '../logger.js'
import { pendingRefreshes, settleRefreshes } from '../resolver/cache.js'
import { request } from './http.js'

/** The name the extension registers under (`Lambda-Extension-Name`). */
export const EXTENSION_NAME = 'cloudmap-middy'

const API = '/2020-01-01/extension'
const REGISTER_TIMEOUT_MS = 2_000
// Invocations begun or ended before their INVOKE event arrived; a handful at most.
const MAX_EARLY = 16
// Unreadable events in a row before the extension gives up (an API that answers nothing else).
const MAX_UNREADABLE = 3
// How long an INVOKE waits for a middleware to say it began the invocation. The runtime gets
// the event at the same moment; a middleware that has not begun by then may never run (an
// earlier middleware answered early, as @middy/warmup does): the extension lets go, and a
// middleware that begins later awaits its own refreshes instead.
const BEGIN_GRACE_MS = 25
// How long init waits for the requests the handler module's prefetch made (one request with its
// timeout and a retry, within the default retry budget); Lambda allows init 10 s.
const INIT_SETTLE_MS = 3_000
// Logged where a registration fails, whatever the way (a bundler keeps each copy of a literal).
const NOT_REGISTERED = 'cloudmap-middy: not registered as a Lambda extension; refreshes are awaited before each response'

/** An invocation event as the Extensions API sends it (only what is read). */
interface InvokeEvent {
  readonly eventType?: unknown
  readonly requestId?: unknown
  readonly deadlineMs?: unknown
}

/** The extension's wait for a middleware's word on one invocation: its begin, or its end (with a settle limit). */
interface Waiting {
  readonly requestId: string
  readonly done: (value: number) => void
}

let active = false
// Bumped by forgetLambdaExtension(): a loop of an earlier registration no longer changes the state.
let generation = 0
let registration: Promise<boolean> | undefined
let signallers = 0
const begun = new Set<string>()
const ended = new Map<string, number>()
const waits: { begin?: Waiting | undefined; end?: Waiting | undefined } = {}
// The invocation the extension let go of for want of a begin: its middleware awaits instead.
let released: string | undefined

/**
 * True while the library runs as a Lambda extension: a refresh still in flight when the
 * handler ends then holds the freeze (after the response), so the invocation need not await it.
 *
 * @example
 * ```ts
 * if (!lambdaExtensionActive()) await settleRefreshes(500)
 * ```
 */
export function lambdaExtensionActive(): boolean {
  return active
}

/**
 * Declares that something will call {@link invocationBegan} and {@link invocationEnded} for
 * invocations (a middleware, at `.use()` time). Without one, the extension waits for no
 * begin: it settles the refreshes in flight when the invocation arrives.
 *
 * @example
 * ```ts
 * signalsInvocationEnds() // once, when the middleware is created
 * ```
 */
export function signalsInvocationEnds(): void {
  signallers++
}

/**
 * Tells the extension that a middleware began invocation `requestId` (`context.awsRequestId`)
 * and will report its end with {@link invocationEnded}; call it before anything that may
 * start a refresh. Returns true when the extension holds the freeze for this invocation;
 * false when it is not active or has already let go of the invocation (then await the
 * refreshes before the invocation ends, as without it). Synchronous, never throws.
 *
 * @example
 * ```ts
 * before: (request) => { invocationBegan(request.context.awsRequestId) }
 * ```
 */
export function invocationBegan(requestId: string | undefined): boolean {
  if (!active || typeof requestId !== 'string' || requestId === released) return false
  wake('begin', requestId, 0)
  if (begun.size >= MAX_EARLY) begun.clear()
  begun.add(requestId)
  return true
}

/**
 * Tells the extension that the handler of invocation `requestId` is done, so it may let the
 * environment freeze once the refreshes in flight settle, at most `settleLimitMs` later.
 * Returns true when the extension holds the freeze for this invocation (it was begun with
 * {@link invocationBegan} in time); false when the caller must await the refreshes itself.
 * Synchronous, never throws.
 *
 * @example
 * ```ts
 * after: (request) => (invocationEnded(request.context.awsRequestId, 1_000) ? undefined : settleRefreshes(1_000))
 * ```
 */
export function invocationEnded(requestId: string | undefined, settleLimitMs: number): boolean {
  if (!active || typeof requestId !== 'string' || !begun.delete(requestId)) return false
  if (wake('end', requestId, settleLimitMs)) return true
  if (ended.size >= MAX_EARLY) ended.clear()
  ended.set(requestId, settleLimitMs)
  return true
}

/** Hands `value` to the wait of `kind` for `requestId`, if there is one. */
function wake(kind: keyof typeof waits, requestId: string, value: number): boolean {
  const waiting = waits[kind]
  if (waiting?.requestId !== requestId) return false
  waits[kind] = undefined
  waiting.done(value)
  return true
}

/** Waits up to `ms` for {@link wake} of `kind` for `requestId`: its value, or `otherwise` after `ms`. */
function wait(kind: keyof typeof waits, requestId: string, ms: number, otherwise: number): Promise<number> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      if (waits[kind]?.requestId === requestId) waits[kind] = undefined
      resolve(otherwise)
    }, ms)
    timer.unref()
    waits[kind] = {
      requestId,
      done: (value) => {
        clearTimeout(timer)
        resolve(value)
      },
    }
  })
}

/** True once a middleware began `requestId`; false when none has within the grace (the extension lets go). */
async function beginOf(requestId: string): Promise<boolean> {
  if (begun.has(requestId) || ended.has(requestId)) return true
  if ((await wait('begin', requestId, BEGIN_GRACE_MS, -1)) === 0) return true
  released = requestId
  return false
}

/** The settle limit the middleware gave at the end of `requestId`, or 0 when the deadline comes first. */
function endOf(requestId: string, deadlineMs: number): Promise<number> {
  const early = ended.get(requestId)
  if (early === undefined) return wait('end', requestId, Math.max(0, deadlineMs - Date.now()), 0)
  ended.delete(requestId)
  return Promise.resolve(early)
}

/** The event an answer's body holds, or what is wrong with it. */
function readEvent(body: string): InvokeEvent | string {
  let event: unknown
  try {
    event = JSON.parse(body)
  } catch {
    return `an event that is not JSON (${body.length} characters)`
  }
  return typeof event === 'object' && event !== null && !Array.isArray(event)
    ? event
    : `an event that is not an object (${body.length} characters)`
}

/** Asks for events until the API fails (then the invocations await their refreshes again). */
async function run(address: string, id: string, logger: Logger): Promise<void> {
  const mine = generation
  // Init: the rest of the handler module evaluates in the turn the registration returns to, and
  // its prefetch starts its requests there. The first event is asked for once they settle, so an
  // environment frozen before its first invocation (provisioned concurrency, a runner that starts
  // functions ahead) holds none of them half-sent; an on-demand cold start's first invocation
  // would wait for them anyway.
  await new Promise<void>((resolve) => setImmediate(resolve))
  if (pendingRefreshes() > 0) await settleRefreshes(INIT_SETTLE_MS)
  let unreadable = 0
  for (;;) {
    let event: InvokeEvent
    try {
      const answer = await request(address, {
        method: 'GET',
        path: `${API}/event/next`,
        headers: { 'Lambda-Extension-Identifier': id },
        keepsAlive: false,
      })
      if (answer.status !== 200) throw new Error(`status ${answer.status}: ${answer.body.slice(0, 200)}`)
      const body = readEvent(answer.body)
      if (typeof body === 'string') {
        // Lambda handed an event over (200) that cannot be read: only asking for the next one lets
        // the environment move on; an extension that stops asking holds every invocation to its timeout.
        if (++unreadable > MAX_UNREADABLE) throw new Error(`${unreadable} events in a row unreadable: ${body}`)
        if (mine !== generation) return
        logger.warn('cloudmap-middy: the Lambda extension could not read an event; asking for the next one', { error: body })
        continue
      }
      unreadable = 0
      event = body
    } catch (error) {
      if (mine !== generation) return
      active = false
      logger.warn('cloudmap-middy: the Lambda extension stopped; refreshes are awaited before each response again', {
        error: error instanceof Error ? error.message : String(error),
      })
      return
    }
    if (event.eventType !== 'INVOKE') continue
    const deadlineMs = typeof event.deadlineMs === 'number' ? event.deadlineMs : Date.now()
    const requestId = typeof event.requestId === 'string' ? event.requestId : undefined
    const held = signallers > 0 && requestId !== undefined && (await beginOf(requestId))
    const limitMs = held && requestId !== undefined ? await endOf(requestId, deadlineMs) : Number.POSITIVE_INFINITY
    // A refresh may start while another settles (a middleware after this one): look again.
    while (pendingRefreshes() > 0) {
      const leftMs = Math.min(limitMs, deadlineMs - Date.now())
      if (!(leftMs > 0)) break
      const started = Date.now()
      await settleRefreshes(leftMs)
      if (Date.now() - started >= leftMs) break
    }
  }
}

/** Registers with the Extensions API at `address`; resolves true when Lambda accepted it. */
async function register(address: string, logger: Logger): Promise<boolean> {
  try {
    const answer = await request(address, {
      method: 'POST',
      path: `${API}/register`,
      headers: { 'Lambda-Extension-Name': EXTENSION_NAME, 'Content-Type': 'application/json' },
      // Internal extensions cannot take SHUTDOWN.
      body: JSON.stringify({ events: ['INVOKE'] }),
      keepsAlive: true,
      timeoutMs: REGISTER_TIMEOUT_MS,
    })
    const id = answer.headers.get('lambda-extension-identifier')
    if (answer.status !== 200 || !id) {
      logger.debug?.(NOT_REGISTERED, {
        status: answer.status,
        answer: answer.body.slice(0, 200),
      })
      return false
    }
    active = true
    logger.debug?.(`cloudmap-middy: registered as the internal Lambda extension "${EXTENSION_NAME}" (INVOKE)`, {
      detail: 'a refresh in flight holds the freeze after the response instead of delaying it',
    })
    void run(address, id, logger)
    return true
  } catch (error) {
    logger.debug?.(NOT_REGISTERED, {
      error: error instanceof Error ? error.message : String(error),
    })
    return false
  }
}

/**
 * Registers the library as an internal Lambda extension (events: INVOKE) when
 * `AWS_LAMBDA_RUNTIME_API` is set, once per process; resolves true when Lambda accepted it.
 * Never rejects: outside Lambda, or when the registration is refused or fails, it resolves
 * false and refreshes are awaited before each response, as without it. Lambda accepts
 * registrations only during init, before the runtime first asks for an invocation: await it
 * at the top level of a module the handler imports (`@cloudmap-middy/middy` does).
 *
 * @example
 * ```ts
 * if (process.env.AWS_LAMBDA_RUNTIME_API) await registerLambdaExtension()
 * ```
 */
export function registerLambdaExtension(options: { readonly runtimeApi?: string; readonly logger?: Logger } = {}): Promise<boolean> {
  const address = options.runtimeApi ?? process.env.AWS_LAMBDA_RUNTIME_API
  if (!address) return Promise.resolve(false)
  registration ??= register(address, options.logger ?? consoleLogger())
  return registration
}

/** Forgets the registration, for tests: the next {@link registerLambdaExtension} registers again. */
export function forgetLambdaExtension(): void {
  generation++
  active = false
  registration = undefined
  signallers = 0
  begun.clear()
  ended.clear()
  waits.begin = undefined
  waits.end = undefined
  released = undefined
}
