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

/** A queue as created: its URL and ARN. */
export interface QueueRef {
  readonly name: string
  readonly url: string
  readonly arn: string
}

/**
 * Creates Cloud Map namespaces, services and instances, SQS queues, SNS topics with
 * SQS subscriptions and Lambda functions in a moto server, through the SDK.
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
  #role: string | undefined

  /** `account`: act in another account than moto's default one. */
  constructor(endpoint: string, account?: string) {
    this.endpoint = endpoint
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
    this.#role ??= (
      await this.iam.send(new CreateRoleCommand({ RoleName: 'cloudmap-middy-test', AssumeRolePolicyDocument: '{}' }))
    ).Role?.Arn
    const { FunctionArn } = await this.lambda.send(
      new CreateFunctionCommand({
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Role: this.#role,
        Handler: 'index.handler',
        Code: { ZipFile: new TextEncoder().encode('placeholder') },
      }),
    )
    if (!FunctionArn) throw new Error(`function ${name} was not created`)
    return FunctionArn
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
}
