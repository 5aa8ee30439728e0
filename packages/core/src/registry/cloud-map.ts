import type * as CloudMapSdk from '@aws-sdk/client-servicediscovery'
import type {
  DiscoverInstancesCommandOutput,
  DiscoverInstancesRevisionCommandOutput,
  ServiceDiscoveryClient,
  ServiceDiscoveryClientConfig,
} from '@aws-sdk/client-servicediscovery'
import { describeAddress } from '../address/address.js'
import { environmentEndpointUrl } from '../endpoints.js'
import { NamespaceNotFoundError, ServiceNotFoundError } from '../errors.js'
import { capturedClient, untracedOutsideInvocation } from '../tracing.js'
import { isTransient } from '../transient.js'
import type { AwsClientCapture } from '../types/calls.js'
import type { Discovery, DiscoveryQuery, Registry, RegistryCallOptions } from '../types/registry.js'
import { discoverDirect, discoverInput } from './direct.js'

/** How to reach Cloud Map: an injected client, or the configuration of a new one (never both). */
export type CloudMapRegistryOptions =
  | {
      /** The Cloud Map client to send with, used as it is. */
      readonly client: ServiceDiscoveryClient
      /** Not with `client`. */
      readonly clientConfig?: never
    }
  | {
      /** Not with `clientConfig`. */
      readonly client?: never
      /**
       * Configuration of the client the registry creates as `createCloudMapClient` does;
       * equal configurations share one registry. Default: the process-wide registry.
       */
      readonly clientConfig?: ServiceDiscoveryClientConfig
    }

/**
 * True when the SDK would send DiscoverInstances to a custom endpoint. Cloud Map's
 * data plane is reached through a `data-` host prefix, which a custom endpoint
 * (moto, LocalStack, a VPC endpoint) does not have.
 *
 * Unlike the call helpers' clients, this does not honour `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS`
 * (an endpoint set in the environment counts even then), as it never has.
 */
function hasCustomEndpoint(config: ServiceDiscoveryClientConfig): boolean {
  return config.endpoint !== undefined || environmentEndpointUrl('SERVICEDISCOVERY', false) !== undefined
}

/**
 * True when the user chose how the SDK retries: in the configuration, or for every client
 * of the process with `AWS_MAX_ATTEMPTS`.
 */
function hasRetrySettings(config: ServiceDiscoveryClientConfig): boolean {
  return config.maxAttempts !== undefined || config.retryStrategy !== undefined || Boolean(process.env.AWS_MAX_ATTEMPTS)
}

/**
 * The configuration `createCloudMapClient` gives the SDK: `config`, with one attempt per
 * request unless it or `AWS_MAX_ATTEMPTS` says otherwise, and `disableHostPrefix` with a
 * custom endpoint.
 *
 * @internal
 */
export function cloudMapClientConfig(config: ServiceDiscoveryClientConfig): ServiceDiscoveryClientConfig {
  return {
    ...config,
    ...(hasRetrySettings(config) ? {} : { maxAttempts: 1 }),
    ...(hasCustomEndpoint(config) && config.disableHostPrefix === undefined ? { disableHostPrefix: true } : {}),
  }
}

let sdk: Promise<typeof CloudMapSdk> | undefined
/**
 * Whether the process-wide registry may send DiscoverInstances without the SDK while the SDK is
 * not loaded (registry/direct.ts). Off for good once such a request met an answer that says
 * nothing of Cloud Map (a refused signature, a body that is not Cloud Map's): the SDK sends instead.
 */
let direct = true
/**
 * `@aws-sdk/client-servicediscovery`, imported when the first request is made rather than with
 * the handler: a cold start served from the deploy-time snapshot needs it only after its first
 * response, and one that asks Cloud Map at init imports it while the other modules load.
 */
function loadSdk(): Promise<typeof CloudMapSdk> {
  sdk ??= import('@aws-sdk/client-servicediscovery').catch((cause: unknown) => {
    // Not kept: the next request tries again (a package installed since, a transient read error).
    sdk = undefined
    throw new Error('@aws-sdk/client-servicediscovery could not be loaded: install it (npm install @aws-sdk/client-servicediscovery)', {
      cause,
    })
  })
  return sdk
}

function queryLabel(query: DiscoveryQuery): string {
  return describeAddress(
    query.account === undefined ? query : { namespace: query.namespace, service: query.service, account: query.account },
  )
}

function rethrow(query: DiscoveryQuery, error: unknown): never {
  if (error instanceof Error && error.name === 'NamespaceNotFound')
    throw new NamespaceNotFoundError(queryLabel(query), query.namespace, { cause: error })
  if (error instanceof Error && error.name === 'ServiceNotFound') throw new ServiceNotFoundError(queryLabel(query), { cause: error })
  throw error
}

/**
 * Sends the command `make` builds with the SDK, telling `options.onSetup` before the SDK is
 * loaded and `options.onSent` when the request reaches the HTTP handler: the module's import
 * and the client's setup (credentials, endpoint rules) are not what a request timeout measures.
 */
async function send<Output>(
  client: (sdk: typeof CloudMapSdk) => ServiceDiscoveryClient,
  make: (sdk: typeof CloudMapSdk) => { middlewareStack: { add: (middleware: never, options: object) => void } },
  options: RegistryCallOptions,
): Promise<Output> {
  const { onSent } = options
  if (onSent) options.onSetup?.()
  const loaded = await loadSdk()
  const command = make(loaded)
  if (onSent) {
    // The innermost middleware: the last step before the request goes on the wire, once per attempt.
    const sent = (next: (args: unknown) => Promise<unknown>) => (args: unknown) => {
      onSent()
      return next(args)
    }
    command.middlewareStack.add(sent as never, { step: 'deserialize', priority: 'low', name: 'cloudmapMiddyRequestSent' })
  }
  return client(loaded).send(command as never, options.signal ? { abortSignal: options.signal } : {}) as Promise<Output>
}

class CloudMapRegistry implements Registry {
  /** The injected client, or the one made from `#config` on the first request. */
  #client: ServiceDiscoveryClient | undefined
  /** The configuration the registry creates its client from; `undefined` for an injected client, used as it is. */
  readonly #config: ServiceDiscoveryClientConfig | undefined
  /** By capture function: the client that sends captured in an invocation and as `#client` outside one. */
  readonly #captured = new WeakMap<AwsClientCapture, ServiceDiscoveryClient>()

  constructor(client: ServiceDiscoveryClient | undefined, config?: ServiceDiscoveryClientConfig) {
    this.#client = client
    this.#config = config
  }

  /** The client to send with, once the SDK is loaded: captured when the caller asks it and the registry created its client. */
  #clientFor(loaded: typeof CloudMapSdk, capture: AwsClientCapture | undefined): ServiceDiscoveryClient {
    const config = this.#config as ServiceDiscoveryClientConfig
    const make = () => new loaded.ServiceDiscoveryClient(cloudMapClientConfig(config))
    this.#client ??= untracedOutsideInvocation(make())
    if (capture === undefined || this.#config === undefined) return this.#client
    let client = this.#captured.get(capture)
    if (!client) {
      const plain = this.#client
      client = capturedClient(() => plain, make, capture)
      this.#captured.set(capture, client)
    }
    return client
  }

  /** DiscoverInstances without the SDK (registry/direct.ts) when this is the process-wide registry and it may; else `undefined`. */
  #direct(query: DiscoveryQuery, options: RegistryCallOptions): Promise<DiscoverInstancesCommandOutput | undefined> | undefined {
    const pending = direct && sdk === undefined && this === shared ? discoverDirect(query, options) : undefined
    return pending?.then(
      (output) => output as DiscoverInstancesCommandOutput,
      (error: unknown) => {
        // Cloud Map's own answers and transient failures stand, as they would from the SDK.
        if (isTransient(error) || (error instanceof Error && /^(?:Namespace|Service)NotFound$/.test(error.name))) rethrow(query, error)
        direct = false
        return undefined
      },
    )
  }

  async discover(query: DiscoveryQuery, options: RegistryCallOptions = {}): Promise<Discovery> {
    // No await when nothing goes direct: the SDK's request starts in this turn, as it always has.
    const direct = this.#direct(query, options)
    const output =
      (direct && (await direct)) ??
      (await send<DiscoverInstancesCommandOutput>(
        (loaded) => this.#clientFor(loaded, options.awsClientCapture),
        (loaded) => new loaded.DiscoverInstancesCommand(discoverInput(query)),
        options,
      ).catch((error: unknown) => rethrow(query, error)))
    const instances = (output.Instances ?? []).map((summary) => ({
      instanceId: summary.InstanceId ?? '',
      attributes: summary.Attributes ?? {},
      ...(summary.HealthStatus === undefined ? {} : { healthStatus: summary.HealthStatus }),
    }))
    return output.InstancesRevision === undefined ? { instances } : { instances, revision: output.InstancesRevision }
  }

  async revision(query: DiscoveryQuery, options: RegistryCallOptions = {}): Promise<number | undefined> {
    const output = await send<DiscoverInstancesRevisionCommandOutput>(
      (loaded) => this.#clientFor(loaded, options.awsClientCapture),
      (loaded) =>
        new loaded.DiscoverInstancesRevisionCommand({
          NamespaceName: query.namespace,
          ServiceName: query.service,
          OwnerAccount: query.account,
        }),
      options,
    ).catch((error: unknown) => rethrow(query, error))
    return output.InstancesRevision
  }
}

const byClient = new WeakMap<ServiceDiscoveryClient, Registry>()
/** Registries made from a `clientConfig`, by its key: held weakly, so one nobody uses any more is collected with its cache. */
const byConfig = new Map<string, WeakRef<Registry>>()
const forgetConfig = new FinalizationRegistry<string>((key) => {
  if (byConfig.get(key)?.deref() === undefined) byConfig.delete(key)
})
/** Identities of the non-plain values of configurations (providers, handlers): compared by identity, never retained. */
const identities = new WeakMap<object, number>()
let lastIdentity = 0
let shared: Registry | undefined

/**
 * A text equal for equal configurations: primitives by value, plain objects and arrays by
 * their members (keys sorted, `undefined` members ignored), anything else by identity: a
 * function, a class instance, a symbol (a key of its own, never shared), and a cycle where it
 * closes. Written short: every handler's bundle carries it.
 */
function configKey(value: unknown, path: Set<object>): string {
  const type = typeof value
  if (type === 'string') return JSON.stringify(value)
  if (value === null) return 'null'
  if (type !== 'object' && type !== 'function' && type !== 'symbol') return `${type}:${String(value)}`
  const object = Object(value) as Record<string, unknown>
  const prototype = Object.getPrototypeOf(object)
  const isArray = Array.isArray(object)
  if (type !== 'object' || path.has(object) || !(isArray || prototype === Object.prototype || prototype === null)) {
    if (!identities.has(object)) identities.set(object, ++lastIdentity)
    return `#${identities.get(object)}`
  }
  path.add(object)
  // An array in a template literal is its items joined by commas.
  const text = isArray
    ? `[${(object as unknown as unknown[]).map((item) => configKey(item, path))}]`
    : `{${Object.keys(object)
        .filter((name) => object[name] !== undefined)
        .sort()
        .map((name) => `${JSON.stringify(name)}:${configKey(object[name], path)}`)}}`
  path.delete(object)
  return text
}

/**
 * The Cloud Map registry. Without options it is one registry per process, so every
 * resolver that uses it shares one cache; with the same injected client, too.
 *
 * With `clientConfig`, equal configurations share one registry (one client, one cache) for
 * as long as any resolver uses it. Equal means: the same plain values (strings, numbers,
 * plain objects and arrays, compared member by member, `undefined` members ignored), and
 * the very same object for anything else: a credentials provider function, a
 * `requestHandler`, a logger. Create such values once and pass the same one, or each call
 * makes a client of its own (`fromNodeProviderChain()` called twice gives two providers).
 * A configuration equal to `{}` is the process-wide registry.
 *
 * @example
 * ```ts
 * const registry = cloudMapRegistry({ clientConfig: { region: 'eu-west-1' } })
 * const resolver = createResolver({ registry })
 * ```
 */
export function cloudMapRegistry(options: CloudMapRegistryOptions = {}): Registry {
  if (options.client) {
    let registry = byClient.get(options.client)
    if (!registry) {
      registry = new CloudMapRegistry(options.client)
      byClient.set(options.client, registry)
    }
    return registry
  }
  const key = options.clientConfig ? configKey(options.clientConfig, new Set()) : '{}'
  if (key === '{}') {
    shared ??= new CloudMapRegistry(undefined, {})
    return shared
  }
  let registry = byConfig.get(key)?.deref()
  if (!registry) {
    const config = options.clientConfig ?? {}
    registry = new CloudMapRegistry(undefined, config)
    byConfig.set(key, new WeakRef(registry))
    forgetConfig.register(registry, key)
  }
  return registry
}
