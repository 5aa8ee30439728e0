import { InvokeCommand, LambdaClient, LambdaServiceException, ResourceNotFoundException } from '@aws-sdk/client-lambda'
import { DiscoverInstancesCommand, NamespaceNotFound, ServiceDiscoveryClient, ServiceNotFound } from '@aws-sdk/client-servicediscovery'
import { SFNClient, StartExecutionCommand, StateMachineDoesNotExist } from '@aws-sdk/client-sfn'
import { AuthorizationErrorException, PublishCommand, SNSClient, ThrottledException } from '@aws-sdk/client-sns'
import { QueueDoesNotExist, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs'
import { beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import {
  CallRefusedError,
  createResolver,
  DependencyResolutionError,
  defineServices,
  instance,
  lambda,
  NamespaceNotFoundError,
  optional,
  queue,
  ServiceNotFoundError,
  stateMachine,
  topic,
} from '../../src/index.js'
import { clearCache, staticRegistry } from '../../src/testing/index.js'

process.env.AWS_REGION ??= 'us-east-1'

const cloudMap = mockClient(ServiceDiscoveryClient)
const lambdaMock = mockClient(LambdaClient)
const sqsMock = mockClient(SQSClient)
const snsMock = mockClient(SNSClient)
const sfnMock = mockClient(SFNClient)
const logger = { warn: () => undefined }

const ACCOUNT = '123456789012'
const FUNCTION = `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:get-job`
const QUEUE = `https://sqs.eu-west-1.amazonaws.com/${ACCOUNT}/jobs`
const TOPIC = `arn:aws:sns:eu-west-1:${ACCOUNT}:job-events`
const MACHINE = `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:invoices`
const registry = staticRegistry({
  'prod.scheduler': {
    'get-job': { type: 'lambda', arn: FUNCTION },
    jobs: { type: 'sqs', url: QUEUE },
    events: { type: 'sns', arn: TOPIC },
    invoices: { type: 'stepfunctions', arn: MACHINE },
  },
})
const clients = {
  lambda: new LambdaClient({ region: 'eu-west-1' }),
  sqs: new SQSClient({ region: 'eu-west-1' }),
  sns: new SNSClient({ region: 'eu-west-1' }),
  sfn: new SFNClient({ region: 'eu-west-1' }),
}
const resolver = createResolver({ registry, clients, logger })
// Lambda's AccessDeniedException is not modelled: the SDK makes it a service exception by that name, as here.
const denied = (message: string) =>
  new LambdaServiceException({ name: 'AccessDeniedException', $fault: 'client', message, $metadata: { httpStatusCode: 403 } })

beforeEach(() => {
  for (const mock of [cloudMap, lambdaMock, sqsMock, snsMock, sfnMock]) mock.reset()
  clearCache()
})

describe('Class: DependencyResolutionError', () => {
  const failures = [
    {
      name: 'events',
      address: 'prod.events->job-events',
      reason: 'Cloud Map instance "job-events" of "prod.events->job-events" is declared as sns but has type "sqs"',
      error: new Error('x'),
    },
  ]

  it('It should name every failed address and its reason in the message', () => {
    const error = new DependencyResolutionError(failures)

    expect(error.message).toBe(
      '1 dependency could not be resolved: events (prod.events->job-events): Cloud Map instance "job-events" of "prod.events->job-events" is declared as sns but has type "sqs"',
    )
    expect(error.message).toBe(error.detail)
    expect(error.statusCode).toBe(503)
    // Not exposed: @middy/http-error-handler would answer its own generic 500, never this message.
    expect(error.expose).toBe(false)
  })

  it('It should carry a generic message when exposed, with the details in detail and the first line of the stack', () => {
    const error = new DependencyResolutionError(failures, { expose: true })

    expect(error.message).toBe('Service Unavailable')
    expect(error.expose).toBe(true)
    expect(error.detail).toContain('prod.events->job-events')
    expect(error.stack?.split('\n')[0]).toBe(`DependencyResolutionError: ${error.detail}`)
  })

  it('It should name the address and the reason when defineServices fails', async () => {
    const services = defineServices({ billing: instance('prod.billing->main') })

    const error = await Promise.resolve(services.resolve(resolver)).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(DependencyResolutionError)
    expect((error as Error).message).toBe(
      '1 dependency could not be resolved: billing (prod.billing->main): Cloud Map service "prod.billing->main" is not registered',
    )
  })
})

describe('Class: NamespaceNotFoundError', () => {
  it('It should report a namespace Cloud Map does not have as a missing namespace, from the registry and from cache', async () => {
    // Prepare
    cloudMap.on(DiscoverInstancesCommand).rejects(new NamespaceNotFound({ message: 'Namespace not found', $metadata: {} }))
    const discovering = createResolver({ client: new ServiceDiscoveryClient({ region: 'us-east-1' }), logger })
    const jobs = instance('pord.scheduler->get-job')

    // Act
    const first = await discovering.resolve(jobs).catch((e: unknown) => e)
    const cached = await discovering.resolve(jobs).catch((e: unknown) => e)

    // Assess
    for (const error of [first, cached]) {
      expect(error).toBeInstanceOf(NamespaceNotFoundError)
      expect(error).toBeInstanceOf(ServiceNotFoundError)
      expect(error).toMatchObject({ address: 'pord.scheduler->get-job', namespace: 'pord' })
      expect((error as Error).message).toBe(
        'Cloud Map namespace "pord" does not exist (looking up "pord.scheduler->get-job"): check its name, account and region',
      )
    }
    expect(cloudMap.commandCalls(DiscoverInstancesCommand)).toHaveLength(1)
  })

  it('It should keep a missing service a missing service', async () => {
    cloudMap.on(DiscoverInstancesCommand).rejects(new ServiceNotFound({ message: 'Service not found', $metadata: {} }))
    const discovering = createResolver({ client: new ServiceDiscoveryClient({ region: 'us-east-1' }), logger })

    const error = await discovering.resolve(instance('prod.shceduler')).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(ServiceNotFoundError)
    expect(error).not.toBeInstanceOf(NamespaceNotFoundError)
    expect((error as Error).message).toBe('Cloud Map service "prod.shceduler" is not registered')
  })

  it('It should tell a missing namespace from a missing service in a static registry, and let optional() take either', async () => {
    await expect(resolver.resolve(instance('prod.nope'))).rejects.not.toBeInstanceOf(NamespaceNotFoundError)
    await expect(resolver.resolve(instance('test.nope'))).rejects.toBeInstanceOf(NamespaceNotFoundError)
    await expect(resolver.resolve(optional(instance('test.nope')))).resolves.toBeUndefined()
  })
})

describe('Class: CallRefusedError', () => {
  it('It should name the dependency, its target and the operation when Lambda refuses an invocation, the AWS error as cause', async () => {
    // Prepare
    const refusal = denied('User: arn:aws:sts::123456789012:assumed-role/jobs-api is not authorized to perform: lambda:InvokeFunction')
    lambdaMock.on(InvokeCommand).rejects(refusal)
    const jobs = await resolver.resolve(lambda('prod.scheduler->get-job'))

    // Act
    const error = await jobs.request({ id: '1' }).catch((e: unknown) => e)

    // Assess
    expect(error).toBeInstanceOf(CallRefusedError)
    expect(error).toMatchObject({
      address: 'prod.scheduler->get-job',
      service: 'Lambda',
      operation: 'Invoke',
      target: FUNCTION,
      code: 'AccessDeniedException',
      cause: refusal,
    })
    expect((error as Error).message).toBe(
      `Lambda refused Invoke to "prod.scheduler->get-job" (${FUNCTION}): AccessDeniedException: ${refusal.message}`,
    )
    await expect(jobs.invoke({ id: '1' })).rejects.toBeInstanceOf(CallRefusedError)
  })

  it('It should name them for a function that is gone, too', async () => {
    lambdaMock.on(InvokeCommand).rejects(new ResourceNotFoundException({ message: 'Function not found', $metadata: {} }))
    const jobs = await resolver.resolve(lambda('prod.scheduler->get-job'))

    await expect(jobs.request({})).rejects.toMatchObject({ name: 'CallRefusedError', code: 'ResourceNotFoundException' })
  })

  it('It should name them when SQS, SNS or Step Functions refuse', async () => {
    // Prepare
    sqsMock.on(SendMessageCommand).rejects(new QueueDoesNotExist({ message: 'The specified queue does not exist.', $metadata: {} }))
    sqsMock
      .on(ReceiveMessageCommand)
      .rejects(Object.assign(new Error('Access to the resource is denied'), { name: 'AccessDenied', $fault: 'client' }))
    snsMock.on(PublishCommand).rejects(new AuthorizationErrorException({ message: 'not authorized to perform SNS:Publish', $metadata: {} }))
    sfnMock.on(StartExecutionCommand).rejects(new StateMachineDoesNotExist({ message: 'State Machine Does Not Exist', $metadata: {} }))
    const jobs = await resolver.resolve(queue('prod.scheduler->jobs'))
    const events = await resolver.resolve(topic('prod.scheduler->events'))
    const invoices = await resolver.resolve(stateMachine('prod.scheduler->invoices'))

    // Act
    const errors = await Promise.all([
      jobs.send({ id: 1 }).catch((e: unknown) => e),
      jobs.receive().catch((e: unknown) => e),
      events.publish({ id: 1 }).catch((e: unknown) => e),
      invoices.start({ id: 1 }).catch((e: unknown) => e),
    ])

    // Assess
    expect(errors.map((e) => e instanceof CallRefusedError && [e.address, e.service, e.operation, e.target, e.code])).toEqual([
      ['prod.scheduler->jobs', 'SQS', 'SendMessage', QUEUE, 'QueueDoesNotExist'],
      ['prod.scheduler->jobs', 'SQS', 'ReceiveMessage', QUEUE, 'AccessDenied'],
      ['prod.scheduler->events', 'SNS', 'Publish', TOPIC, 'AuthorizationErrorException'],
      ['prod.scheduler->invoices', 'Step Functions', 'StartExecution', MACHINE, 'StateMachineDoesNotExist'],
    ])
  })

  it('It should leave a transient failure as it is, for the caller to retry', async () => {
    const throttled = new ThrottledException({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } })
    snsMock.on(PublishCommand).rejects(throttled)
    const events = await resolver.resolve(topic('prod.scheduler->events'))

    await expect(events.publish({ id: 1 })).rejects.toBe(throttled)
  })
})
