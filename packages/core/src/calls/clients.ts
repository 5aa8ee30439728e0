// Types only: the modules themselves are loaded on the first call that sends (see `loadLambdaSdk`).
import type * as EventBridgeSdk from '@aws-sdk/client-eventbridge'
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge'
import type * as LambdaSdk from '@aws-sdk/client-lambda'
import type { LambdaClient, LambdaClientConfig } from '@aws-sdk/client-lambda'
import type * as SfnSdk from '@aws-sdk/client-sfn'
import type { SFNClient } from '@aws-sdk/client-sfn'
import type * as SnsSdk from '@aws-sdk/client-sns'
import type { SNSClient } from '@aws-sdk/client-sns'
import type * as SqsSdk from '@aws-sdk/client-sqs'
import type { SQSClient } from '@aws-sdk/client-sqs'

type Provided<C> = C | ((region: string | undefined) => C)

/** Configuration shared by the SDK clients the library creates (endpoint, credentials, retries). */
export type CallClientConfig = Pick<LambdaClientConfig, 'endpoint' | 'credentials' | 'maxAttempts' | 'requestHandler' | 'retryMode'>

/**
 * The SDK clients the call helpers use: each one injected (one client, or a factory
 * by region) or created lazily, once per process and region, from `config`. A factory
 * is asked when an instance of its region is first bound; a client the library creates
 * itself (and its SDK module) waits for the first call that needs it.
 *
 * @example
 * ```ts
 * const resolver = createResolver({ clients: { sqs: new SQSClient({ endpoint: 'http://127.0.0.1:5000' }) } })
 * ```
 */
export interface CallClients {
  /** The Lambda client of `lambda()` dependencies: one client, or a factory asked once per region. */
  readonly lambda?: Provided<LambdaClient>
  /** The SQS client of `queue()` dependencies: one client, or a factory asked once per region. */
  readonly sqs?: Provided<SQSClient>
  /** The SNS client of `topic()` dependencies: one client, or a factory asked once per region. */
  readonly sns?: Provided<SNSClient>
  /**
   * The Step Functions client of `stateMachine()` dependencies: one client, or a factory asked
   * once per region. StartSyncExecution (`run()`) goes to a `sync-` host prefix: an injected
   * client with a custom endpoint (moto, LocalStack) needs `disableHostPrefix: true`, which the
   * library sets on the clients it creates itself when `config.endpoint`, env
   * `AWS_ENDPOINT_URL_SFN` or `AWS_ENDPOINT_URL` is set.
   */
  readonly sfn?: Provided<SFNClient>
  /** The EventBridge client of `eventBus()` dependencies: one client, or a factory asked once per region. */
  readonly eventBridge?: Provided<EventBridgeClient>
  /**
   * Configuration of the clients the library creates itself (not of injected ones); the
   * region of each comes from the target's ARN.
   */
  readonly config?: CallClientConfig
}

type Factory<C> = new (config: Record<string, unknown>) => C

/** Runs `load` once; a failed load is tried again by the next caller. */
function once<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined
  return () => {
    loading ??= load().catch((error: unknown) => {
      loading = undefined
      throw error
    })
    return loading
  }
}

/**
 * `@aws-sdk/client-lambda`, imported on first use: a handler that never invokes a function
 * does not load it at init.
 *
 * @internal
 */
export const loadLambdaSdk: () => Promise<typeof LambdaSdk> = once(() => import('@aws-sdk/client-lambda'))

/**
 * `@aws-sdk/client-sqs`, imported on first use.
 *
 * @internal
 */
export const loadSqsSdk: () => Promise<typeof SqsSdk> = once(() => import('@aws-sdk/client-sqs'))

/**
 * `@aws-sdk/client-sns`, imported on first use.
 *
 * @internal
 */
export const loadSnsSdk: () => Promise<typeof SnsSdk> = once(() => import('@aws-sdk/client-sns'))

/**
 * `@aws-sdk/client-sfn`, imported on first use.
 *
 * @internal
 */
export const loadSfnSdk: () => Promise<typeof SfnSdk> = once(() => import('@aws-sdk/client-sfn'))

/**
 * `@aws-sdk/client-eventbridge`, imported on first use.
 *
 * @internal
 */
export const loadEventBridgeSdk: () => Promise<typeof EventBridgeSdk> = once(() => import('@aws-sdk/client-eventbridge'))

/**
 * SDK clients, one per service and region. Each method is called at bind time and gives a
 * function that hands the client over: an injected client, or one from the injected factory
 * (asked now, once per region), or one created from `config` on that function's first call,
 * when the SDK module is loaded (once per process).
 */
export class ClientPool {
  readonly #overrides: CallClients
  readonly #clients = new Map<string, unknown>()
  readonly #created = new Map<string, Promise<unknown>>()

  constructor(overrides: CallClients = {}) {
    this.#overrides = overrides
  }

  lambda(region: string | undefined): () => Promise<LambdaClient> {
    return this.#get('lambda', region, this.#overrides.lambda, async () => (await loadLambdaSdk()).LambdaClient)
  }

  sqs(region: string | undefined): () => Promise<SQSClient> {
    return this.#get('sqs', region, this.#overrides.sqs, async () => (await loadSqsSdk()).SQSClient)
  }

  sns(region: string | undefined): () => Promise<SNSClient> {
    return this.#get('sns', region, this.#overrides.sns, async () => (await loadSnsSdk()).SNSClient)
  }

  /** A client the library creates for a custom endpoint has `disableHostPrefix`: StartSyncExecution's `sync-` prefix would miss it. */
  sfn(region: string | undefined): () => Promise<SFNClient> {
    return this.#get(
      'sfn',
      region,
      this.#overrides.sfn,
      async () => (await loadSfnSdk()).SFNClient,
      () => (this.#overrides.config?.endpoint !== undefined || environmentEndpoint('SFN') !== undefined ? { disableHostPrefix: true } : {}),
    )
  }

  eventBridge(region: string | undefined): () => Promise<EventBridgeClient> {
    return this.#get('eventbridge', region, this.#overrides.eventBridge, async () => (await loadEventBridgeSdk()).EventBridgeClient)
  }

  /**
   * The origin (`http://127.0.0.1:5000`) of the custom endpoint SQS requests of `region` go
   * to, or `undefined` for AWS's own: the injected client's `endpoint`, else `config.endpoint`,
   * else env `AWS_ENDPOINT_URL_SQS` / `AWS_ENDPOINT_URL`, as the SDK reads them. A queue URL
   * on that origin is accepted as a queue URL (see `locateQueue`).
   */
  sqsEndpoint(region: string | undefined): string | undefined | Promise<string | undefined> {
    const provided = this.#overrides.sqs
    if (provided !== undefined) {
      const client =
        typeof provided === 'function' ? this.#provided('sqs', region, provided as (region: string | undefined) => SQSClient) : provided
      const endpoint = (client as { config?: { endpoint?: unknown } }).config?.endpoint
      if (endpoint !== undefined) return endpointOrigin(endpoint)
    } else if (this.#overrides.config?.endpoint !== undefined) return endpointOrigin(this.#overrides.config.endpoint)
    return environmentEndpoint('SQS')
  }

  #get<C>(
    service: string,
    region: string | undefined,
    provided: Provided<C> | undefined,
    load: () => Promise<Factory<C>>,
    extra?: () => Record<string, unknown>,
  ): () => Promise<C> {
    const key = `${service}:${region ?? ''}`
    if (provided === undefined) return () => this.#create(key, region, load, extra)
    const client =
      typeof provided === 'function' ? this.#provided(service, region, provided as (region: string | undefined) => C) : provided
    const ready = Promise.resolve(client)
    return () => ready
  }

  /** The client an injected factory gives for a region: asked once per region. */
  #provided<C>(service: string, region: string | undefined, factory: (region: string | undefined) => C): C {
    const key = `${service}:${region ?? ''}`
    if (this.#clients.has(key)) return this.#clients.get(key) as C
    const client = factory(region)
    this.#clients.set(key, client)
    return client
  }

  #create<C>(key: string, region: string | undefined, load: () => Promise<Factory<C>>, extra?: () => Record<string, unknown>): Promise<C> {
    let client = this.#created.get(key) as Promise<C> | undefined
    if (!client) {
      const created = load().then((Client) => new Client({ ...this.#overrides.config, ...extra?.(), ...(region ? { region } : {}) }))
      // A failed creation (the SDK could not be loaded) is tried again by the next call.
      created.catch(() => {
        if (this.#created.get(key) === created) this.#created.delete(key)
      })
      this.#created.set(key, created)
      client = created
    }
    return client
  }
}

/**
 * What a bound instance sends with: the SDK module (for its command classes) and the client.
 *
 * @internal
 */
export interface Sender<Sdk, Client> {
  readonly sdk: Sdk
  readonly client: Client
}

/**
 * The sender of one bound instance, got on its first call (loading the SDK module and
 * creating the client when needed) and kept: nothing is loaded at bind time, so checks
 * that fail before sending never need the SDK.
 *
 * @internal
 */
export function lazySender<Sdk, Client>(load: () => Promise<Sdk>, connect: () => Promise<Client>): () => Promise<Sender<Sdk, Client>> {
  return once(async () => {
    const [sdk, client] = await Promise.all([load(), connect()])
    return { sdk, client }
  })
}

/** The origin of an SDK `endpoint` setting: a string, a URL, an `Endpoint`, an `EndpointV2`, or a provider of one. */
function endpointOrigin(endpoint: unknown): string | undefined | Promise<string | undefined> {
  if (typeof endpoint === 'function') {
    const value: unknown = endpoint()
    return value instanceof Promise ? value.then(originOf, () => undefined) : originOf(value)
  }
  return originOf(endpoint)
}

function originOf(endpoint: unknown): string | undefined {
  if (typeof endpoint === 'string') return URL.canParse(endpoint) ? new URL(endpoint).origin : undefined
  if (endpoint instanceof URL) return endpoint.origin
  if (typeof endpoint !== 'object' || endpoint === null) return undefined
  const { url, protocol, hostname, port } = endpoint as { url?: unknown; protocol?: unknown; hostname?: unknown; port?: unknown }
  if (url instanceof URL) return url.origin
  if (typeof protocol !== 'string' || typeof hostname !== 'string') return undefined
  const text = `${protocol.endsWith(':') ? protocol : `${protocol}:`}//${hostname}${port === undefined ? '' : `:${port}`}`
  return URL.canParse(text) ? new URL(text).origin : undefined
}

/** The endpoint the SDK takes from the environment for a service (`AWS_ENDPOINT_URL_SQS`, then `AWS_ENDPOINT_URL`). */
function environmentEndpoint(service: string): string | undefined {
  if (['true', '1'].includes(process.env.AWS_IGNORE_CONFIGURED_ENDPOINT_URLS ?? '')) return undefined
  const text = process.env[`AWS_ENDPOINT_URL_${service}`] || process.env.AWS_ENDPOINT_URL
  return text ? originOf(text) : undefined
}

let shared: ClientPool | undefined
const pools = new WeakMap<CallClients, ClientPool>()

/**
 * The client pool for a resolver's injected `clients`: one per `CallClients` object, and one
 * for the whole process when nothing is injected. Asked by the kinds at bind time, so a
 * handler that uses no call helper carries none of this.
 *
 * @internal
 */
export function clientPool(clients: CallClients | undefined): ClientPool {
  if (clients === undefined) {
    shared ??= new ClientPool()
    return shared
  }
  let pool = pools.get(clients)
  if (!pool) {
    pool = new ClientPool(clients)
    pools.set(clients, pool)
  }
  return pool
}
