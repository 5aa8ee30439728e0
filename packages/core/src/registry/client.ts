import { ServiceDiscoveryClient, type ServiceDiscoveryClientConfig } from '@aws-sdk/client-servicediscovery'
import { cloudMapClientConfig } from './cloud-map.js'

/**
 * Creates a Cloud Map client; a custom endpoint (`clientConfig.endpoint` or
 * `AWS_ENDPOINT_URL`) turns on `disableHostPrefix`.
 *
 * The client makes one attempt per request (`maxAttempts: 1`) unless the configuration or
 * `AWS_MAX_ATTEMPTS` says otherwise: the resolver retries itself, within the caller's budget
 * and one request at a time per service, so the SDK's own retries would only multiply the
 * attempts and sleep past the budget. (`retryMode: 'adaptive'` is no better here: its rate
 * limiter is per client, that is per container, and makes a throttled container wait outside
 * any budget; bench/src/fleet.ts measures the choices.)
 *
 * The registries the library creates make the same client, importing the SDK on their first
 * request; this function imports it with the module that uses it.
 *
 * @example
 * ```ts
 * const client = createCloudMapClient({ endpoint: 'http://127.0.0.1:5000', region: 'us-east-1' })
 * ```
 */
export function createCloudMapClient(config: ServiceDiscoveryClientConfig = {}): ServiceDiscoveryClient {
  return new ServiceDiscoveryClient(cloudMapClientConfig(config))
}
