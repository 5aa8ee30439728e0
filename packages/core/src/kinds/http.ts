import { isIPv4, isIPv6 } from 'node:net'
import { andThen } from '../and-then.js'
import { checkType, requireAttribute } from '../calls/target.js'
import { bindResolved, defineDependency } from '../dependency/dependency.js'
import { AttributeValidationError, DisallowedPathError, DisallowedTargetError, describeError, HttpRequestError } from '../errors.js'
import { isHostName } from '../policy/hosts.js'
import { checkHost } from '../policy/policy.js'
import { redactUrl } from '../redact.js'
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
   * @throws {HttpRequestError} when the last attempt got no answer (connection error or
   *   timeout), with the instance ids tried and the last 5xx status seen, if any.
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

/**
 * The URL a `fetch(path)` requests: `path` relative to the base URL (one leading slash is
 * allowed and means the same), never outside the base URL's origin and path.
 *
 * @throws {DisallowedPathError} for an absolute or protocol-relative path, a backslash, or a path that leaves the base URL.
 */
function resolvePath(label: string, base: URL, path: string): URL {
  if (typeof path !== 'string') throw new DisallowedPathError(label, String(path), 'a path is a string')
  const relative = path.startsWith('/') ? path.slice(1) : path
  const beforeQuery = relative.split(/[?#]/, 1)[0] ?? ''
  const refuse = (reason: string) => new DisallowedPathError(label, path, reason)
  if (SCHEME.test(relative)) throw refuse('it is an absolute URL (prefix a relative path with "./")')
  if (relative.startsWith('/')) throw refuse('it is protocol-relative (it names another host)')
  if (beforeQuery.includes('\\')) throw refuse('it holds a backslash, which URL parsers read as a slash')
  const target = new URL(relative, base)
  if (target.origin !== base.origin || !target.pathname.startsWith(base.pathname)) {
    throw refuse(`it resolves outside the base URL's path ${base.pathname}`)
  }
  return target
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
      const canFailover = IDEMPOTENT.has(method) && !(init.body instanceof ReadableStream)
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
          const response = await fetch(index === 0 ? first : resolvePath(label, target.base, path), { ...rest, signal })
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
