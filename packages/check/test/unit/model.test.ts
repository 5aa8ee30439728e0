import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { readTemplate, TemplateError } from '../../src/model.js'

/** Writes a JSON template (and the given files beside it) to a new folder; returns its path. */
function write(template: object, files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'check-model-'))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  const path = join(dir, 'template.json')
  writeFileSync(path, JSON.stringify(template))
  return path
}

const registry = {
  Namespace: { Type: 'AWS::ServiceDiscovery::HttpNamespace', Properties: { Name: { 'Fn::Sub': '${Stage}-app' } } },
  Service: { Type: 'AWS::ServiceDiscovery::Service', Properties: { Name: 'orders', NamespaceId: { 'Fn::GetAtt': ['Namespace', 'Id'] } } },
  Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { 'Fn::Sub': 'orders-${Stage}.fifo' }, FifoQueue: true } },
  QueueInstance: {
    Type: 'AWS::ServiceDiscovery::Instance',
    Properties: {
      ServiceId: { Ref: 'Service' },
      InstanceId: 'queue',
      InstanceAttributes: { type: 'sqs', arn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, url: { Ref: 'Queue' }, weight: 3, primary: true },
    },
  },
}

describe('readTemplate', () => {
  it('registers instances with their attributes resolved in the given region and account, numbers and booleans as text', () => {
    const path = write({ Parameters: { Stage: { Type: 'String', Default: 'dev' } }, Resources: registry })
    const model = readTemplate(path, { parameters: { Stage: 'prod', 'AWS::Region': 'cn-north-1', 'AWS::AccountId': '111122223333' } })
    expect(model.namespaces).toEqual(['prod-app'])
    expect(model.services).toEqual([{ logicalId: 'Service', name: 'orders', namespace: 'prod-app' }])
    expect(model.instances).toEqual([
      {
        logicalId: 'QueueInstance',
        namespace: 'prod-app',
        service: 'orders',
        instanceId: 'queue',
        attributes: {
          type: 'sqs',
          arn: 'arn:aws-cn:sqs:cn-north-1:111122223333:orders-prod.fifo',
          url: 'https://sqs.cn-north-1.amazonaws.com.cn/111122223333/orders-prod.fifo',
          weight: '3',
          primary: 'true',
        },
      },
    ])
    expect(model.pseudo).toEqual({ partition: 'aws-cn', region: 'cn-north-1', accountId: '111122223333' })
  })

  it('leaves out resources whose Condition is false', () => {
    const path = write({
      Parameters: { Stage: { Type: 'String', Default: 'dev' } },
      Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] } },
      Resources: { ...registry, QueueInstance: { ...registry.QueueInstance, Condition: 'IsProd' } },
    })
    expect(readTemplate(path).instances).toEqual([])
    expect(readTemplate(path, { parameters: { Stage: 'prod' } }).instances.map((i) => i.instanceId)).toEqual(['queue'])
  })

  it('refuses a parameter the template lacks, and a parameter with no default that is not given', () => {
    const path = write({ Parameters: { Stage: { Type: 'String' } }, Resources: registry })
    expect(() => readTemplate(path)).toThrow(new TemplateError('parameter Stage has no default: give --param Stage=<value>'))
    expect(() => readTemplate(path, { parameters: { Stage: 'dev', Stag: 'x' } })).toThrow(
      '--param Stag: the template has no parameter Stag',
    )
  })

  it('refuses what is not a template, naming the file', () => {
    const path = write({ AWSTemplateFormatVersion: '2010-09-09' })
    expect(() => readTemplate(path)).toThrow(`${path}: not a CloudFormation template (no Resources)`)
    expect(() => readTemplate(join(path, '..', 'missing.yaml'))).toThrow(TemplateError)
  })

  it("finds a SAM function's module from CodeUri and Handler, merges Globals' environment under its own, and expands its Policies", () => {
    const path = write(
      {
        Transform: 'AWS::Serverless-2016-10-31',
        Globals: { Function: { Runtime: 'nodejs22.x', CodeUri: 'src/', Environment: { Variables: { A: 'global', B: 'global' } } } },
        Resources: {
          ...registry,
          Api: {
            Type: 'AWS::Serverless::Function',
            Properties: {
              Handler: 'api.main',
              Environment: { Variables: { B: 'own', QUEUE: { Ref: 'Queue' } } },
              Policies: [{ SQSSendMessagePolicy: { QueueName: { 'Fn::GetAtt': ['Queue', 'QueueName'] } } }, 'SomeCustomerPolicy'],
            },
          },
          Gone: { Type: 'AWS::Serverless::Function', Properties: { Handler: 'gone.handler' } },
          Py: { Type: 'AWS::Serverless::Function', Properties: { Runtime: 'python3.12', Handler: 'app.handler' } },
        },
        Parameters: { Stage: { Type: 'String', Default: 'dev' } },
      },
      { 'src/api.ts': 'export const main = () => undefined\n' },
    )
    const model = readTemplate(path)
    expect(model.form).toBe('sam')
    const [api, gone, py] = model.functions
    expect(api?.handler).toEqual({ module: join(path, '..', 'src', 'api.ts'), exportName: 'main' })
    expect(api?.environment).toEqual({ A: 'global', B: 'own', QUEUE: 'https://sqs.us-east-1.amazonaws.com/123456789012/orders-dev.fifo' })
    expect(api?.statements.map((s) => s.source)).toEqual(['SQSSendMessagePolicy'])
    expect(api?.notes).toEqual(['managed policy SomeCustomerPolicy is not known: its permissions are not checked'])
    expect(gone?.handler).toEqual({ missing: 'no module gone.{mjs,js,cjs,ts,mts,cts} in src/' })
    expect(py?.skipped).toBe('runtime python3.12 is not Node.js')
  })

  it("reads a CDK function's permissions from its role's attached policies, and its module from --handler", () => {
    const path = write(
      {
        Resources: {
          ...registry,
          Role: {
            Type: 'AWS::IAM::Role',
            Properties: {
              ManagedPolicyArns: [
                { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaBasicExecutionRole']] },
              ],
            },
          },
          RolePolicy: {
            Type: 'AWS::IAM::Policy',
            Properties: {
              PolicyName: 'RolePolicy',
              Roles: [{ Ref: 'Role' }],
              PolicyDocument: { Statement: [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: { 'Fn::GetAtt': ['Queue', 'Arn'] } }] },
            },
          },
          OtherPolicy: {
            Type: 'AWS::IAM::Policy',
            Properties: {
              PolicyName: 'Other',
              Roles: ['someone-else'],
              PolicyDocument: { Statement: { Effect: 'Allow', Action: '*', Resource: '*' } },
            },
          },
          Fn1234ABCD: {
            Type: 'AWS::Lambda::Function',
            Properties: {
              FunctionName: 'api-dev',
              Handler: 'index.handler',
              Runtime: 'nodejs22.x',
              Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
            },
          },
        },
        Parameters: { Stage: { Type: 'String', Default: 'dev' } },
      },
      { 'src/api.ts': 'export const handler = () => undefined\n' },
    )
    const module = join(path, '..', 'src', 'api.ts')
    const given = readTemplate(path, { handlers: { 'api-dev': `${module}#main` } })
    expect(given.form).toBe('cloudformation')
    expect(given.functions[0]?.handler).toEqual({ module, exportName: 'main' })
    expect(given.functions[0]?.statements.map((s) => [s.source, s.statement.Resource])).toEqual([
      ['AWSLambdaBasicExecutionRole', '*'],
      ['policy RolePolicy', 'arn:aws:sqs:us-east-1:123456789012:orders-dev.fifo'],
    ])
    expect(readTemplate(path).functions[0]?.handler).toEqual({
      missing: 'give its module: --handler Fn1234ABCD=<path to the handler module>',
    })
    expect(() => readTemplate(path, { handlers: { nope: module } })).toThrow('--handler nope: the template has no function nope')
    expect(() => readTemplate(path, { handlers: { Fn1234ABCD: '/no/such/file.ts' } })).toThrow(
      '--handler Fn1234ABCD: no file /no/such/file.ts',
    )
  })
})
