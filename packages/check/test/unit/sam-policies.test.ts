import { describe, expect, it } from '@jest/globals'
import { type AccessRequest, evaluateAccess, type SourcedStatement } from '../../src/iam.js'
import { expandManagedPolicies, expandSamPolicies, type Pseudo } from '../../src/sam-policies.js'

const pseudo: Pseudo = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' }
const regional = (service: string) => `arn:aws:${service}:eu-west-1:123456789012`

function decide(policies: unknown, request: AccessRequest) {
  return evaluateAccess(expandSamPolicies(policies, pseudo).statements, request)
}

const allows = (policies: unknown, action: string, resource: string) => decide(policies, { action, resource }).allowed

describe('Function: expandSamPolicies', () => {
  describe('policy templates', () => {
    it('It should expand SQSSendMessagePolicy to sqs:SendMessage* on that queue only', () => {
      const policies = [{ SQSSendMessagePolicy: { QueueName: 'jobs.fifo' } }]
      const { statements, notes } = expandSamPolicies(policies, pseudo)
      expect(notes).toEqual([])
      expect(statements).toEqual([
        {
          source: 'SQSSendMessagePolicy',
          statement: { Effect: 'Allow', Action: ['sqs:SendMessage*'], Resource: `${regional('sqs')}:jobs.fifo` },
        },
      ])
      expect(decide(policies, { action: 'sqs:SendMessage', resource: `${regional('sqs')}:jobs.fifo` })).toEqual({
        allowed: true,
        source: 'SQSSendMessagePolicy',
      })
      expect(allows(policies, 'sqs:SendMessageBatch', `${regional('sqs')}:jobs.fifo`)).toBe(true)
      expect(allows(policies, 'sqs:SendMessage', `${regional('sqs')}:other.fifo`)).toBe(false)
      expect(allows(policies, 'sqs:ReceiveMessage', `${regional('sqs')}:jobs.fifo`)).toBe(false)
    })

    it('It should build ARNs from the partition, region and account it is given', () => {
      const china: Pseudo = { partition: 'aws-cn', region: 'cn-north-1', accountId: '210987654321' }
      const { statements } = expandSamPolicies({ SNSPublishMessagePolicy: { TopicName: 'job-events' } }, china)
      expect(statements[0]?.statement.Resource).toBe('arn:aws-cn:sns:cn-north-1:210987654321:job-events')
    })

    it('It should expand SQSPollerPolicy to the receiving actions on that queue', () => {
      const policies = { SQSPollerPolicy: { QueueName: 'jobs' } }
      const queue = `${regional('sqs')}:jobs`
      for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes']) {
        expect(allows(policies, action, queue)).toBe(true)
      }
      expect(allows(policies, 'sqs:SendMessage', queue)).toBe(false)
      expect(allows(policies, 'sqs:GetQueueUrl', queue)).toBe(false)
    })

    it('It should expand SNSPublishMessagePolicy to that topic exactly, and SNSCrudPolicy to topics starting with its name', () => {
      const topic = `${regional('sns')}:job-events`
      expect(allows({ SNSPublishMessagePolicy: { TopicName: 'job-events' } }, 'sns:Publish', topic)).toBe(true)
      expect(allows({ SNSPublishMessagePolicy: { TopicName: 'job-events' } }, 'sns:Publish', `${topic}-dev`)).toBe(false)
      expect(allows({ SNSCrudPolicy: { TopicName: 'job-events' } }, 'sns:Publish', `${topic}-dev`)).toBe(true)
      expect(allows({ SNSCrudPolicy: { TopicName: 'job-events' } }, 'sns:Subscribe', topic)).toBe(true)
      expect(allows({ SNSCrudPolicy: { TopicName: 'job-events' } }, 'sns:DeleteTopic', topic)).toBe(false)
    })

    it('It should expand LambdaInvokePolicy to the function, its versions and aliases', () => {
      const policies = { LambdaInvokePolicy: { FunctionName: 'get-job' } }
      const fn = `${regional('lambda')}:function:get-job`
      expect(allows(policies, 'lambda:InvokeFunction', fn)).toBe(true)
      expect(allows(policies, 'lambda:InvokeFunction', `${fn}:live`)).toBe(true)
      expect(allows(policies, 'lambda:InvokeFunction', `${regional('lambda')}:function:other`)).toBe(false)
      expect(allows(policies, 'lambda:GetFunction', fn)).toBe(false)
    })

    it('It should expand StepFunctionsExecutionPolicy to StartExecution only, and its _v2 to StartSyncExecution as well', () => {
      const machine = `${regional('states')}:stateMachine:jobs`
      expect(allows({ StepFunctionsExecutionPolicy: { StateMachineName: 'jobs' } }, 'states:StartExecution', machine)).toBe(true)
      expect(allows({ StepFunctionsExecutionPolicy: { StateMachineName: 'jobs' } }, 'states:StartSyncExecution', machine)).toBe(false)
      expect(allows({ StepFunctionsExecutionPolicy_v2: { StateMachineName: 'jobs' } }, 'states:StartSyncExecution', machine)).toBe(true)
      expect(allows({ StepFunctionsExecutionPolicy: { StateMachineName: 'jobs' } }, 'states:StartExecution', `${machine}-2`)).toBe(false)
    })

    it('It should expand EventBridgePutEventsPolicy to events:PutEvents on that bus', () => {
      const policies = { EventBridgePutEventsPolicy: { EventBusName: 'scheduler-dev' } }
      expect(allows(policies, 'events:PutEvents', `${regional('events')}:event-bus/scheduler-dev`)).toBe(true)
      expect(allows(policies, 'events:PutEvents', `${regional('events')}:event-bus/default`)).toBe(false)
    })

    it('It should expand the DynamoDB templates to the table and its indexes, with their own actions', () => {
      const table = `${regional('dynamodb')}:table/jobs-dev`
      const crud = { DynamoDBCrudPolicy: { TableName: 'jobs-dev' } }
      const read = { DynamoDBReadPolicy: { TableName: 'jobs-dev' } }
      const write = { DynamoDBWritePolicy: { TableName: 'jobs-dev' } }
      expect(allows(crud, 'dynamodb:PutItem', table)).toBe(true)
      expect(allows(crud, 'dynamodb:DeleteItem', table)).toBe(true)
      expect(allows(crud, 'dynamodb:Query', `${table}/index/by-state`)).toBe(true)
      expect(allows(crud, 'dynamodb:PutItem', `${regional('dynamodb')}:table/jobs-prod`)).toBe(false)
      expect(allows(read, 'dynamodb:GetItem', table)).toBe(true)
      expect(allows(read, 'dynamodb:PutItem', table)).toBe(false)
      expect(allows(write, 'dynamodb:UpdateItem', table)).toBe(true)
      expect(allows(write, 'dynamodb:GetItem', table)).toBe(false)
      expect(allows(write, 'dynamodb:DeleteItem', table)).toBe(false)
    })

    it('It should expand AWSSecretsManagerGetSecretValuePolicy to the secret ARN it is given', () => {
      const secret = `${regional('secretsmanager')}:secret:db-AbCdEf`
      const policies = { AWSSecretsManagerGetSecretValuePolicy: { SecretArn: secret } }
      expect(allows(policies, 'secretsmanager:GetSecretValue', secret)).toBe(true)
      expect(allows(policies, 'secretsmanager:GetSecretValue', `${regional('secretsmanager')}:secret:other-AbCdEf`)).toBe(false)
    })

    it('It should expand a template with no parameters, given an empty object or nothing', () => {
      expect(allows({ VPCAccessPolicy: {} }, 'ec2:CreateNetworkInterface', '*')).toBe(true)
      expect(allows({ CloudWatchPutMetricPolicy: null }, 'cloudwatch:PutMetricData', '*')).toBe(true)
    })

    it('It should expand each statement of a template with several', () => {
      const { statements } = expandSamPolicies({ SSMParameterReadPolicy: { ParameterName: 'app/config' } }, pseudo)
      expect(statements.map(({ statement }) => statement.Resource)).toEqual(['*', `${regional('ssm')}:parameter/app/config`])
      expect(statements.every(({ source }) => source === 'SSMParameterReadPolicy')).toBe(true)
    })

    it('It should note a missing parameter and give no statement', () => {
      expect(expandSamPolicies([{ SQSSendMessagePolicy: {} }], pseudo)).toEqual({
        statements: [],
        notes: ['policy template SQSSendMessagePolicy: parameter QueueName is missing: its permissions are not checked'],
      })
      expect(expandSamPolicies([{ SQSSendMessagePolicy: { Queue: 'jobs' } }], pseudo).notes).toEqual([
        'policy template SQSSendMessagePolicy: parameter QueueName is missing: its permissions are not checked',
      ])
    })

    it('It should note a parameter left unresolved', () => {
      const { statements, notes } = expandSamPolicies(
        [{ SQSSendMessagePolicy: { QueueName: { 'Fn::GetAtt': ['Queue', 'QueueName'] } } }],
        pseudo,
      )
      expect(statements).toEqual([])
      expect(notes).toEqual([
        'policy template SQSSendMessagePolicy: parameter QueueName is not a string ({"Fn::GetAtt":["Queue","QueueName"]}): its permissions are not checked',
      ])
    })

    it('It should note a template it does not know', () => {
      expect(expandSamPolicies([{ NotASamPolicyTemplate: {} }], pseudo)).toEqual({
        statements: [],
        notes: ['policy template NotASamPolicyTemplate is not known: its permissions are not checked'],
      })
    })
  })

  describe('entries', () => {
    it('It should take one entry that is not in a list', () => {
      expect(allows('AWSLambdaBasicExecutionRole', 'logs:PutLogEvents', '*')).toBe(true)
      expect(allows({ SQSSendMessagePolicy: { QueueName: 'jobs' } }, 'sqs:SendMessage', `${regional('sqs')}:jobs`)).toBe(true)
    })

    it('It should take nothing from no Policies', () => {
      expect(expandSamPolicies(undefined, pseudo)).toEqual({ statements: [], notes: [] })
      expect(expandSamPolicies(null, pseudo)).toEqual({ statements: [], notes: [] })
      expect(expandSamPolicies([], pseudo)).toEqual({ statements: [], notes: [] })
    })

    it('It should name an inline document by its index in the list', () => {
      const statement = { Effect: 'Allow', Action: 'servicediscovery:DiscoverInstances', Resource: '*' }
      const { statements } = expandSamPolicies(
        ['AWSLambdaBasicExecutionRole', { Version: '2012-10-17', Statement: [statement] }, { Statement: statement }],
        pseudo,
      )
      expect(statements.filter(({ source }) => source.startsWith('inline'))).toEqual([
        { statement, source: 'inline policy #1' },
        { statement, source: 'inline policy #2' },
      ])
    })

    it('It should expand a mixed list, noting what it does not know and keeping the rest', () => {
      const policies = [
        'AWSLambdaBasicExecutionRole',
        'arn:aws:iam::123456789012:policy/TeamPolicy',
        { SQSSendMessagePolicy: { QueueName: 'jobs' } },
        { DynamoDBReadPolicy: { TableName: 'jobs' } },
        { MysteryPolicy: { Name: 'x' } },
        {
          Statement: {
            Effect: 'Allow',
            Action: 'servicediscovery:DiscoverInstances',
            Resource: '*',
            Condition: { StringEquals: { 'servicediscovery:NamespaceName': 'dev' } },
          },
        },
        42,
      ]
      const { statements, notes } = expandSamPolicies(policies, pseudo)
      expect([...new Set(statements.map(({ source }) => source))]).toEqual([
        'AWSLambdaBasicExecutionRole',
        'SQSSendMessagePolicy',
        'DynamoDBReadPolicy',
        'inline policy #5',
      ])
      expect(notes).toEqual([
        'managed policy arn:aws:iam::123456789012:policy/TeamPolicy is not known: its permissions are not checked',
        'policy template MysteryPolicy is not known: its permissions are not checked',
        'policy #6 (42) is not understood: its permissions are not checked',
      ])
      const discover = (ns: string): AccessRequest => ({
        action: 'servicediscovery:DiscoverInstances',
        resource: '*',
        context: { 'servicediscovery:NamespaceName': ns },
      })
      expect(evaluateAccess(statements, discover('dev'))).toEqual({ allowed: true, source: 'inline policy #5' })
      expect(evaluateAccess(statements, discover('prod')).allowed).toBe(false)
      expect(evaluateAccess(statements, { action: 'dynamodb:GetItem', resource: `${regional('dynamodb')}:table/jobs` })).toEqual({
        allowed: true,
        source: 'DynamoDBReadPolicy',
      })
    })

    it('It should explain a denial with the template that came closest', () => {
      const decision = decide([{ SQSSendMessagePolicy: { QueueName: 'jobs' } }], {
        action: 'sqs:SendMessage',
        resource: `${regional('sqs')}:other`,
      })
      expect(decision).toEqual({
        allowed: false,
        denial: 'implicit',
        reason: `no statement allows sqs:SendMessage on ${regional('sqs')}:other; SQSSendMessagePolicy allows it on ${regional('sqs')}:jobs only`,
      })
    })
  })
})

describe('Function: expandManagedPolicies', () => {
  const sources = (statements: readonly SourcedStatement[]) => [...new Set(statements.map(({ source }) => source))]

  it('It should know the managed policies by name and by ARN, under policy/ or policy/service-role/', () => {
    const { statements, notes } = expandManagedPolicies(
      [
        'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole',
        'AWSLambdaSQSQueueExecutionRole',
        'arn:aws:iam::aws:policy/AWSCloudMapDiscoverInstanceAccess',
        'AWSCloudMapReadOnlyAccess',
        'arn:aws:iam::aws:policy/AWSCloudMapFullAccess',
      ],
      pseudo,
    )
    expect(notes).toEqual([])
    expect(sources(statements)).toEqual([
      'AWSLambdaBasicExecutionRole',
      'AWSLambdaSQSQueueExecutionRole',
      'AWSCloudMapDiscoverInstanceAccess',
      'AWSCloudMapReadOnlyAccess',
      'AWSCloudMapFullAccess',
    ])
  })

  it('It should give AWSLambdaBasicExecutionRole the logs actions only', () => {
    const { statements } = expandManagedPolicies(['AWSLambdaBasicExecutionRole'], pseudo)
    for (const action of ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']) {
      expect(evaluateAccess(statements, { action, resource: 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/f' }).allowed).toBe(
        true,
      )
    }
    expect(evaluateAccess(statements, { action: 'servicediscovery:DiscoverInstances', resource: '*' }).allowed).toBe(false)
    expect(evaluateAccess(statements, { action: 'sqs:ReceiveMessage', resource: '*' }).allowed).toBe(false)
  })

  it('It should give AWSLambdaSQSQueueExecutionRole the receiving actions on any queue, not sending', () => {
    const { statements } = expandManagedPolicies(['arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole'], pseudo)
    expect(evaluateAccess(statements, { action: 'sqs:ReceiveMessage', resource: `${regional('sqs')}:jobs` }).allowed).toBe(true)
    expect(evaluateAccess(statements, { action: 'sqs:DeleteMessage', resource: `${regional('sqs')}:jobs` }).allowed).toBe(true)
    expect(evaluateAccess(statements, { action: 'sqs:SendMessage', resource: `${regional('sqs')}:jobs` }).allowed).toBe(false)
  })

  it('It should give the Cloud Map policies discovery, reading and everything respectively', () => {
    const discover: AccessRequest = {
      action: 'servicediscovery:DiscoverInstances',
      resource: '*',
      context: { 'servicediscovery:NamespaceName': 'dev', 'servicediscovery:ServiceName': 'events' },
    }
    const getService: AccessRequest = { action: 'servicediscovery:GetService', resource: '*' }
    const register: AccessRequest = { action: 'servicediscovery:RegisterInstance', resource: '*' }
    const grants = (name: string, request: AccessRequest) =>
      evaluateAccess(expandManagedPolicies([name], pseudo).statements, request).allowed
    expect([discover, getService, register].map((request) => grants('AWSCloudMapDiscoverInstanceAccess', request))).toEqual([
      true,
      false,
      false,
    ])
    expect([discover, getService, register].map((request) => grants('AWSCloudMapReadOnlyAccess', request))).toEqual([true, true, false])
    expect([discover, getService, register].map((request) => grants('AWSCloudMapFullAccess', request))).toEqual([true, true, true])
  })

  it('It should note any other policy: another AWS managed one, a customer managed one, another partition, a non-string', () => {
    const others = [
      'arn:aws:iam::aws:policy/AmazonSQSFullAccess',
      'arn:aws:iam::123456789012:policy/TeamPolicy',
      'arn:aws-cn:iam::aws:policy/AWSCloudMapDiscoverInstanceAccess',
      'PowerUserAccess',
      { Ref: 'PolicyArn' },
    ]
    expect(expandManagedPolicies(others, pseudo)).toEqual({
      statements: [],
      notes: [
        'managed policy arn:aws:iam::aws:policy/AmazonSQSFullAccess is not known: its permissions are not checked',
        'managed policy arn:aws:iam::123456789012:policy/TeamPolicy is not known: its permissions are not checked',
        'managed policy arn:aws-cn:iam::aws:policy/AWSCloudMapDiscoverInstanceAccess is not known: its permissions are not checked',
        'managed policy PowerUserAccess is not known: its permissions are not checked',
        'managed policy {"Ref":"PolicyArn"} is not known: its permissions are not checked',
      ],
    })
  })

  it('It should know the ARNs of the partition it is given', () => {
    const china: Pseudo = { partition: 'aws-cn', region: 'cn-north-1', accountId: '210987654321' }
    const { statements, notes } = expandManagedPolicies(['arn:aws-cn:iam::aws:policy/AWSCloudMapDiscoverInstanceAccess'], china)
    expect(notes).toEqual([])
    expect(sources(statements)).toEqual(['AWSCloudMapDiscoverInstanceAccess'])
  })
})
