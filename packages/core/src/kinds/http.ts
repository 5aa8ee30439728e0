import { isIPv4, isIPv6 } from 'node:net'
import { andThen } from '../and-then.js'
import { checkType, requireAttribute } from '../calls/target.js'
import { bindResolved, defineDependency } from '../dependency/dependency.js'
import {
  AttributeValidationError,
  DisallowedPathError,
  DisallowedTargetError,
  describeError,
  HttpRequestError,
  type TargetRule,
} from '../errors.js'
import { isHostName } from '../policy/hosts.js'
import { checkHost, hostRefusal } from '../policy/policy.js'
import { redactUrl, redactUrlWithoutQuery } from '../redact.js'
import type { InferOutput, Schema } from '../schema.js'
import { describeBadTimeout, isTimeout, timerDelay } from '../timers.js'
import { isTransient } from '../transient.js'
import type { AddressInput } from '../types/address.js'
import type { Dependency, DiscoveryOptions, ResolvedInstance } from '../types/dependency.js'
import type { TargetPolicy } from '../types/policy.js'
import type { RegisteredInstance } from '../types/registry.js'
import type { RawAttributes } from './instance.js'

/** Options of `http()`: a schema for the attributes, a default timeout, and discovery options. */
export interface HttpOptions<A extends Schema | undefined> extends DiscoveryOptions {
  /**
   * Validates the instance's attributes (any Standard Schema validator: zod, valibot,
   * arktype, ...); its output type is the resolved `attributes`. The kind's own attributes
   * (`type`, `arn`, `url`) are checked whether or not the schema names them.
   */
  readonly attributes?: A
  /**
   * Bound on one attempt against one instance, reading the body included. Default 10 000 ms.
   * Above 0 and at most 2^31 - 1 (a timer's limit); anything else is a `RangeError` naming
   * the address, when `http()` is called.
   */
  readonly timeoutMs?: number
}

/** `fetch` options, plus a timeout for this call. */
export interface HttpFetchInit extends RequestInit {
  /**
   * Overrides the dependency's `timeoutMs` for this call (per attempt), with the same range:
   * anything else rejects the call with a `RangeError` naming the address, before any request.
   */
  readonly timeoutMs?: number
}

/** A resolved HTTP service: the selected instance, its base URL and a `fetch` with failover. */
export interface HttpService<Attributes> extends ResolvedInstance<Attributes> {
  /** Base URL of the selected instance: its `url` attribute, or `http://<ip or cname>[:<port>]`. */
  readonly url: string
  /**
   * `fetch` relative to the base URL (its path is kept: `fetch('/orders')` on
   * `https://api.example.com/v1` requests `https://api.example.com/v1/orders`), with a
   * timeout per attempt.
   *
   * Failover: for idempotent methods (GET, HEAD, OPTIONS, PUT, DELETE; GET by default)
   * a connection error, a timeout or a 5xx answer moves on to the service's other
   * instances, in registry order after the selected one, each tried once. POST and
   * PATCH (and a streamed body) are tried on the selected instance only.
   *
   * What comes back: the first response that is not a 5xx; or, when the last attempt
   * answers a 5xx, that response (the status is the caller's to handle, as with
   * `fetch`). An abort through `init.signal` rejects with the signal's reason, as
   * `fetch` does, without failover.
   *
   * Redirects (301, 302, 303, 307, 308) are followed here, not by `fetch`: at most 5, each
   * checked before anything is sent to it like the first request — a host that is always
   * refused or outside `allowedHosts`, userinfo, or a URL outside the instance's base URL
   * (another origin, or above its path) is a `DisallowedTargetError` naming the redirect
   * target and where it came from. As `fetch` does, a 303 (and a 301 or 302 answering a POST)
   * turns into a GET without body; 307 and 308 keep the method and body, and a streamed body,
   * which cannot be sent twice, is then an `HttpRequestError` (send a string, buffer, Blob or
   * FormData to have it followed). The timeout covers the whole chain. `redirect: 'manual'`
   * returns the redirect itself, as `fetch` does; with `redirect: 'error'` a redirect rejects
   * the call, as with `fetch`, here with an `HttpRequestError` and without failover. Nothing is
   * sent to the redirect target.
   *
   * @throws {HttpRequestError} when the last attempt got no answer (connection error or
   *   timeout), with the instance ids tried and the last 5xx status seen, if any; or when a
   *   redirect could not be followed (more than 5, a streamed body to send again, or `redirect: 'error'`).
   * @throws {DisallowedTargetError} when a redirect leads outside the instance's base URL or
   *   to a refused host.
   * @throws {DisallowedPathError} when `path` leaves the base URL (see the README's Security section).
   */
  fetch(path: string, init?: HttpFetchInit): Promise<Response>
}

/** What an HttpService keeps out of sight: its base, and the instances it fails over to. */
interface Endpoint {
  readonly instanceId: string
  /** The base URL with a trailing slash, so relative paths keep its path prefix. */
  readonly base: URL
  siblings: readonly Endpoint[]
}

const DEFAULT_TIMEOUT_MS = 10_000
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE'])
/** Fewer than fetch's 20: a service redirecting more than this is misconfigured. */
const MAX_REDIRECTS = 5
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308])
/** The headers that describe a body, dropped with it when a redirect turns a request into a GET (as fetch does). */
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location']
const endpoints = new WeakMap<object, Endpoint>()
/** The attributes ECS and EC2 register for an endpoint; with no `type`, they make an instance an `http` one. */
const ENDPOINT_ATTRIBUTES = ['AWS_INSTANCE_IPV4', 'AWS_INSTANCE_IPV6', 'AWS_INSTANCE_CNAME']

/**
 * True when the instance's `type` is to be checked: it has one, or it has none of the
 * attributes ECS and EC2 register. ECS service discovery and EC2/IP registrations carry no
 * type (ECS cannot add custom attributes): such an instance is an endpoint.
 */
function hasTypeToCheck(registered: RegisteredInstance): boolean {
  return registered.attributes.type !== undefined || !ENDPOINT_ATTRIBUTES.some((name) => Object.hasOwn(registered.attributes, name))
}

/** The instance's base URL: its `url` attribute, else the IP address (or CNAME) and port that ECS and EC2 register. */
function baseUrlOf(label: string, registered: RegisteredInstance): string {
  const text = (name: string) => (registered.attributes[name] ? requireAttribute(label, registered, name, 'for an http target') : undefined)
  const url = text('url')
  if (url !== undefined) return url
  const ipv4 = text('AWS_INSTANCE_IPV4')
  const ipv6 = text('AWS_INSTANCE_IPV6')
  const cname = text('AWS_INSTANCE_CNAME')
  const port = text('AWS_INSTANCE_PORT')
  const invalid = (name: string, message: string) => new AttributeValidationError(label, registered.instanceId, [{ path: [name], message }])
  if (ipv4 !== undefined && !isIPv4(ipv4)) throw invalid('AWS_INSTANCE_IPV4', `"${ipv4}" is not an IPv4 address`)
  if (ipv6 !== undefined && !isIPv6(ipv6)) throw invalid('AWS_INSTANCE_IPV6', `"${ipv6}" is not an IPv6 address`)
  if (cname !== undefined && !isHostName(cname)) throw invalid('AWS_INSTANCE_CNAME', `"${redactUrl(cname)}" is not a host name`)
  if (port !== undefined && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65_535)) {
    throw invalid('AWS_INSTANCE_PORT', `"${port}" is not a port number`)
  }
  const host = ipv4 ?? (ipv6 === undefined ? cname : `[${ipv6}]`)
  if (host === undefined) {
    const message =
      'required for an http target: a url, or an AWS_INSTANCE_IPV4, AWS_INSTANCE_IPV6 or AWS_INSTANCE_CNAME (with an optional AWS_INSTANCE_PORT)'
    throw new AttributeValidationError(
      label,
      registered.instanceId,
      ['url', 'AWS_INSTANCE_IPV4', 'AWS_INSTANCE_IPV6', 'AWS_INSTANCE_CNAME'].map((name) => ({ path: [name], message })),
    )
  }
  return port === undefined ? `http://${host}` : `http://${host}:${port}`
}

/**
 * Parses the base URL once, at bind time, and checks it against the policy: http or
 * https, no userinfo, query or fragment, a host the policy allows; its path gets a
 * trailing slash so relative paths keep it.
 */
function parseBase(label: string, instanceId: string, url: string, policy: TargetPolicy): URL {
  const shown = redactUrl(url)
  const invalid = (message: string) => new AttributeValidationError(label, instanceId, [{ path: ['url'], message }])
  if (!URL.canParse(url)) throw invalid(`"${shown}" is not a URL`)
  const base = new URL(url)
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw invalid(`"${shown}" is not an http or https URL`)
  if (base.username !== '' || base.password !== '') {
    throw new DisallowedTargetError(label, instanceId, shown, 'http url', 'a base URL carries no userinfo (user:password@)')
  }
  if (base.search !== '' || base.hash !== '' || url.includes('?') || url.includes('#')) {
    throw invalid(`"${shown}" has a query or fragment; a base URL is a scheme, a host and a path`)
  }
  checkHost({ label, instanceId }, base, policy)
  if (!base.pathname.endsWith('/')) base.pathname += '/'
  return base
}

// A scheme (`https:`, `mailto:`), or anything a URL parser reads as one.
const SCHEME = /^[a-zA-Z][a-zA-Z0-9+.-]*:/

/** True when `target` is inside `base`: the same origin, under its path (which ends in a slash). */
function insideBase(base: URL, target: URL): boolean {
  return target.origin === base.origin && target.pathname.startsWith(base.pathname)
}

/**
 * Why a path (before its query) may mean another path to the server than the one checked
 * here, or `undefined`: an encoded slash or backslash (`..%2fadmin`), an encoded dot segment
 * (`%2e%2e`, which a server may decode after the URL parser kept it), or a dot segment with
 * `;` parameters (`..;`, which some servers read as `..`).
 */
function pathProblem(path: string): string | undefined {
  if (/%(2f|5c)/i.test(path)) return 'it holds an encoded slash or backslash (%2F, %5C), which a server may decode into a separator'
  for (const segment of path.split('/')) {
    const [name = '', ...parameters] = segment.split(/;|%3b/i)
    const dots = name.replace(/%2e/gi, '.')
    if (dots !== '.' && dots !== '..') continue
    if (parameters.length > 0) return `it holds a dot segment with ";" parameters ("${segment}"), which a server may read as "${dots}"`
    if (name !== dots) return `it holds an encoded dot segment ("${name}")`
  }
  return undefined
}

/**
 * The URL a `fetch(path)` requests: `path` relative to the base URL (one leading slash is
 * allowed and means the same), never outside the base URL's origin and path.
 *
 * @throws {DisallowedPathError} for an absolute or protocol-relative path, a backslash, an
 *   encoded slash, backslash or dot segment, a dot segment with `;` parameters, or a path that
 *   leaves the base URL.
 */
function resolvePath(label: string, base: URL, path: string): URL {
  if (typeof path !== 'string') throw new DisallowedPathError(label, String(path), 'a path is a string')
  const relative = path.startsWith('/') ? path.slice(1) : path
  const beforeQuery = relative.split(/[?#]/, 1)[0] ?? ''
  const refuse = (reason: string) => new DisallowedPathError(label, path, reason)
  if (SCHEME.test(relative)) throw refuse('it is an absolute URL (prefix a relative path with "./")')
  if (relative.startsWith('/')) throw refuse('it is protocol-relative (it names another host)')
  if (beforeQuery.includes('\\')) throw refuse('it holds a backslash, which URL parsers read as a slash')
  const problem = pathProblem(beforeQuery)
  if (problem !== undefined) throw refuse(problem)
  const target = new URL(relative, base)
  if (!insideBase(base, target)) throw refuse(`it resolves outside the base URL's path ${base.pathname}`)
  return target
}

/**
 * Where a redirect answered to a request for `from` leads, checked as the first request
 * was: http or https, no userinfo, a host the policy allows, inside the instance's base URL
 * (same origin, under its path) and without the path tricks `pathProblem` names.
 *
 * @throws {DisallowedTargetError} naming the redirect target and where it came from; nothing is sent there.
 */
function checkRedirect(label: string, endpoint: Endpoint, from: URL, status: number, location: string, policy: TargetPolicy): URL {
  const refuse = (target: string, rule: TargetRule, reason: string) =>
    new DisallowedTargetError(
      label,
      endpoint.instanceId,
      target,
      rule,
      `a ${status} redirect from ${redactUrlWithoutQuery(from.href)}: ${reason}; nothing was sent there`,
    )
  if (!URL.canParse(location, from)) throw refuse(redactUrlWithoutQuery(location), 'http redirect', 'its Location is not a URL')
  const to = new URL(location, from)
  const shown = redactUrlWithoutQuery(to.href)
  if (to.protocol !== 'http:' && to.protocol !== 'https:') throw refuse(shown, 'http redirect', 'it is not an http or https URL')
  if (to.username !== '' || to.password !== '') throw refuse(shown, 'http url', 'a URL carries no userinfo (user:password@)')
  const refusal = hostRefusal(to, policy)
  if (refusal) throw refuse(shown, refusal.rule, refusal.reason)
  if (!insideBase(endpoint.base, to)) throw refuse(shown, 'http redirect', `it leaves the base URL ${redactUrl(endpoint.base.href)}`)
  const problem = pathProblem(to.pathname)
  if (problem !== undefined) throw refuse(shown, 'http redirect', problem)
  return to
}

/** True for a body `fetch` can send twice: none, or anything but a stream (or another one-shot source). */
function isReplayable(body: RequestInit['body']): boolean {
  return (
    body === undefined ||
    body === null ||
    typeof body === 'string' ||
    body instanceof ArrayBuffer ||
    ArrayBuffer.isView(body) ||
    body instanceof Blob ||
    body instanceof FormData ||
    body instanceof URLSearchParams
  )
}

/** The request a redirect leads to, as fetch makes it: 303, and 301/302 after a POST, become a GET without body. */
function redirected(init: RequestInit, status: number): RequestInit {
  const method = (init.method ?? 'GET').toUpperCase()
  const toGet = status === 303 ? method !== 'GET' && method !== 'HEAD' : (status === 301 || status === 302) && method === 'POST'
  if (!toGet) return init
  const headers = new Headers(init.headers)
  for (const name of BODY_HEADERS) headers.delete(name)
  return { ...init, method: 'GET', body: null, headers }
}

/**
 * `fetch` of `url` on `endpoint`, following redirects here (see `HttpService.fetch`) unless
 * the caller set `redirect` to `manual` or `error`.
 */
async function fetchFollowing(
  label: string,
  endpoint: Endpoint,
  url: URL,
  init: RequestInit,
  policy: TargetPolicy,
  attempts: readonly string[],
): Promise<Response> {
  if (init.redirect === 'manual') return fetch(url, init)
  if (init.redirect === 'error') {
    // As fetch refuses it, but not as a connection failure: no failover to the other instances.
    const response = await fetch(url, { ...init, redirect: 'manual' })
    if (!REDIRECT_STATUSES.has(response.status)) return response
    await discard(response)
    throw new HttpRequestError(label, `an unexpected ${response.status} redirect (redirect: 'error')`, attempts, response.status)
  }
  let current = url
  let request = init
  for (let hops = 0; ; hops += 1) {
    const response = await fetch(current, { ...request, redirect: 'manual' })
    const location = response.headers.get('location')
    if (!REDIRECT_STATUSES.has(response.status) || location === null) {
      // Followed here, so fetch does not know: say it as fetch would.
      if (hops > 0) Object.defineProperty(response, 'redirected', { value: true })
      return response
    }
    await discard(response)
    if (hops === MAX_REDIRECTS) {
      throw new HttpRequestError(
        label,
        `more than ${MAX_REDIRECTS} redirects, the last from ${redactUrlWithoutQuery(current.href)}`,
        attempts,
        response.status,
      )
    }
    const next = checkRedirect(label, endpoint, current, response.status, location, policy)
    request = redirected(request, response.status)
    if (!isReplayable(request.body)) {
      throw new HttpRequestError(
        label,
        `a ${response.status} redirect from ${redactUrlWithoutQuery(current.href)} asks to send the body again, and a streamed body can be read only once`,
        attempts,
        response.status,
      )
    }
    current = next
  }
}

/** No answer came back: a timeout, or a network failure (`fetch` rejects those with a TypeError whose cause says why). */
function isUnreachable(error: unknown): boolean {
  if (error instanceof Error && error.name === 'TimeoutError') return true
  return (error instanceof TypeError && error.cause !== undefined) || isTransient(error)
}

/** The error, and its cause's code or message (fetch hides ECONNREFUSED there). */
function describeFailure(error: unknown): string {
  const cause =
    error instanceof Error && error.cause instanceof Error
      ? `: ${(error.cause as Error & { code?: string }).code ?? error.cause.message}`
      : ''
  return `${describeError(error)}${cause}`
}

/** Cancels an unread body so its connection is released before the next attempt. */
async function discard(response: Response): Promise<void> {
  try {
    await response.body?.cancel()
  } catch {
    // Nothing to release.
  }
}

/**
 * A dependency on an HTTP service registered in Cloud Map (`type` `http`): a `url`
 * attribute, or the `AWS_INSTANCE_IPV4` (or `AWS_INSTANCE_CNAME`) and
 * `AWS_INSTANCE_PORT` that ECS and EC2 register. The base URL is checked once per
 * fetched set; `fetch` fails over to the service's other instances.
 *
 * @example
 * ```ts
 * import { z } from 'zod'
 * const api = http('prod.orders', { attributes: z.object({ version: z.string() }), timeoutMs: 2_000 })
 * const orders = await resolver.resolve(api)
 * const response = await orders.fetch('/orders/42', { headers: { accept: 'application/json' } })
 * if (!response.ok) throw new Error(`orders answered ${response.status}`)
 * ```
 */
// Declaring a dependency does nothing else: a bundler may drop one that is never used.
/* @__NO_SIDE_EFFECTS__ */
export function http<A extends Schema | undefined = undefined>(
  address: AddressInput,
  options: HttpOptions<A> = {},
): Dependency<HttpService<InferOutput<A, RawAttributes>>> {
  type Value = HttpService<InferOutput<A, RawAttributes>>
  const attributesSchema = options.attributes as Schema<InferOutput<A, RawAttributes>> | undefined
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS

  const bind: Dependency<Value>['bind'] = (registered, context) => {
    const { label } = context
    if (hasTypeToCheck(registered)) checkType(label, registered, 'http')
    const url = baseUrlOf(label, registered)
    const self: Endpoint = {
      instanceId: registered.instanceId,
      base: parseBase(label, registered.instanceId, url, context.policy),
      siblings: [],
    }

    const fetchWithFailover = async (path: string, init: HttpFetchInit = {}): Promise<Response> => {
      const { timeoutMs = defaultTimeoutMs, ...rest } = init
      if (!isTimeout(timeoutMs)) throw new RangeError(`timeoutMs of a fetch from "${label}": ${describeBadTimeout(timeoutMs)}`)
      const callerSignal = init.signal ?? undefined
      const method = (init.method ?? 'GET').toUpperCase()
      // A stream can be read once: it cannot be sent again.
      const canFailover = IDEMPOTENT.has(method) && isReplayable(init.body)
      const position = self.siblings.indexOf(self)
      const others = position < 0 ? [] : [...self.siblings.slice(position + 1), ...self.siblings.slice(0, position)]
      const targets = canFailover ? [self, ...others] : [self]
      // Checked against this instance's base before any attempt; the others share its path (one service, one API).
      const first = resolvePath(label, self.base, path)
      const attempts: string[] = []
      let lastStatus: number | undefined
      let lastError: unknown
      for (const [index, target] of targets.entries()) {
        attempts.push(target.instanceId)
        const timeout = AbortSignal.timeout(timerDelay(timeoutMs))
        const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout
        try {
          // The first target is this instance, whose URL is resolved above.
          const url = index === 0 ? first : resolvePath(label, target.base, path)
          const response = await fetchFollowing(label, target, url, { ...rest, signal }, context.policy, [...attempts])
          if (response.status < 500 || response.status > 599 || index === targets.length - 1) return response
          lastStatus = response.status
          await discard(response)
        } catch (error) {
          if (callerSignal?.aborted || !isUnreachable(error)) throw error
          lastError = error
        }
      }
      // The last attempt got no answer (a 5xx there is returned above); earlier 5xx statuses are kept in `status`.
      throw new HttpRequestError(label, describeFailure(lastError), attempts, lastStatus, { cause: lastError })
    }

    return andThen(
      bindResolved(registered, label, attributesSchema, () => ({ url, fetch: fetchWithFailover })),
      (value): Value => {
        endpoints.set(value, self)
        return value
      },
    )
  }

  // Each value learns the others of its fetched set, in registry order, to fail over to them.
  const link = (values: readonly Value[]): void => {
    const siblings = values.map((value) => endpoints.get(value)).filter((endpoint) => endpoint !== undefined)
    for (const endpoint of siblings) endpoint.siblings = siblings
  }

  const dependency = defineDependency<Value>('http', address, options, bind, link)
  if (!isTimeout(defaultTimeoutMs)) throw new RangeError(`timeoutMs of "${dependency.label}": ${describeBadTimeout(defaultTimeoutMs)}`)
  return dependency
}
