import {
  type AnyDependency,
  defineServices,
  eventBus,
  http,
  instance,
  lambda,
  optional,
  queue,
  stateMachine,
  topic,
} from '@cloudmap-middy/core'
import { describe, expect, it } from '@jest/globals'
import { Stack } from 'aws-cdk-lib'
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions'
import * as kms from 'aws-cdk-lib/aws-kms'
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery'
import * as sns from 'aws-cdk-lib/aws-sns'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import * as sfn from 'aws-cdk-lib/aws-stepfunctions'
import { grantServices, registerInstance } from '../../src/index.js'
import { bus, fixture, fn } from './fixture.js'

interface Statement {
  Action: string | string[]
  Resource: unknown
  Condition?: unknown
}

/** Every statement of the policies attached to the function's role. */
function statementsOf(stack: Stack, handler: ReturnType<typeof fn>): Statement[] {
  const role = stack.getLogicalId(handler.role?.node.defaultChild as never)
  return Object.values(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(role))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement as Statement[])
}

const actionsOf = (statements: readonly Statement[]) => statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort()

const ref = (stack: Stack, construct: { node: { defaultChild?: unknown } }) => stack.getLogicalId(construct.node.defaultChild as never)

const machine = (stack: Stack, id: string, stateMachineType?: sfn.StateMachineType) =>
  new sfn.StateMachine(stack, id, {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, `${id}Pass`)),
    ...(stateMachineType ? { stateMachineType } : {}),
  })

describe('Function: grantServices', () => {
  it('It should grant DiscoverInstances on the namespace and service the handler declares, by condition keys', () => {
    // Prepare
    const { stack, scheduler } = fixture()
    registerInstance(scheduler, { url: 'https://jobs.example.com' }, { instanceId: 'jobs' })
    const handler = fn(stack, 'Api')

    // Act
    grantServices(handler, { jobs: http('prod.scheduler->jobs') })

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'servicediscovery:DiscoverInstances',
            Resource: '*',
            Condition: { StringEquals: { 'servicediscovery:NamespaceName': 'prod', 'servicediscovery:ServiceName': 'scheduler' } },
          },
        ],
      },
    })
  })

  it('It should name every service of a namespace in one discovery statement', () => {
    const { stack, namespace, scheduler } = fixture()
    registerInstance(scheduler, { url: 'https://jobs.example.com' }, { instanceId: 'jobs' })
    registerInstance(namespace.createService('Storage', { name: 'storage' }), { instanceId: 'table', attributes: { tableName: 't' } })
    const handler = fn(stack, 'Api')

    grantServices(handler, { jobs: http('prod.scheduler->jobs'), table: instance('prod.storage->table') })

    expect(statementsOf(stack, handler)).toEqual([
      expect.objectContaining({
        Condition: { StringEquals: { 'servicediscovery:NamespaceName': 'prod', 'servicediscovery:ServiceName': ['scheduler', 'storage'] } },
      }),
    ])
  })

  it('It should give each namespace its own discovery statement, so none gets the services of another', () => {
    const { stack, scheduler } = fixture()
    const staging = new servicediscovery.HttpNamespace(stack, 'Staging', { name: 'staging' })
    registerInstance(scheduler, { url: 'https://jobs.example.com' }, { instanceId: 'jobs' })
    registerInstance(staging.createService('Billing', { name: 'billing' }), { url: 'https://billing.example.com' }, { instanceId: 'api' })
    const handler = fn(stack, 'Api')

    grantServices(handler, { jobs: http('prod.scheduler->jobs'), billing: http('staging.billing->api') })

    expect(statementsOf(stack, handler).map((s) => s.Condition)).toEqual([
      { StringEquals: { 'servicediscovery:NamespaceName': 'prod', 'servicediscovery:ServiceName': 'scheduler' } },
      { StringEquals: { 'servicediscovery:NamespaceName': 'staging', 'servicediscovery:ServiceName': 'billing' } },
    ])
  })

  it("It should also grant DiscoverInstancesRevision when the handler's resolver revalidates by revision", () => {
    const { stack, scheduler } = fixture()
    registerInstance(scheduler, { url: 'https://jobs.example.com' }, { instanceId: 'jobs' })
    const handler = fn(stack, 'Api')

    grantServices(handler, { jobs: http('prod.scheduler->jobs') }, { revalidate: 'revision' })

    expect(actionsOf(statementsOf(stack, handler))).toEqual([
      'servicediscovery:DiscoverInstances',
      'servicediscovery:DiscoverInstancesRevision',
    ])
  })

  it('It should grant lambda:InvokeFunction on the function registered at the address, and nothing else', () => {
    const { stack, scheduler } = fixture()
    const getJob = fn(stack, 'GetJob')
    registerInstance(scheduler, getJob, { instanceId: 'get-job' })
    const handler = fn(stack, 'Api')

    grantServices(handler, { getJob: lambda('prod.scheduler->get-job') })

    expect(statementsOf(stack, handler)[1]).toEqual({
      Effect: 'Allow',
      Action: 'lambda:InvokeFunction',
      Resource: { 'Fn::GetAtt': [ref(stack, getJob), 'Arn'] },
    })
  })

  it('It should grant sqs:SendMessage on the registered queue, and no receive, by default', () => {
    const { stack, scheduler } = fixture()
    const jobs = new sqs.Queue(stack, 'Jobs')
    registerInstance(scheduler, jobs, { instanceId: 'jobs' })
    const handler = fn(stack, 'Api')

    grantServices(handler, { jobs: queue('prod.scheduler->jobs') })

    expect(statementsOf(stack, handler)[1]).toEqual({
      Effect: 'Allow',
      Action: 'sqs:SendMessage',
      Resource: { 'Fn::GetAtt': [ref(stack, jobs), 'Arn'] },
    })
  })

  it('It should grant receive, delete and change-visibility, and no send, to a handler that receives', () => {
    const { stack, scheduler } = fixture()
    registerInstance(scheduler, new sqs.Queue(stack, 'Jobs'), { instanceId: 'jobs' })
    const handler = fn(stack, 'Worker')

    grantServices(handler, { jobs: queue('prod.scheduler->jobs') }, { calls: { jobs: ['receive'] } })

    expect(actionsOf(statementsOf(stack, handler).slice(1))).toEqual([
      'sqs:ChangeMessageVisibility',
      'sqs:DeleteMessage',
      'sqs:ReceiveMessage',
    ])
  })

  it('It should grant sns:Publish on the registered topic', () => {
    const { stack, scheduler } = fixture()
    const topicConstruct = new sns.Topic(stack, 'Events')
    registerInstance(scheduler, topicConstruct, { instanceId: 'events' })
    const handler = fn(stack, 'Api')

    grantServices(handler, { events: topic('prod.scheduler->events') })

    expect(statementsOf(stack, handler)[1]).toEqual({
      Effect: 'Allow',
      Action: 'sns:Publish',
      Resource: { Ref: ref(stack, topicConstruct) },
    })
  })

  it('It should grant states:StartExecution only on a STANDARD state machine', () => {
    const { stack, scheduler } = fixture()
    const invoice = machine(stack, 'Invoice')
    registerInstance(scheduler, invoice, { instanceId: 'invoice' })
    const handler = fn(stack, 'Api')

    grantServices(handler, { invoice: stateMachine('prod.scheduler->invoice') })

    expect(statementsOf(stack, handler)[1]).toEqual({
      Effect: 'Allow',
      Action: 'states:StartExecution',
      Resource: { Ref: ref(stack, invoice) },
    })
  })

  it('It should also grant states:StartSyncExecution on an EXPRESS state machine, which is there to be run()', () => {
    const { stack, scheduler } = fixture()
    registerInstance(scheduler, machine(stack, 'Quote', sfn.StateMachineType.EXPRESS), { instanceId: 'quote' })
    const handler = fn(stack, 'Api')

    grantServices(handler, { quote: stateMachine('prod.scheduler->quote') })

    expect(actionsOf(statementsOf(stack, handler).slice(1))).toEqual(['states:StartExecution', 'states:StartSyncExecution'])
  })

  it('It should grant only the listed calls on an EXPRESS state machine', () => {
    const { stack, scheduler } = fixture()
    registerInstance(scheduler, machine(stack, 'Quote', sfn.StateMachineType.EXPRESS), { instanceId: 'quote' })
    const handler = fn(stack, 'Api')

    grantServices(handler, { quote: stateMachine('prod.scheduler->quote') }, { calls: { quote: ['run'] } })

    expect(actionsOf(statementsOf(stack, handler).slice(1))).toEqual(['states:StartSyncExecution'])
  })

  it('It should grant events:PutEvents on the registered event bus', () => {
    const { stack, scheduler } = fixture()
    const busConstruct = bus(stack)
    registerInstance(scheduler, busConstruct, { instanceId: 'bus' })
    const handler = fn(stack, 'Api')

    grantServices(handler, { bus: eventBus('prod.scheduler->bus') })

    expect(statementsOf(stack, handler)[1]).toEqual({
      Effect: 'Allow',
      Action: 'events:PutEvents',
      Resource: { 'Fn::GetAtt': [ref(stack, busConstruct), 'Arn'] },
    })
  })

  it('It should grant nothing but discovery for http() and instance() dependencies', () => {
    const { stack, scheduler } = fixture()
    registerInstance(scheduler, { url: 'https://jobs.example.com' }, { instanceId: 'jobs' })
    registerInstance(scheduler, { instanceId: 'table', attributes: { tableName: 't' } })
    const handler = fn(stack, 'Api')

    grantServices(handler, { jobs: http('prod.scheduler->jobs'), table: instance('prod.scheduler->table') })

    expect(actionsOf(statementsOf(stack, handler))).toEqual(['servicediscovery:DiscoverInstances'])
  })

  it('It should grant kms:GenerateDataKey and kms:Decrypt on the key of an encrypted queue it sends to', () => {
    const { stack, scheduler } = fixture()
    const key = new kms.Key(stack, 'Key')
    registerInstance(scheduler, new sqs.Queue(stack, 'Jobs', { encryption: sqs.QueueEncryption.KMS, encryptionMasterKey: key }), {
      instanceId: 'jobs',
    })
    const handler = fn(stack, 'Api')

    grantServices(handler, { jobs: queue('prod.scheduler->jobs') })

    expect(statementsOf(stack, handler)).toContainEqual({
      Effect: 'Allow',
      Action: ['kms:GenerateDataKey', 'kms:Decrypt'],
      Resource: { 'Fn::GetAtt': [ref(stack, key), 'Arn'] },
    })
  })

  it('It should grant on every instance of the type when the address names no instance', () => {
    const { stack, scheduler } = fixture()
    const blue = fn(stack, 'Blue')
    const green = fn(stack, 'Green')
    registerInstance(scheduler, blue, { instanceId: 'blue' })
    registerInstance(scheduler, green, { instanceId: 'green' })
    registerInstance(scheduler, { url: 'https://jobs.example.com' }, { instanceId: 'jobs-http' })
    const handler = fn(stack, 'Api')

    grantServices(handler, { jobs: lambda('prod.scheduler') })

    expect(statementsOf(stack, handler)[1]?.Resource).toEqual([
      { 'Fn::GetAtt': [ref(stack, blue), 'Arn'] },
      { 'Fn::GetAtt': [ref(stack, green), 'Arn'] },
    ])
  })

  it('It should grant only on the instances whose attributes match the query parameters', () => {
    const { stack, scheduler } = fixture()
    const blue = fn(stack, 'Blue')
    registerInstance(scheduler, blue, { instanceId: 'blue', attributes: { stage: 'live' } })
    registerInstance(scheduler, fn(stack, 'Green'), { instanceId: 'green', attributes: { stage: 'canary' } })
    const handler = fn(stack, 'Api')

    grantServices(handler, { jobs: lambda('prod.scheduler', { queryParameters: { stage: 'live' } }) })

    expect(statementsOf(stack, handler)[1]?.Resource).toEqual({ 'Fn::GetAtt': [ref(stack, blue), 'Arn'] })
  })

  it('It should put one statement per set of actions, each target once', () => {
    const { stack, scheduler } = fixture()
    registerInstance(scheduler, fn(stack, 'GetJob'), { instanceId: 'get-job' })
    const handler = fn(stack, 'Api')

    grantServices(handler, { a: lambda('prod.scheduler->get-job'), b: lambda('prod.scheduler') })

    expect(actionsOf(statementsOf(stack, handler))).toEqual(['lambda:InvokeFunction', 'servicediscovery:DiscoverInstances'])
  })

  it('It should grant on a target registered in another stack of the app', () => {
    const { app, stack, scheduler } = fixture()
    registerInstance(scheduler, fn(stack, 'GetJob'), { instanceId: 'get-job' })
    const other = new Stack(app, 'Api', { env: { account: '123456789012', region: 'eu-west-1' } })
    const handler = fn(other, 'Api')

    grantServices(handler, { getJob: lambda('prod.scheduler->get-job') })

    expect(statementsOf(other, handler)[1]).toEqual(
      expect.objectContaining({ Action: 'lambda:InvokeFunction', Resource: { 'Fn::ImportValue': expect.any(String) } }),
    )
  })

  it('It should accept the services of defineServices()', () => {
    const { stack, scheduler } = fixture()
    registerInstance(scheduler, fn(stack, 'GetJob'), { instanceId: 'get-job' })
    const handler = fn(stack, 'Api')

    grantServices(handler, defineServices({ getJob: lambda('prod.scheduler->get-job') }))

    expect(actionsOf(statementsOf(stack, handler))).toEqual(['lambda:InvokeFunction', 'servicediscovery:DiscoverInstances'])
  })

  it('It should stop the synth naming the address when nothing is registered there', () => {
    const { stack } = fixture()

    expect(() => grantServices(fn(stack, 'Api'), { getJob: lambda('prod.scheduler->get-job') })).toThrow(
      'grantServices(Test/Api): services.getJob: nothing is registered as prod.scheduler->get-job in this app',
    )
  })

  it('It should name the instances the service does have when the pinned one is not registered', () => {
    const { stack, scheduler } = fixture()
    registerInstance(scheduler, fn(stack, 'GetJob'), { instanceId: 'get-job' })

    expect(() => grantServices(fn(stack, 'Api'), { getJob: lambda('prod.scheduler->get-jobs') })).toThrow('(prod.scheduler has get-job)')
  })

  it('It should stop the synth when the address is registered as another kind', () => {
    const { stack, scheduler } = fixture()
    registerInstance(scheduler, fn(stack, 'GetJob'), { instanceId: 'get-job' })

    expect(() => grantServices(fn(stack, 'Api'), { jobs: queue('prod.scheduler->get-job') })).toThrow(
      'prod.scheduler->get-job is declared with queue() (type sqs) but registered as lambda (get-job)',
    )
  })

  it('It should only warn, and grant discovery, for an optional() dependency registered nowhere', () => {
    const { stack } = fixture()
    const handler = fn(stack, 'Api')

    grantServices(handler, { audit: optional(queue('prod.audit->events')) })

    Annotations.fromStack(stack).hasWarning(
      '/Test/Api',
      Match.stringLikeRegexp('services.audit \\(optional\\): nothing is registered as prod.audit->events'),
    )
    expect(actionsOf(statementsOf(stack, handler))).toEqual(['servicediscovery:DiscoverInstances'])
  })

  it('It should grant discovery only, with no check, for a dependency listed as external', () => {
    const { stack } = fixture()
    const handler = fn(stack, 'Api')

    grantServices(handler, { billing: lambda('shared.billing->charge') }, { external: ['billing'] })

    expect(actionsOf(statementsOf(stack, handler))).toEqual(['servicediscovery:DiscoverInstances'])
  })

  it('It should refuse a call the kind does not have', () => {
    const { stack, scheduler } = fixture()
    registerInstance(scheduler, fn(stack, 'GetJob'), { instanceId: 'get-job' })

    expect(() =>
      grantServices(fn(stack, 'Api'), { getJob: lambda('prod.scheduler->get-job') }, { calls: { getJob: ['send' as never] } }),
    ).toThrow('lambda() has no call "send" (it has request, invoke)')
  })

  it('It should refuse an entry of services that is not a dependency', () => {
    const { stack } = fixture()

    expect(() => grantServices(fn(stack, 'Api'), { table: 'jobs-table' } as never)).toThrow(TypeError)
  })

  it('It should refuse a kind it does not know, pointing to external', () => {
    const { stack } = fixture()
    // A kind of another version of core than the one grantServices() reads its list from.
    const unknown = { ...instance('prod.scheduler->x'), kind: 'kinesis' } as unknown as AnyDependency

    expect(() => grantServices(fn(stack, 'Api'), { stream: unknown })).toThrow('does not know the kind "kinesis"; list it in `external`')
  })
})
