import { CreateRoleCommand, IAMClient } from '@aws-sdk/client-iam'
import { CreateFunctionCommand, LambdaClient } from '@aws-sdk/client-lambda'
import {
  CreateHttpNamespaceCommand,
  CreateServiceCommand,
  DeregisterInstanceCommand,
  ListNamespacesCommand,
  RegisterInstanceCommand,
  ServiceDiscoveryClient,
} from '@aws-sdk/client-servicediscovery'
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns'
import {
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs'

export const REGION = 'us-east-1'
/** moto's default account. */
export const ACCOUNT = '123456789012'

/** SDK configuration that points a client at a local endpoint with dummy credentials. */
export function awsConfig(endpoint: string, region: string = REGION) {
  return { endpoint, region, credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, maxAttempts: 2 }
}

type AnyClient = { middlewareStack: { add(middleware: unknown, options: { step: 'build'; name: string }): void } }

/** Makes moto act in `account` for this client's requests (its `x-moto-account-id` header). */
function actIn(client: AnyClient, account: string): void {
  client.middlewareStack.add(
    (next: (args: { request: { headers: Record<string, string> } }) => unknown) =>
      (args: { request: { headers: Record<string, string> } }) => {
        args.request.headers['x-moto-account-id'] = account
        return next(args)
      },
    { step: 'build', name: 'motoAccount' },
  )
}

/** What moto's DescribeExecution tells of a Step Functions execution. */
export interface ExecutionDescription {
  readonly executionArn: string
  readonly stateMachineArn: string
  readonly name: string
  readonly status: string
  /** The execution's input, as sent (JSON text). */
  readonly input: string
}

/** The JSON protocol of the services the harness reaches without their SDK client: target prefix and content type. */
const JSON_PROTOCOLS = {
  states: { target: 'AWSStepFunctions', contentType: 'application/x-amz-json-1.0' },
  events: { target: 'AWSEvents', contentType: 'application/x-amz-json-1.1' },
} as const

/** A queue as created: its URL and ARN. */
export interface QueueRef {
  readonly name: string
  readonly url: string
  readonly arn: string
}

/**
 * Creates Cloud Map namespaces, services and instances, SQS queues, SNS topics with
 * SQS subscriptions and Lambda functions in a moto server, through the SDK; Step Functions
 * state machines and EventBridge buses with rules to SQS queues through their JSON protocol.
 */
export class MotoResources {
  readonly endpoint: string
  readonly cloudMap: ServiceDiscoveryClient
  readonly sqs: SQSClient
  readonly sns: SNSClient
  readonly lambda: LambdaClient
  readonly iam: IAMClient
  readonly #namespaces = new Map<string, string>()
  readonly #services = new Map<string, string>()
  readonly #account: string | undefined
  #role: string | undefined

  /** `account`: act in another account than moto's default one. */
  constructor(endpoint: string, account?: string) {
    this.endpoint = endpoint
    this.#account = account
    const config = awsConfig(endpoint)
    this.cloudMap = new ServiceDiscoveryClient({ ...config, disableHostPrefix: true })
    this.sqs = new SQSClient(config)
    this.sns = new SNSClient(config)
    this.lambda = new LambdaClient(config)
    this.iam = new IAMClient(config)
    if (account)
      for (const client of [this.cloudMap, this.sqs, this.sns, this.lambda, this.iam]) actIn(client as unknown as AnyClient, account)
  }

  /** Forgets the ids it remembered (after a moto reset). */
  forget(): void {
    this.#namespaces.clear()
    this.#services.clear()
    this.#role = undefined
  }

  async namespace(name: string): Promise<string> {
    const known = this.#namespaces.get(name)
    if (known) return known
    await this.cloudMap.send(new CreateHttpNamespaceCommand({ Name: name }))
    const { Namespaces = [] } = await this.cloudMap.send(new ListNamespacesCommand({}))
    const id = Namespaces.find((namespace) => namespace.Name === name)?.Id
    if (!id) throw new Error(`namespace ${name} was not created`)
    this.#namespaces.set(name, id)
    return id
  }

  async service(namespace: string, name: string): Promise<string> {
    const key = `${namespace}.${name}`
    const known = this.#services.get(key)
    if (known) return known
    const namespaceId = await this.namespace(namespace)
    // Services are only ever created here, so the map knows them all (moto ignores ListServices filters).
    const id = (await this.cloudMap.send(new CreateServiceCommand({ Name: name, NamespaceId: namespaceId }))).Service?.Id
    if (!id) throw new Error(`service ${key} was not created`)
    this.#services.set(key, id)
    return id
  }

  async register(namespace: string, service: string, instanceId: string, attributes: Record<string, string>): Promise<void> {
    const serviceId = await this.service(namespace, service)
    await this.cloudMap.send(new RegisterInstanceCommand({ ServiceId: serviceId, InstanceId: instanceId, Attributes: attributes }))
  }

  async deregister(namespace: string, service: string, instanceId: string): Promise<void> {
    const serviceId = await this.service(namespace, service)
    await this.cloudMap.send(new DeregisterInstanceCommand({ ServiceId: serviceId, InstanceId: instanceId }))
  }

  async queue(name: string, attributes: Record<string, string> = {}): Promise<QueueRef> {
    const fifo = name.endsWith('.fifo') ? { FifoQueue: 'true' } : {}
    const { QueueUrl } = await this.sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: { ...fifo, ...attributes } }))
    if (!QueueUrl) throw new Error(`queue ${name} was not created`)
    const { Attributes } = await this.sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }))
    return { name, url: QueueUrl, arn: Attributes?.QueueArn ?? `arn:aws:sqs:${REGION}:${ACCOUNT}:${name}` }
  }

  async topic(name: string, attributes: Record<string, string> = {}): Promise<string> {
    const fifo = name.endsWith('.fifo') ? { FifoTopic: 'true' } : {}
    const { TopicArn } = await this.sns.send(new CreateTopicCommand({ Name: name, Attributes: { ...fifo, ...attributes } }))
    if (!TopicArn) throw new Error(`topic ${name} was not created`)
    return TopicArn
  }

  /** Subscribes a queue to a topic with raw message delivery (the queue receives the message body as published). */
  async subscribe(topicArn: string, queueArn: string): Promise<void> {
    await this.sns.send(
      new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: queueArn, Attributes: { RawMessageDelivery: 'true' } }),
    )
  }

  /** A function moto can invoke without Docker (it echoes payloads or returns queued results). */
  async function(name: string): Promise<string> {
    const { FunctionArn } = await this.lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Role: await this.#roleArn(),
        Handler: 'index.handler',
        Code: { ZipFile: new TextEncoder().encode('placeholder') },
      }),
    )
    if (!FunctionArn) throw new Error(`function ${name} was not created`)
    return FunctionArn
  }

  /**
   * A Step Functions state machine (a single Pass state unless `definition` says otherwise;
   * moto records executions without running them). Returns its ARN.
   */
  async stateMachine(
    name: string,
    options: { readonly type?: 'STANDARD' | 'EXPRESS'; readonly definition?: unknown } = {},
  ): Promise<string> {
    const definition = options.definition ?? { StartAt: 'Done', States: { Done: { Type: 'Pass', End: true } } }
    const { stateMachineArn } = await this.#json<{ stateMachineArn?: string }>('states', 'CreateStateMachine', {
      name,
      definition: JSON.stringify(definition),
      roleArn: await this.#roleArn(),
      type: options.type ?? 'STANDARD',
    })
    if (!stateMachineArn) throw new Error(`state machine ${name} was not created`)
    return stateMachineArn
  }

  /** DescribeExecution: what moto recorded of an execution (its input, name, status). */
  async describeExecution(executionArn: string): Promise<ExecutionDescription> {
    return this.#json<ExecutionDescription>('states', 'DescribeExecution', { executionArn })
  }

  /** An EventBridge event bus; returns its ARN. */
  async eventBus(name: string): Promise<string> {
    const { EventBusArn } = await this.#json<{ EventBusArn?: string }>('events', 'CreateEventBus', { Name: name })
    if (!EventBusArn) throw new Error(`event bus ${name} was not created`)
    return EventBusArn
  }

  /**
   * Makes the events of `sources` put on a bus observable: a rule on the bus sends them to a
   * queue, each message body being the whole event as JSON (`source`, `detail-type`, `detail`, ...).
   */
  async routeEvents(busName: string, sources: readonly string[], queueArn: string): Promise<void> {
    const rule = `${busName.replace(/[^.\-_A-Za-z0-9]/g, '-')}-to-queue`.slice(0, 64)
    await this.#json('events', 'PutRule', { Name: rule, EventBusName: busName, EventPattern: JSON.stringify({ source: sources }) })
    await this.#json('events', 'PutTargets', { Rule: rule, EventBusName: busName, Targets: [{ Id: 'queue', Arn: queueArn }] })
  }

  /** Receives (and deletes) up to `max` messages, polling until they arrive or `waitMs` passes. */
  async drain(queueUrl: string, max: number, waitMs = 3_000): Promise<Message[]> {
    const out: Message[] = []
    const deadline = Date.now() + waitMs
    while (out.length < max && Date.now() < deadline) {
      const { Messages = [] } = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, max - out.length),
          WaitTimeSeconds: 1,
          MessageAttributeNames: ['All'],
          MessageSystemAttributeNames: ['All'],
        }),
      )
      for (const message of Messages) {
        out.push(message)
        await this.sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle }))
      }
    }
    return out
  }

  /** The IAM role functions and state machines run as (moto only checks its form). */
  async #roleArn(): Promise<string> {
    this.#role ??= (
      await this.iam.send(new CreateRoleCommand({ RoleName: 'cloudmap-middy-test', AssumeRolePolicyDocument: '{}' }))
    ).Role?.Arn
    if (!this.#role) throw new Error('the test role was not created')
    return this.#role
  }

  /**
   * One call of a JSON-protocol service, without its SDK client (the harness does not depend on
   * `@aws-sdk/client-sfn` or `@aws-sdk/client-eventbridge`). moto does not check signatures: the
   * Authorization header only names the service and region, as SigV4 would.
   */
  async #json<T = unknown>(service: keyof typeof JSON_PROTOCOLS, action: string, body: unknown): Promise<T> {
    const { target, contentType } = JSON_PROTOCOLS[service]
    const response = await fetch(`${this.endpoint}/`, {
      method: 'POST',
      headers: {
        'content-type': contentType,
        'x-amz-target': `${target}.${action}`,
        authorization: `AWS4-HMAC-SHA256 Credential=test/20260101/${REGION}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
        ...(this.#account ? { 'x-moto-account-id': this.#account } : {}),
      },
      body: JSON.stringify(body),
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`moto ${service} ${action} answered ${response.status}: ${text.slice(0, 500)}`)
    return (text === '' ? {} : JSON.parse(text)) as T
  }
}
