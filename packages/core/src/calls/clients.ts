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

/**
 * An SDK client class (`SNSClient`), as the pool creates it.
 *
 * @internal
 */
export type ClientClass<C> = new (config: Record<string, unknown>) => C

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

// Each loader is `@__PURE__`: a bundle keeps only those of the kinds it uses, and their SDK modules with them.

/**
 * `@aws-sdk/client-lambda`, imported on first use: a handler that never invokes a function
 * does not load it at init.
 *
 * @internal
 */
export const loadLambdaSdk: () => Promise<typeof LambdaSdk> = /* @__PURE__ */ once(() => import('@aws-sdk/client-lambda'))

/**
 * `@aws-sdk/client-sqs`, imported on first use.
 *
 * @internal
 */
export const loadSqsSdk: () => Promise<typeof SqsSdk> = /* @__PURE__ */ once(() => import('@aws-sdk/client-sqs'))

/**
 * `@aws-sdk/client-sns`, imported on first use.
 *
 * @internal
 */
export const loadSnsSdk: () => Promise<typeof SnsSdk> = /* @__PURE__ */ once(() => import('@aws-sdk/client-sns'))

/**
 * `@aws-sdk/client-sfn`, imported on first use.
 *
 * @internal
 */
export const loadSfnSdk: () => Promise<typeof SfnSdk> = /* @__PURE__ */ once(() => import('@aws-sdk/client-sfn'))

/**
 * `@aws-sdk/client-eventbridge`, imported on first use.
 *
 * @internal
 */
export const loadEventBridgeSdk: () => Promise<typeof EventBridgeSdk> = /* @__PURE__ */ once(() => import('@aws-sdk/client-eventbridge'))

/**
 * SDK clients, one per service and region. It knows no service itself: each kind hands it
 * its own injected client and its own loader, so a bundle carries only the SDK clients of
 * the kinds it uses (a class's methods cannot be tree-shaken, so there is no method per service).
 *
 * @internal
 */
export class ClientPool {
  readonly #overrides: CallClients
  readonly #clients = new Map<string, unknown>()
  readonly #created = new Map<string, Promise<unknown>>()

  constructor(overrides: CallClients = {}) {
    this.#overrides = overrides
  }

  /**
   * Called at bind time; gives a function that hands the client over: the injected client
   * (`provided`), or one from the injected factory (asked now, once per region), or one
   * created from `config` on that function's first call, when `load` gives its class (the
   * SDK module is loaded once per process).
   *
   * @param service the key of the service's clients (`sns`).
   * @param provided the kind's injected client or factory (`clients.sns`), if any.
   * @param load the SDK client class (`SNSClient`), loaded with its module.
   * @param extra configuration the kind adds to a client the pool creates, read when it is created.
   */
  client<C>(
    service: string,
    region: string | undefined,
    provided: Provided<C> | undefined,
    load: () => Promise<ClientClass<C>>,
    extra?: () => Record<string, unknown>,
  ): () => Promise<C> {
    if (provided === undefined) {
      const key = `${service}:${region ?? ''}`
      return () => this.#create(key, region, load, extra)
    }
    const ready = Promise.resolve(this.injected(service, region, provided))
    return () => ready
  }

  /** The injected client of a region: the client itself, or the one its factory gives (asked once per region). */
  injected<C>(service: string, region: string | undefined, provided: Provided<C>): C {
    if (typeof provided !== 'function') return provided as C
    const key = `${service}:${region ?? ''}`
    if (this.#clients.has(key)) return this.#clients.get(key) as C
    const client = (provided as (region: string | undefined) => C)(region)
    this.#clients.set(key, client)
    return client
  }

  #create<C>(
    key: string,
    region: string | undefined,
    load: () => Promise<ClientClass<C>>,
    extra?: () => Record<string, unknown>,
  ): Promise<C> {
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
