import {
  DiscoverInstancesCommand,
  DiscoverInstancesRevisionCommand,
  ServiceDiscoveryClient,
  type ServiceDiscoveryClientConfig,
} from '@aws-sdk/client-servicediscovery'
import { describeAddress } from '../address/address.js'
import { ServiceNotFoundError } from '../errors.js'
import type { Discovery, DiscoveryQuery, Registry, RegistryCallOptions } from './types.js'

/** How to reach Cloud Map: an injected client, or the configuration of a new one (never both). */
export type CloudMapRegistryOptions =
  | { readonly client: ServiceDiscoveryClient; readonly clientConfig?: never }
  | { readonly client?: never; readonly clientConfig?: ServiceDiscoveryClientConfig }

const NOT_FOUND = new Set(['NamespaceNotFound', 'ServiceNotFound'])

/**
 * True when the SDK would send DiscoverInstances to a custom endpoint. Cloud Map's
 * data plane is reached through a `data-` host prefix, which a custom endpoint
 * (moto, LocalStack, a VPC endpoint) does not have.
 */
function hasCustomEndpoint(config: ServiceDiscoveryClientConfig): boolean {
  return config.endpoint !== undefined || Boolean(process.env.AWS_ENDPOINT_URL_SERVICEDISCOVERY) || Boolean(process.env.AWS_ENDPOINT_URL)
}

/**
 * Creates a Cloud Map client; a custom endpoint (`clientConfig.endpoint` or
 * `AWS_ENDPOINT_URL`) turns on `disableHostPrefix`.
 *
 * @example
 * ```ts
 * const client = createCloudMapClient({ endpoint: 'http://127.0.0.1:5000', region: 'us-east-1' })
 * ```
 */
export function createCloudMapClient(config: ServiceDiscoveryClientConfig = {}): ServiceDiscoveryClient {
  return new ServiceDiscoveryClient(
    hasCustomEndpoint(config) && config.disableHostPrefix === undefined ? { ...config, disableHostPrefix: true } : config,
  )
}

function queryLabel(query: DiscoveryQuery): string {
  return describeAddress(
    query.account === undefined ? query : { namespace: query.namespace, service: query.service, account: query.account },
  )
}

function rethrow(query: DiscoveryQuery, error: unknown): never {
  if (error instanceof Error && NOT_FOUND.has(error.name)) throw new ServiceNotFoundError(queryLabel(query), { cause: error })
  throw error
}

class CloudMapRegistry implements Registry {
  readonly #client: ServiceDiscoveryClient

  constructor(client: ServiceDiscoveryClient) {
    this.#client = client
  }

  async discover(query: DiscoveryQuery, options: RegistryCallOptions = {}): Promise<Discovery> {
    const command = new DiscoverInstancesCommand({
      NamespaceName: query.namespace,
      ServiceName: query.service,
      HealthStatus: query.healthStatus,
      QueryParameters: query.queryParameters,
      OptionalParameters: query.optionalParameters,
      MaxResults: query.maxResults,
      OwnerAccount: query.account,
    })
    const output = await this.#client
      .send(command, options.signal ? { abortSignal: options.signal } : {})
      .catch((error: unknown) => rethrow(query, error))
    const instances = (output.Instances ?? []).map((summary) => ({
      instanceId: summary.InstanceId ?? '',
      attributes: summary.Attributes ?? {},
      ...(summary.HealthStatus === undefined ? {} : { healthStatus: summary.HealthStatus }),
    }))
    return output.InstancesRevision === undefined ? { instances } : { instances, revision: output.InstancesRevision }
  }

  async revision(query: DiscoveryQuery, options: RegistryCallOptions = {}): Promise<number | undefined> {
    const command = new DiscoverInstancesRevisionCommand({
      NamespaceName: query.namespace,
      ServiceName: query.service,
      OwnerAccount: query.account,
    })
    const output = await this.#client
      .send(command, options.signal ? { abortSignal: options.signal } : {})
      .catch((error: unknown) => rethrow(query, error))
    return output.InstancesRevision
  }
}

const byClient = new WeakMap<ServiceDiscoveryClient, Registry>()
let shared: Registry | undefined

/**
 * The Cloud Map registry. Without options it is one registry per process, so every
 * resolver that uses it shares one cache; with the same injected client, too.
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
  if (options.clientConfig) return new CloudMapRegistry(createCloudMapClient(options.clientConfig))
  shared ??= new CloudMapRegistry(createCloudMapClient())
  return shared
}
