import { isIPv4 } from 'node:net'
import type { AddressInput } from '../address/address.js'
import { checkType } from '../calls/target.js'
import { andThen, type Dependency, type DiscoveryOptions, defineDependency, parseAttributes } from '../dependency/dependency.js'
import { type AttributeIssue, AttributeValidationError, describeError, HttpRequestError } from '../errors.js'
import type { RegisteredInstance } from '../registry/types.js'
import { isTransient } from '../transient.js'
import type { InferOutput, Schema } from '../schema.js'
import type { RawAttributes } from './instance.js'

/** Options of `http()`: a schema for the attributes, a default timeout, and discovery options. */
export interface HttpOptions<A extends Schema | undefined> extends DiscoveryOptions {
  readonly attributes?: A
  /** Bound on one attempt against one instance, reading the body included. Default 10 000 ms. */
  readonly timeoutMs?: number
}

/** `fetch` options, plus a timeout for this call. */
export interface HttpFetchInit extends RequestInit {
  /** Overrides the dependency's `timeoutMs` for this call (per attempt). */
  readonly timeoutMs?: number
}

/** A resolved HTTP service: the selected instance, its base URL and a `fetch` with failover. */
export interface HttpService<Attributes> {
  readonly instanceId: string
  /** The address it was resolved from, as text. */
  readonly address: string
  readonly attributes: Attributes
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

/** The instance's base URL: its `url` attribute, else the IP address (or CNAME) and port that ECS and EC2 register. */
function baseUrlOf(label: string, registered: RegisteredInstance): string {
  const { url, AWS_INSTANCE_IPV4: ip, AWS_INSTANCE_CNAME: cname, AWS_INSTANCE_PORT: port } = registered.attributes
  const invalid = (issues: AttributeIssue[]) => new AttributeValidationError(label, registered.instanceId, issues)
  if (url !== undefined && url !== '') return url
  if ((ip === undefined || ip === '') && (cname === undefined || cname === '')) {
    const message = 'required for an http target: a url, or an AWS_INSTANCE_IPV4 or AWS_INSTANCE_CNAME (with an optional AWS_INSTANCE_PORT)'
    throw invalid(['url', 'AWS_INSTANCE_IPV4', 'AWS_INSTANCE_CNAME'].map((name) => ({ path: [name], message })))
  }
  if (ip !== undefined && ip !== '' && !isIPv4(ip))
    throw invalid([{ path: ['AWS_INSTANCE_IPV4'], message: `"${ip}" is not an IPv4 address` }])
  if (port !== undefined && port !== '' && !(/^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65_535)) {
    throw invalid([{ path: ['AWS_INSTANCE_PORT'], message: `"${port}" is not a port number` }])
  }
  const host = ip !== undefined && ip !== '' ? ip : cname
  return port !== undefined && port !== '' ? `http://${host}:${port}` : `http://${host}`
}

/** Parses the base URL once, at bind time: http or https, with a trailing slash on its path. */
function parseBase(label: string, instanceId: string, url: string): URL {
  let base: URL
  try {
    base = new URL(url)
  } catch {
    throw new AttributeValidationError(label, instanceId, [{ path: ['url'], message: `"${url}" is not a URL` }])
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new AttributeValidationError(label, instanceId, [{ path: ['url'], message: `"${url}" is not an http or https URL` }])
  }
  if (!base.pathname.endsWith('/')) base.pathname += '/'
  return base
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
export function http<A extends Schema | undefined = undefined>(
  address: AddressInput,
  options: HttpOptions<A> = {},
): Dependency<HttpService<InferOutput<A, RawAttributes>>> {
  type Value = HttpService<InferOutput<A, RawAttributes>>
  const attributesSchema = options.attributes as Schema<InferOutput<A, RawAttributes>> | undefined
  const defaultTimeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS

  const bind: Dependency<Value>['bind'] = (registered, context) => {
    const { label } = context
    checkType(label, registered, 'http')
    const url = baseUrlOf(label, registered)
    const self: Endpoint = { instanceId: registered.instanceId, base: parseBase(label, registered.instanceId, url), siblings: [] }

    const fetchWithFailover = async (path: string, init: HttpFetchInit = {}): Promise<Response> => {
      const { timeoutMs = defaultTimeoutMs, ...rest } = init
      const callerSignal = init.signal ?? undefined
      const method = (init.method ?? 'GET').toUpperCase()
      // A stream can be read once: it cannot be sent again.
      const canFailover = IDEMPOTENT.has(method) && !(init.body instanceof ReadableStream)
      const position = self.siblings.indexOf(self)
      const others = position < 0 ? [] : [...self.siblings.slice(position + 1), ...self.siblings.slice(0, position)]
      const targets = canFailover ? [self, ...others] : [self]
      const relative = path.replace(/^\/+/, '')
      const attempts: string[] = []
      let lastStatus: number | undefined
      let lastError: unknown
      for (const [index, target] of targets.entries()) {
        attempts.push(target.instanceId)
        const timeout = AbortSignal.timeout(timeoutMs)
        const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout
        try {
          const response = await fetch(new URL(relative, target.base), { ...rest, signal })
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

    return andThen(parseAttributes(attributesSchema, registered, label), (attributes): Value => {
      const value: Value = Object.freeze({
        instanceId: registered.instanceId,
        address: label,
        attributes,
        url,
        fetch: fetchWithFailover,
      })
      endpoints.set(value, self)
      return value
    })
  }

  // Each value learns the others of its fetched set, in registry order, to fail over to them.
  const link = (values: readonly Value[]): void => {
    const siblings = values.map((value) => endpoints.get(value)).filter((endpoint) => endpoint !== undefined)
    for (const endpoint of siblings) endpoint.siblings = siblings
  }

  const dependency = defineDependency<Value>('http', address, options, bind, link)
  if (!(Number.isFinite(defaultTimeoutMs) && defaultTimeoutMs > 0)) {
    throw new RangeError(`timeoutMs of "${dependency.label}" must be a positive number of milliseconds, not ${defaultTimeoutMs}`)
  }
  return dependency
}
