import type { Declaration } from '@cloudmap-middy/check'
import { describe, expect, it } from '@jest/globals'
import type { Registration } from '../../src/registrations.js'
import { functionRole } from '../../src/roles.js'
import { grantsOf } from '../../src/statements.js'

/** A declaration as the check reports one: the namespace is what comes before the last dot before `->`. */
const declared = (name: string, kind: string, label: string, extra: Partial<Declaration> = {}): Declaration => {
  const [address = '', instance] = label.split('->')
  const dot = address.lastIndexOf('.')
  return {
    name,
    kind,
    label,
    namespace: address.slice(0, dot),
    service: address.slice(dot + 1),
    ...(instance === undefined ? {} : { instance }),
    optional: false,
    revalidate: 'full',
    ...extra,
  }
}

const registered = (namespace: string, service: string, instanceId: string, rest: Partial<Registration>): Registration => ({
  namespace,
  service,
  instanceId,
  kind: 'instance',
  attributes: {},
  ...rest,
})

const getJob = registered('dev', 'scheduler', 'get-job', {
  kind: 'lambda',
  type: 'lambda',
  arn: { 'Fn::GetAtt': ['GetJobLambdaFunction', 'Arn'] },
})
const queue = registered('dev', 'scheduler', 'scheduler-queue', { kind: 'queue', type: 'sqs', arn: { 'Fn::GetAtt': ['Queue', 'Arn'] } })
const fast = registered('dev', 'flows', 'fast', { kind: 'stateMachine', type: 'stepfunctions', arn: { Ref: 'Fast' }, express: true })
const table = registered('dev', 'storage', 'jobs-table', { attributes: { tableName: { Ref: 'Table' } } })
const registrations = [getJob, queue, fast, table]

describe('grantsOf', () => {
  it('It should grant DiscoverInstances per namespace under its condition keys, and each call on the registered target only', () => {
    const { statements } = grantsOf(
      'functions.api',
      [
        declared('jobs', 'lambda', 'dev.scheduler->get-job'),
        declared('queue', 'queue', 'dev.scheduler->scheduler-queue'),
        declared('table', 'instance', 'dev.storage->jobs-table'),
      ],
      registrations,
    )
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['servicediscovery:DiscoverInstances'],
        Resource: '*',
        Condition: { StringEquals: { 'servicediscovery:NamespaceName': 'dev', 'servicediscovery:ServiceName': ['scheduler', 'storage'] } },
      },
      { Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [getJob.arn] },
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [queue.arn] },
    ])
  })

  it('It should grant nothing but discovery to a handler of attributes only, and nothing at all to one that declares nothing', () => {
    expect(grantsOf('functions.get', [declared('table', 'instance', 'dev.storage->jobs-table')], registrations).statements).toHaveLength(1)
    expect(grantsOf('functions.none', [], registrations).statements).toEqual([])
  })

  it('It should grant the listed calls instead of the defaults, run on an EXPRESS state machine by default, and DiscoverInstancesRevision for revision', () => {
    const { statements } = grantsOf(
      'functions.worker',
      [
        declared('queue', 'queue', 'dev.scheduler->scheduler-queue', { revalidate: 'revision' }),
        declared('flow', 'stateMachine', 'dev.flows->fast'),
      ],
      registrations,
      { calls: { queue: ['receive'] } },
    )
    expect(statements.map((s) => s.Action)).toEqual([
      ['servicediscovery:DiscoverInstances', 'servicediscovery:DiscoverInstancesRevision'],
      ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'],
      ['states:StartExecution', 'states:StartSyncExecution'],
    ])
  })

  it('It should grant every instance of the service of the kind for an address without ->', () => {
    const other = registered('dev', 'scheduler', 'other-queue', { kind: 'queue', type: 'sqs', arn: { Ref: 'Other' } })
    const { statements } = grantsOf('functions.api', [declared('queue', 'queue', 'dev.scheduler')], [...registrations, other])
    expect(statements[1]).toEqual({ Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [queue.arn, other.arn] })
  })

  it('It should fail naming the function and the address when the address is not registered, or registered as another type', () => {
    expect(() => grantsOf('functions.api', [declared('jobs', 'lambda', 'dev.scheduler->gone')], registrations)).toThrow(
      'functions.api: jobs (dev.scheduler->gone): nothing is registered as dev.scheduler->gone in custom.cloudMap (dev.scheduler has get-job, scheduler-queue)',
    )
    expect(() => grantsOf('functions.api', [declared('jobs', 'queue', 'dev.scheduler->get-job')], registrations)).toThrow(
      'functions.api: jobs (dev.scheduler->get-job): dev.scheduler->get-job is declared with queue() (type sqs) but registered as lambda (get-job)',
    )
  })

  it('It should warn for an optional dependency registered nowhere, and grant an external one discovery only', () => {
    const optional = grantsOf('functions.api', [declared('maybe', 'lambda', 'dev.scheduler->gone', { optional: true })], registrations)
    expect(optional.warnings).toEqual([
      expect.stringContaining('functions.api: maybe (dev.scheduler->gone) (optional): nothing is registered'),
    ])
    expect(optional.statements).toHaveLength(1)
    const external = grantsOf('functions.api', [declared('billing', 'lambda', 'shared.billing->charge')], registrations, {
      external: ['billing'],
    })
    expect(external.statements.map((s) => s.Action)).toEqual([['servicediscovery:DiscoverInstances']])
  })

  it('It should refuse a call the kind does not have, and a name in calls or external the handler does not declare', () => {
    const jobs = [declared('queue', 'queue', 'dev.scheduler->scheduler-queue')]
    expect(() => grantsOf('functions.api', jobs, registrations, { calls: { queue: ['recieve'] } })).toThrow(
      'functions.api: queue (dev.scheduler->scheduler-queue): queue() has no call "recieve"',
    )
    expect(() => grantsOf('functions.api', jobs, registrations, { external: ['nope'] })).toThrow(
      'functions.api.cloudMap: "nope" is not a dependency its handler declares (queue)',
    )
  })
})

describe('functionRole', () => {
  it("It should hold the function's log group, its SQS event source's reads, the given statements and the grants, and the VPC policy in a VPC", () => {
    const grant = { Effect: 'Allow', Action: ['sns:Publish'], Resource: ['arn:topic'] } as const
    const role = functionRole({
      functionName: 'worker-dev',
      vpc: true,
      events: [{ sqs: { arn: { 'Fn::GetAtt': ['Queue', 'Arn'] } } }, { httpApi: '*' }],
      statements: [{ Effect: 'Allow', Action: 'dynamodb:GetItem', Resource: 'arn:table' }],
      managedPolicies: [],
      permissionsBoundary: 'arn:aws:iam::123456789012:policy/boundary',
      grants: [grant],
    })
    const statements = (role.Properties.Policies as { PolicyDocument: { Statement: { Action: unknown }[] } }[])[0]?.PolicyDocument.Statement
    expect(statements?.map((s) => s.Action)).toEqual([
      ['logs:CreateLogStream', 'logs:CreateLogGroup', 'logs:TagResource', 'logs:PutLogEvents'],
      ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'],
      'dynamodb:GetItem',
      ['sns:Publish'],
    ])
    expect(role.Properties.ManagedPolicyArns).toHaveLength(1)
    expect(role.Properties.PermissionsBoundary).toBe('arn:aws:iam::123456789012:policy/boundary')
  })
})
