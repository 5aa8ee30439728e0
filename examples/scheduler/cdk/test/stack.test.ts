import { spawnSync } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { Match, Template } from 'aws-cdk-lib/assertions'
import { schedulerApp } from '../app.js'

// One synth for every test: the template does not change between them.
const { app, stack } = schedulerApp({ outdir: mkdtempSync(join(tmpdir(), 'scheduler-cdk-')), bundling: false })
const assembly = app.synth()
const template = Template.fromJSON(assembly.getStackByName(stack.stackName).template)

/** The statements of the policy of the function `<name>-dev`. */
function statementsOf(name: string) {
  const functionId = Object.entries(template.findResources('AWS::Lambda::Function')).find(
    ([, r]) => r.Properties.FunctionName === name,
  )?.[0]
  const role = template.findResources('AWS::Lambda::Function')[functionId ?? '']?.Properties.Role['Fn::GetAtt'][0]
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((policy) => JSON.stringify(policy.Properties.Roles) === JSON.stringify([{ Ref: role }]))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
}

describe('Example: scheduler, its CDK app', () => {
  it('It should register get-job in the scheduler service with the attributes lambda() reads', () => {
    template.hasResourceProperties('AWS::ServiceDiscovery::Instance', {
      InstanceId: 'get-job',
      InstanceAttributes: { type: 'lambda', arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^GetJobFunction'), 'Arn'] } },
    })
  })

  it('It should let jobs-api discover dev.scheduler and invoke get-job, and nothing else', () => {
    expect(statementsOf('jobs-api-dev')).toEqual([
      {
        Effect: 'Allow',
        Action: 'servicediscovery:DiscoverInstances',
        Resource: '*',
        Condition: { StringEquals: { 'servicediscovery:NamespaceName': 'dev', 'servicediscovery:ServiceName': 'scheduler' } },
      },
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [expect.stringMatching(/^GetJobFunction/), 'Arn'] } },
    ])
  })

  it('It should let schedule-job send to the queue and publish to the topic its handler declares, and not receive', () => {
    const actions = statementsOf('schedule-job-dev').flatMap((statement) => statement.Action)

    expect(actions.sort()).toEqual(['dynamodb:PutItem', 'servicediscovery:DiscoverInstances', 'sns:Publish', 'sqs:SendMessage'])
  })

  it('It should let the worker discover dev.events and dev.storage and put events on the job bus only', () => {
    const statements = statementsOf('worker-dev')

    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'servicediscovery:DiscoverInstances',
      Resource: '*',
      Condition: { StringEquals: { 'servicediscovery:NamespaceName': 'dev', 'servicediscovery:ServiceName': ['events', 'storage'] } },
    })
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'events:PutEvents',
      Resource: { 'Fn::GetAtt': [expect.stringMatching(/^JobBus/), 'Arn'] },
    })
    template.hasResourceProperties('AWS::ServiceDiscovery::Instance', {
      InstanceId: 'job-bus',
      InstanceAttributes: { type: 'eventbridge', arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^JobBus'), 'Arn'] } },
    })
  })

  it('It should synthesize a template that cfn-lint accepts', () => {
    const lint = spawnSync('cfn-lint', [join(assembly.directory, `${stack.stackName}.template.json`)], { encoding: 'utf8' })

    expect(lint.error?.message ?? `${lint.stdout}${lint.stderr}`).toBe('')
    expect(lint.status).toBe(0)
  })
})
