import { describe, expect, it } from '@jest/globals'
import type { CloudMapConfig, InstanceConfig } from '../../src/config.js'
import { compileRegistrations, logicalPart, type RegistrationContext } from '../../src/registrations.js'

const context: RegistrationContext = {
  functions: ['getJob'],
  lambdaLogicalId: (name) => `${logicalPart(name)}LambdaFunction`,
  resources: {
    Queue: { Type: 'AWS::SQS::Queue' },
    Topic: { Type: 'AWS::SNS::Topic' },
    Fast: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineType: 'EXPRESS' } },
    Bus: { Type: 'AWS::Events::EventBus' },
    Table: { Type: 'AWS::DynamoDB::Table' },
  },
}

const one = (instance: InstanceConfig, id = 'it'): CloudMapConfig => ({
  namespaces: { app: { name: 'dev', services: { svc: { instances: { [id]: instance } } } } },
})

const attributesOf = (config: CloudMapConfig) => {
  const { resources } = compileRegistrations(config, context)
  return Object.values(resources).find((r) => r.Type === 'AWS::ServiceDiscovery::Instance')?.Properties?.InstanceAttributes
}

describe('compileRegistrations', () => {
  it('It should create an HTTP namespace named by `name`, an API-only service, and an instance in it, with logical ids from the keys', () => {
    const { resources } = compileRegistrations(one({ function: 'getJob' }, 'get-job'), context)
    expect(resources).toEqual({
      CloudMapAppNamespace: { Type: 'AWS::ServiceDiscovery::HttpNamespace', Properties: { Name: 'dev' } },
      CloudMapAppSvcService: {
        Type: 'AWS::ServiceDiscovery::Service',
        Properties: { Name: 'svc', NamespaceId: { 'Fn::GetAtt': ['CloudMapAppNamespace', 'Id'] }, Type: 'HTTP' },
      },
      CloudMapAppSvcGetJobInstance: {
        Type: 'AWS::ServiceDiscovery::Instance',
        Properties: {
          ServiceId: { Ref: 'CloudMapAppSvcService' },
          InstanceId: 'get-job',
          InstanceAttributes: { type: 'lambda', arn: { 'Fn::GetAtt': ['GetJobLambdaFunction', 'Arn'] } },
        },
      },
    })
  })

  it('It should put the services of an existing namespace (id) in it, creating no namespace', () => {
    const { resources } = compileRegistrations({ namespaces: { shared: { id: 'ns-abc123', services: { svc: {} } } } }, context)
    expect(Object.keys(resources)).toEqual(['CloudMapSharedSvcService'])
    expect(resources.CloudMapSharedSvcService?.Properties?.NamespaceId).toBe('ns-abc123')
  })

  it.each([
    [{ queue: 'Queue' }, { type: 'sqs', arn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, url: { Ref: 'Queue' } }],
    [{ topic: 'Topic' }, { type: 'sns', arn: { Ref: 'Topic' } }],
    [{ stateMachine: 'Fast' }, { type: 'stepfunctions', arn: { Ref: 'Fast' } }],
    [{ eventBus: 'Bus' }, { type: 'eventbridge', arn: { 'Fn::GetAtt': ['Bus', 'Arn'] } }],
    [{ http: 'https://jobs.example.com/v1' }, { type: 'http', url: 'https://jobs.example.com/v1' }],
    [
      { attributes: { tableName: { Ref: 'Table' }, weight: 3, primary: true } },
      { tableName: { Ref: 'Table' }, weight: '3', primary: 'true' },
    ],
    [
      { queue: 'Queue', attributes: { team: 'jobs' } },
      { type: 'sqs', arn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, url: { Ref: 'Queue' }, team: 'jobs' },
    ],
  ])('It should write exactly the attributes the kind reads for %j', (instance, attributes) => {
    expect(attributesOf(one(instance as InstanceConfig))).toEqual(attributes)
  })

  it('It should record each registration with its kind, type, ARN and whether a state machine is EXPRESS', () => {
    const { registrations } = compileRegistrations(one({ stateMachine: 'Fast' }), context)
    expect(registrations).toEqual([
      {
        namespace: 'dev',
        service: 'svc',
        instanceId: 'it',
        kind: 'stateMachine',
        type: 'stepfunctions',
        arn: { Ref: 'Fast' },
        express: true,
        attributes: { type: 'stepfunctions', arn: { Ref: 'Fast' } },
      },
    ])
  })

  it.each([
    [{ queue: 'Queue', attributes: { type: 'lambda' } }, 'the attribute "type" is the kind\'s own'],
    [{ attributes: { type: 'sqs' } }, 'the attribute "type" is the kind\'s own'],
    [{ queue: 'Queue', attributes: { url: 'https://x' } }, 'the attribute "url" is the kind\'s own'],
    [{ queue: 'Queue', topic: 'Topic' }, 'one target per instance, not queue and topic'],
    [{}, 'give a target'],
    [{ queue: 'Nope' }, 'no resource Nope in resources.Resources (a AWS::SQS::Queue)'],
    [{ queue: 'Topic' }, 'Topic is a AWS::SNS::Topic, not a AWS::SQS::Queue'],
    [{ function: 'nope' }, 'no function nope in functions: (getJob)'],
    [{ http: 'ftp://x' }, '"ftp://x" is not an http(s) URL'],
    [{ http: 'https://user:pw@x' }, 'the URL carries a user name or password'],
    [{ attributes: { big: 'x'.repeat(1025) } }, 'the attribute "big" is 1,025 characters; Cloud Map allows at most 1,024'],
    [{ attributes: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`a${i}`, 'v'])) }, '31 custom attributes'],
    [{ attributes: { list: [1] as unknown as string } }, 'the attribute "list" must be a string, a number, a boolean or an intrinsic'],
  ])('It should refuse %j at package time, naming the instance', (instance, message) => {
    expect(() => compileRegistrations(one(instance as InstanceConfig), context)).toThrow(`custom.cloudMap dev.svc->it: ${message}`)
  })

  it('It should refuse an instance id Cloud Map refuses, and a logical id that is taken', () => {
    expect(() => compileRegistrations(one({ queue: 'Queue' }, 'has space'), context)).toThrow(
      'custom.cloudMap dev.svc->has space: the instance id "has space" may hold only letters, digits',
    )
    const clash: CloudMapConfig = {
      namespaces: { app: { services: { svc: { instances: { 'a-b': { queue: 'Queue' }, a_b: { queue: 'Queue' } } } } } },
    }
    expect(() => compileRegistrations(clash, context)).toThrow(
      'custom.cloudMap app.svc->a_b: its logical id CloudMapAppSvcABInstance is taken',
    )
  })
})
