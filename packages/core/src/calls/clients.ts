import { CloudMapMiddyError } from '../errors.js'
import { capturedClient, untracedOutsideInvocation } from '../tracing.js'
import type { AwsClientCapture, CallClients, Provided, SdkClient } from '../types/calls.js'
import { type CallPeer, observedClient } from './observe.js'

/**
 * An SDK client class (`SNSClient`), as the pool creates it.
 *
 * @internal
 */
export type ClientClass<C> = new (config: Record<string, unknown>) => C

/**
 * Runs `load` once; a failed load is tried again by the next caller.
 *
 * @internal
 */
export function once<T>(load: () => Promise<T>): () => Promise<T> {
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
 * SDK clients, one per service and region. It knows no service itself: each kind hands it
 * its own injected client and its own loader, so a bundle carries only the SDK clients of
 * the kinds it uses (a class's methods cannot be tree-shaken, so there is no method per service).
 *
 * @internal
 */
export class ClientPool {
  readonly #overrides: CallClients
  readonly #capture: AwsClientCapture | undefined
  readonly #clients = new Map<string, SdkClient>()
  readonly #created = new Map<string, () => Promise<unknown>>()

  constructor(overrides: CallClients = {}, capture?: AwsClientCapture) {
    this.#overrides = overrides
    this.#capture = capture
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
  client<C extends SdkClient>(
    service: string,
    region: string | undefined,
    provided: Provided<SdkClient> | undefined,
    load: () => Promise<ClientClass<C>>,
    extra?: () => Record<string, unknown>,
  ): () => Promise<C> {
    if (provided === undefined) {
      const key = `${service}:${region ?? ''}`
      return () => this.#create(key, region, load, extra)
    }
    // An injected client is taken to be the service's own (its type is structural: see SdkClient).
    const ready = Promise.resolve(this.injected(service, region, provided) as C)
    return () => ready
  }

  /** The injected client of a region: the client itself, or the one its factory gives (asked once per region). */
  injected(service: string, region: string | undefined, provided: Provided<SdkClient>): SdkClient {
    if (typeof provided !== 'function') return provided
    const key = `${service}:${region ?? ''}`
    const known = this.#clients.get(key)
    if (known !== undefined) return known
    const client = provided(region)
    this.#clients.set(key, client)
    return client
  }

  #create<C>(
    key: string,
    region: string | undefined,
    load: () => Promise<ClientClass<C>>,
    extra?: () => Record<string, unknown>,
  ): Promise<C> {
    let create = this.#created.get(key) as (() => Promise<C>) | undefined
    if (create === undefined) {
      // A failed creation (the SDK could not be loaded) is tried again by the next call.
      const capture = this.#capture
      create = once(() =>
        load().then((Client) => {
          const make = () =>
            untracedOutsideInvocation(new Client({ ...this.#overrides.config, ...extra?.(), ...(region ? { region } : {}) }))
          if (capture === undefined) return make()
          let plain: C | undefined
          const plainClient = () => {
            plain ??= make()
            return plain as C & SdkClient
          }
          return capturedClient(plainClient, make as () => C & SdkClient, capture)
        }),
      )
      this.#created.set(key, create)
    }
    return create()
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
 * that fail before sending never need the SDK. A module that cannot be loaded (its package
 * is not installed) rejects the call with an error naming the address and the package.
 *
 * @param peer the bound instance's address (named in the error) and kind: its client's sends are
 *   observed (OpenTelemetry peer attributes, the `cloudmap-middy:call` channel, see `observe.ts`).
 * @param load a loader of `sdk.ts`: it rejects with an `Error` naming the package.
 * @internal
 */
export function lazySender<Sdk, Client>(
  peer: CallPeer,
  load: () => Promise<Sdk>,
  connect: () => Promise<Client>,
): () => Promise<Sender<Sdk, Client>> {
  const { label } = peer
  return once(async () => {
    const sdk = await load().catch((error: unknown) => {
      throw new CloudMapMiddyError(label, `"${label}" cannot send: ${(error as Error).message}`, { cause: error })
    })
    return { sdk, client: observedClient(await connect(), peer) }
  })
}

/** Pools by `CallClients` object (this key when none), then by capture function (this key when none). */
const NONE = {}
const pools = new WeakMap<object, WeakMap<object, ClientPool>>()

/**
 * The client pool for a resolver's injected `clients` and `awsClientCapture`: one per
 * `CallClients` object and capture function, and one for the whole process when neither is
 * given. Asked by the kinds at bind time, so a handler that uses no call helper carries none of this.
 *
 * @internal
 */
export function clientPool(clients: CallClients | undefined, capture?: AwsClientCapture): ClientPool {
  let byCapture = pools.get(clients ?? NONE)
  if (!byCapture) {
    byCapture = new WeakMap()
    pools.set(clients ?? NONE, byCapture)
  }
  let pool = byCapture.get(capture ?? NONE)
  if (!pool) {
    pool = new ClientPool(clients, capture)
    byCapture.set(capture ?? NONE, pool)
  }
  return pool
}
