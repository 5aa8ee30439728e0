import { LambdaClient, type LambdaClientConfig } from '@aws-sdk/client-lambda'
import { SNSClient } from '@aws-sdk/client-sns'
import { SQSClient } from '@aws-sdk/client-sqs'

type Provided<C> = C | ((region: string | undefined) => C)

/** Configuration shared by the SDK clients the library creates (endpoint, credentials, retries). */
export type CallClientConfig = Pick<LambdaClientConfig, 'endpoint' | 'credentials' | 'maxAttempts' | 'requestHandler' | 'retryMode'>

/**
 * The SDK clients the call helpers use: each one injected (one client, or a factory
 * by region) or created lazily, once per process and region, from `config`.
 *
 * @example
 * ```ts
 * const resolver = createResolver({ clients: { sqs: new SQSClient({ endpoint: 'http://127.0.0.1:5000' }) } })
 * ```
 */
export interface CallClients {
  readonly lambda?: Provided<LambdaClient>
  readonly sqs?: Provided<SQSClient>
  readonly sns?: Provided<SNSClient>
  readonly config?: CallClientConfig
}

type Factory<C> = new (config: Record<string, unknown>) => C

/** Lazily created SDK clients, one per service and region. */
export class ClientPool {
  readonly #overrides: CallClients
  readonly #clients = new Map<string, unknown>()

  constructor(overrides: CallClients = {}) {
    this.#overrides = overrides
  }

  lambda(region: string | undefined): LambdaClient {
    return this.#get('lambda', region, this.#overrides.lambda, LambdaClient as unknown as Factory<LambdaClient>)
  }

  sqs(region: string | undefined): SQSClient {
    return this.#get('sqs', region, this.#overrides.sqs, SQSClient as unknown as Factory<SQSClient>)
  }

  sns(region: string | undefined): SNSClient {
    return this.#get('sns', region, this.#overrides.sns, SNSClient as unknown as Factory<SNSClient>)
  }

  #get<C>(service: string, region: string | undefined, provided: Provided<C> | undefined, Client: Factory<C>): C {
    if (provided !== undefined && typeof provided !== 'function') return provided
    const key = `${service}:${region ?? ''}`
    let client = this.#clients.get(key) as C | undefined
    if (!client) {
      client =
        typeof provided === 'function'
          ? (provided as (region: string | undefined) => C)(region)
          : new Client({ ...this.#overrides.config, ...(region ? { region } : {}) })
      this.#clients.set(key, client)
    }
    return client
  }
}

let shared: ClientPool | undefined

/** The pool used by resolvers that inject no clients: one per process. */
export function sharedClientPool(): ClientPool {
  shared ??= new ClientPool()
  return shared
}
