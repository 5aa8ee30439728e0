// The SDK clients the call helpers take: structural, so no optional SDK package is named.
import type { ServiceDiscoveryClientConfig } from '@aws-sdk/client-servicediscovery'

/**
 * An AWS SDK for JavaScript v3 client (`new SQSClient({})`), as the library takes one: any
 * client of the `@aws-sdk/client-*` packages fits. The library's own structural type, so the
 * declarations refer to no optional SDK package: an app installs only the clients it uses.
 * Each client must be the one of its service (`sqs`: an `SQSClient`).
 *
 * @example
 * ```ts
 * const sqs: SdkClient = new SQSClient({ endpoint: 'http://127.0.0.1:5000' })
 * ```
 */
export interface SdkClient {
  /** Sends a command (`client.send(new SendMessageCommand(input))`). */
  send(command: never, options?: never): Promise<unknown>
}

/** One client, or a factory asked once per region. */
export type Provided<C> = C | ((region: string | undefined) => C)

/** Configuration shared by the SDK clients the library creates (endpoint, credentials, retries). */
export type CallClientConfig = Pick<
  ServiceDiscoveryClientConfig,
  'endpoint' | 'credentials' | 'maxAttempts' | 'requestHandler' | 'retryMode'
>

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
  readonly lambda?: Provided<SdkClient>
  /** The SQS client of `queue()` dependencies: one client, or a factory asked once per region. */
  readonly sqs?: Provided<SdkClient>
  /** The SNS client of `topic()` dependencies: one client, or a factory asked once per region. */
  readonly sns?: Provided<SdkClient>
  /**
   * The Step Functions client of `stateMachine()` dependencies: one client, or a factory asked
   * once per region. StartSyncExecution (`run()`) goes to a `sync-` host prefix: an injected
   * client with a custom endpoint (moto, LocalStack) needs `disableHostPrefix: true`, which the
   * library sets on the clients it creates itself when `config.endpoint`, env
   * `AWS_ENDPOINT_URL_SFN` or `AWS_ENDPOINT_URL` is set.
   */
  readonly sfn?: Provided<SdkClient>
  /** The EventBridge client of `eventBus()` dependencies: one client, or a factory asked once per region. */
  readonly eventBridge?: Provided<SdkClient>
  /**
   * Configuration of the clients the library creates itself (not of injected ones); the
   * region of each comes from the target's ARN.
   */
  readonly config?: CallClientConfig
}
