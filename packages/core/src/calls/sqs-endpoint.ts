// Where a queue's SQS requests go: the custom endpoint a queue URL may also be on (a local emulator).
import { environmentEndpoint, originOf } from '../endpoints.js'
import type { CallClients } from '../types/calls.js'
import type { ClientPool } from './clients.js'

/**
 * The origin (`http://127.0.0.1:5000`) of the custom endpoint SQS requests of `region` go
 * to, or `undefined` for AWS's own: the injected client's `endpoint` (a factory is asked
 * through `pool`, once per region), else `config.endpoint`, else env `AWS_ENDPOINT_URL_SQS` /
 * `AWS_ENDPOINT_URL`, as the SDK reads them. A queue URL on that origin is accepted as a
 * queue URL (see {@link locateQueue}).
 */
export function sqsEndpoint(
  pool: ClientPool,
  clients: CallClients | undefined,
  region: string | undefined,
): string | undefined | Promise<string | undefined> {
  const provided = clients?.sqs
  if (provided !== undefined) {
    const endpoint = (pool.injected('sqs', region, provided) as { config?: { endpoint?: unknown } }).config?.endpoint
    if (endpoint !== undefined) return endpointOrigin(endpoint)
  } else if (clients?.config?.endpoint !== undefined) return endpointOrigin(clients.config.endpoint)
  return environmentEndpoint('SQS')
}

/** The origin of an SDK `endpoint` setting: a string, a URL, an `Endpoint`, an `EndpointV2`, or a provider of one. */
function endpointOrigin(endpoint: unknown): string | undefined | Promise<string | undefined> {
  if (typeof endpoint === 'function') {
    const value: unknown = endpoint()
    return value instanceof Promise ? value.then(originOf, () => undefined) : originOf(value)
  }
  return originOf(endpoint)
}
