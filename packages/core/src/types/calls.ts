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
 * itself waits for the first call that needs it (its SDK module too, unless a prefetch in
 * Lambda loaded it while Cloud Map answered).
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

/**
 * What an X-Ray capture function takes: an AWS SDK v3 client, with its middleware stack and
 * configuration (the X-Ray SDK's `captureAWSv3Client` asks for both).
 */
export interface CapturableClient {
  /** The client's middleware stack, where a capture adds its middleware. */
  readonly middlewareStack: {
    /** Removes a middleware (a capture removes its own before adding it again). */
    remove(toRemove: never): boolean
    /** Adds a plugin's middleware. */
    use(pluggable: never): void
  }
  /** The client's resolved configuration. */
  readonly config: object
}

/**
 * Wraps an SDK client the library creates so that its requests are traced (Middy's
 * `awsClientCapture`): Powertools Tracer's `tracer.captureAWSv3Client.bind(tracer)`, or the
 * X-Ray SDK's `captureAWSv3Client`. Called once per client, with the client; returns the client
 * to send with (these return the same client, instrumented).
 *
 * @example
 * ```ts
 * import { Tracer } from '@aws-lambda-powertools/tracer'
 *
 * const tracer = new Tracer()
 * const awsClientCapture: AwsClientCapture = tracer.captureAWSv3Client.bind(tracer)
 * ```
 */
export type AwsClientCapture = <Client extends CapturableClient>(client: Client) => Client
