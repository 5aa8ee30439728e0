import { KINDS, type Kind } from '@cloudmap-middy/core/iam'
import { describe, expect, it } from '@jest/globals'
import type { Stack } from 'aws-cdk-lib'
import { CfnParameter } from 'aws-cdk-lib'
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions'
import * as sns from 'aws-cdk-lib/aws-sns'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import * as sfn from 'aws-cdk-lib/aws-stepfunctions'
import { registerInstance } from '../../src/index.js'
import { describeTarget, type InstanceTarget } from '../../src/targets.js'
import { bus, fixture, fn } from './fixture.js'

const instances = (template: Template) => Object.values(template.findResources('AWS::ServiceDiscovery::Instance'))

describe('Function: registerInstance', () => {
  it('It should register a Lambda function as type lambda with its ARN, in the service', () => {
    // Prepare
    const { stack, scheduler } = fixture()

    // Act
    registerInstance(scheduler, fn(stack, 'GetJob'), { instanceId: 'get-job' })

    // Assess
    Template.fromStack(stack).hasResourceProperties('AWS::ServiceDiscovery::Instance', {
      InstanceId: 'get-job',
      ServiceId: { 'Fn::GetAtt': [Match.stringLikeRegexp('^NamespaceScheduler'), 'Id'] },
      InstanceAttributes: { type: 'lambda', arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^GetJob'), 'Arn'] } },
    })
  })

  it('It should register an SQS queue as type sqs with its ARN and URL', () => {
    const { stack, scheduler } = fixture()

    registerInstance(scheduler, new sqs.Queue(stack, 'Jobs'), { instanceId: 'jobs' })

    Template.fromStack(stack).hasResourceProperties('AWS::ServiceDiscovery::Instance', {
      InstanceAttributes: {
        type: 'sqs',
        arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Jobs'), 'Arn'] },
        url: { Ref: Match.stringLikeRegexp('^Jobs') },
      },
    })
  })

  it('It should register an SNS topic as type sns with its ARN', () => {
    const { stack, scheduler } = fixture()

    registerInstance(scheduler, new sns.Topic(stack, 'Events'), { instanceId: 'events' })

    Template.fromStack(stack).hasResourceProperties('AWS::ServiceDiscovery::Instance', {
      InstanceAttributes: { type: 'sns', arn: { Ref: Match.stringLikeRegexp('^Events') } },
    })
  })

  it('It should register a state machine as type stepfunctions with its ARN', () => {
    const { stack, scheduler } = fixture()
    const machine = new sfn.StateMachine(stack, 'Invoice', {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Done')),
    })

    registerInstance(scheduler, machine, { instanceId: 'invoice' })

    Template.fromStack(stack).hasResourceProperties('AWS::ServiceDiscovery::Instance', {
      InstanceAttributes: { type: 'stepfunctions', arn: { Ref: Match.stringLikeRegexp('^Invoice') } },
    })
  })

  it('It should register an event bus as type eventbridge with its ARN', () => {
    const { stack, scheduler } = fixture()

    registerInstance(scheduler, bus(stack), { instanceId: 'bus' })

    Template.fromStack(stack).hasResourceProperties('AWS::ServiceDiscovery::Instance', {
      InstanceAttributes: { type: 'eventbridge', arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Bus'), 'Arn'] } },
    })
  })

  it('It should register an HTTP endpoint as type http with its URL', () => {
    const { stack, scheduler } = fixture()

    registerInstance(scheduler, { url: 'https://jobs.internal.example.com/v1' }, { instanceId: 'jobs-http' })

    Template.fromStack(stack).hasResourceProperties('AWS::ServiceDiscovery::Instance', {
      InstanceAttributes: { type: 'http', url: 'https://jobs.internal.example.com/v1' },
    })
  })

  it('It should register an instance of attributes only, with no type', () => {
    const { stack, scheduler } = fixture()

    registerInstance(scheduler, { instanceId: 'jobs-table', attributes: { tableName: 'jobs-prod' } })

    expect(instances(Template.fromStack(stack)).map((r) => r.Properties.InstanceAttributes)).toEqual([{ tableName: 'jobs-prod' }])
  })

  it("It should add the caller's attributes to the kind's own", () => {
    const { stack, scheduler } = fixture()

    registerInstance(scheduler, { url: 'https://jobs.example.com' }, { instanceId: 'jobs', attributes: { team: 'jobs', version: '2' } })

    expect(instances(Template.fromStack(stack))[0]?.Properties.InstanceAttributes).toEqual({
      type: 'http',
      url: 'https://jobs.example.com',
      team: 'jobs',
      version: '2',
    })
  })

  it("It should refuse attributes that override the kind's own", () => {
    const { stack, scheduler } = fixture()

    expect(() => registerInstance(scheduler, fn(stack, 'GetJob'), { instanceId: 'get-job', attributes: { arn: 'other' } })).toThrow(
      /prod\.scheduler->get-job.*arn are the lambda kind's own/,
    )
  })

  it('It should refuse more than 30 custom attributes', () => {
    const { scheduler } = fixture()
    const attributes = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`a${i}`, 'x']))

    // 30 of the caller's and the kind's type and url make 32.
    expect(() => registerInstance(scheduler, { url: 'https://a.example.com' }, { instanceId: 'a', attributes })).toThrow(
      /32 custom attributes; Cloud Map allows at most 30/,
    )
  })

  it('It should not count AWS_ attributes among the 30 custom ones', () => {
    const { stack, scheduler } = fixture()
    const attributes = Object.fromEntries(Array.from({ length: 28 }, (_, i) => [`a${i}`, 'x']))

    registerInstance(
      scheduler,
      { url: 'https://a.example.com' },
      { instanceId: 'a', attributes: { ...attributes, AWS_INIT_HEALTH_STATUS: 'HEALTHY' } },
    )

    expect(Object.keys(instances(Template.fromStack(stack))[0]?.Properties.InstanceAttributes)).toHaveLength(31)
  })

  it('It should refuse an attribute key longer than 255 characters', () => {
    const { scheduler } = fixture()

    expect(() => registerInstance(scheduler, { instanceId: 'a', attributes: { ['k'.repeat(256)]: 'x' } })).toThrow(
      /is 256 characters; Cloud Map allows at most 255/,
    )
  })

  it('It should refuse an attribute value longer than 1,024 characters', () => {
    const { scheduler } = fixture()

    expect(() => registerInstance(scheduler, { instanceId: 'a', attributes: { big: 'v'.repeat(1025) } })).toThrow(
      /attribute "big" is 1,025 characters; Cloud Map allows at most 1,024/,
    )
  })

  it('It should refuse an attribute value that is not printable ASCII', () => {
    const { scheduler } = fixture()

    expect(() => registerInstance(scheduler, { instanceId: 'a', attributes: { name: 'café' } })).toThrow(
      /"name" may hold only printable ASCII/,
    )
  })

  it('It should refuse attributes of more than 5,000 characters in all', () => {
    const { scheduler } = fixture()
    const attributes = Object.fromEntries(Array.from({ length: 5 }, (_, i) => [`k${i}`, 'v'.repeat(1000)]))

    expect(() => registerInstance(scheduler, { instanceId: 'a', attributes })).toThrow(
      /5,010 characters in all; Cloud Map allows at most 5,000/,
    )
  })

  it('It should refuse an instance id Cloud Map would refuse', () => {
    const { scheduler } = fixture()

    expect(() => registerInstance(scheduler, { instanceId: 'get job', attributes: { a: 'b' } })).toThrow(
      /instance id "get job" may hold only letters, digits/,
    )
    expect(() => registerInstance(scheduler, { instanceId: 'x'.repeat(65), attributes: { a: 'b' } })).toThrow(
      /65 characters; Cloud Map allows 1 to 64/,
    )
  })

  it('It should refuse an instance id registered twice in the service', () => {
    const { stack, scheduler } = fixture()
    registerInstance(scheduler, fn(stack, 'GetJob'), { instanceId: 'get-job' })

    expect(() => registerInstance(scheduler, fn(stack, 'Other'), { instanceId: 'get-job' })).toThrow(/already registered in this app/)
  })

  it('It should refuse an HTTP endpoint whose URL carries credentials', () => {
    const { scheduler } = fixture()

    expect(() => registerInstance(scheduler, { url: 'https://user:secret@jobs.example.com' }, { instanceId: 'jobs' })).toThrow(
      /carries a user name or password/,
    )
  })

  it('It should refuse an HTTP endpoint that is not http or https', () => {
    const { scheduler } = fixture()

    expect(() => registerInstance(scheduler, { url: 'ftp://jobs.example.com' }, { instanceId: 'jobs' })).toThrow(/not an http or https URL/)
  })

  it('It should refuse an instance of attributes only with no attribute', () => {
    const { scheduler } = fixture()

    expect(() => registerInstance(scheduler, { instanceId: 'empty' })).toThrow(/no target needs at least one attribute/)
  })

  it('It should refuse a target that is none of the kinds', () => {
    const { scheduler } = fixture()

    expect(() => registerInstance(scheduler, { arn: 'arn:aws:s3:::bucket' } as never, { instanceId: 'bucket' })).toThrow(TypeError)
  })

  it('It should warn about an attribute value that is a token, which only Cloud Map can check', () => {
    const { stack, scheduler } = fixture()
    const owner = new CfnParameter(stack, 'Owner').valueAsString

    registerInstance(scheduler, { url: 'https://jobs.example.com' }, { instanceId: 'jobs', attributes: { owner } })

    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('attribute "owner" is a token'))
  })

  it("It should warn when the service's name is a token grantServices() cannot match", () => {
    const { stack, namespace } = fixture()
    const service = namespace.createService('Named', { name: new CfnParameter(stack, 'ServiceName').valueAsString })

    registerInstance(service, { url: 'https://jobs.example.com' }, { instanceId: 'jobs' })

    Annotations.fromStack(stack).hasWarning('*', Match.stringLikeRegexp('grantServices\\(\\) cannot match'))
  })
})

// Per kind registerInstance() takes a construct for (a kind added to core's list and not here is a type error).
const TARGETS: { readonly [K in Exclude<Kind, 'instance'>]: (stack: Stack) => InstanceTarget } = {
  lambda: (stack) => fn(stack, 'Fn'),
  queue: (stack) => new sqs.Queue(stack, 'Queue'),
  topic: (stack) => new sns.Topic(stack, 'Topic'),
  http: () => ({ url: 'https://orders.example.com' }),
  stateMachine: (stack) =>
    new sfn.StateMachine(stack, 'Machine', { definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Pass')) }),
  eventBus: (stack) => bus(stack),
}

describe("Function: describeTarget agrees with core's list of kinds", () => {
  it.each(Object.keys(TARGETS) as (keyof typeof TARGETS)[])(
    "It should register a %s target with its kind's type and attributes",
    (kind) => {
      // Prepare
      const { stack } = fixture()
      const facts = KINDS[kind]

      // Act
      const described = describeTarget(kind, TARGETS[kind](stack))

      // Assess
      expect(described.kind).toBe(kind)
      expect(described.type).toBe(facts.type)
      expect(described.attributes.type).toBe(facts.type)
      for (const name of Object.keys(described.attributes).filter((key) => key !== 'type')) expect(facts.attributes).toContain(name)
      expect(described.arn === undefined).toBe(facts.arnService === undefined)
    },
  )

  it('It should cover every kind with a type', () => {
    expect(Object.keys(TARGETS).sort()).toEqual((Object.keys(KINDS) as Kind[]).filter((kind) => KINDS[kind].type !== undefined).sort())
  })
})
