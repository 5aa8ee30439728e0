import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { evaluateAccess } from '../../src/iam.js'
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
  Namespace: { Type: 'AWS::ServiceDiscovery::HttpNamespace', Properties: { Name: { 'Fn::Sub': `\${Stage}-app` } } },
  Service: { Type: 'AWS::ServiceDiscovery::Service', Properties: { Name: 'orders', NamespaceId: { 'Fn::GetAtt': ['Namespace', 'Id'] } } },
  Queue: { Type: 'AWS::SQS::Queue', Properties: { QueueName: { 'Fn::Sub': `orders-\${Stage}.fifo` }, FifoQueue: true } },
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
    expect(model.services).toEqual([
      {
        logicalId: 'Service',
        name: 'orders',
        namespace: 'prod-app',
        arn: 'arn:aws-cn:servicediscovery:cn-north-1:111122223333:service/srv-service',
      },
    ])
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
    expect(gone?.handler).toEqual({ missing: 'no module gone{,.js,.mjs,.cjs,.ts,.mts,.cts} in src/' })
    expect(py?.skipped).toBe('runtime python3.12 is not Node.js')
  })

  it('reads a template `sls package` wrote: each Handler is a module of the service folder (a TS source too), with no --handler', () => {
    const service = mkdtempSync(join(tmpdir(), 'check-sls-'))
    mkdirSync(join(service, 'src', 'handlers'), { recursive: true })
    mkdirSync(join(service, '.serverless'))
    writeFileSync(join(service, 'package.json'), '{}')
    writeFileSync(join(service, 'src', 'handlers', 'api.ts'), 'export const handler = () => undefined\n')
    const fn = (handler: string) => ({
      Type: 'AWS::Lambda::Function',
      Properties: {
        Runtime: 'nodejs22.x',
        Handler: handler,
        Code: { S3Bucket: { Ref: 'ServerlessDeploymentBucket' }, S3Key: 'serverless/app/dev/1/app.zip' },
        Role: { 'Fn::GetAtt': ['IamRoleLambdaExecution', 'Arn'] },
      },
    })
    const template = {
      Resources: {
        ServerlessDeploymentBucket: { Type: 'AWS::S3::Bucket' },
        IamRoleLambdaExecution: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } },
        ApiLambdaFunction: fn('src/handlers/api.handler'),
        GoneLambdaFunction: fn('src/handlers/gone.handler'),
      },
    }
    const path = join(service, '.serverless', 'cloudformation-template-update-stack.json')
    writeFileSync(path, JSON.stringify(template))
    const [api, gone] = readTemplate(path).functions
    expect(api?.handler).toEqual({ module: join(realpathSync(service), 'src', 'handlers', 'api.ts'), exportName: 'handler' })
    expect(gone?.handler).toEqual({
      missing: `no module src/handlers/gone{,.js,.mjs,.cjs,.ts,.mts,.cts} in the service folder ${realpathSync(service)}`,
    })
    // The same template anywhere else is a CloudFormation template whose modules must be named.
    const elsewhere = write(template)
    expect(readTemplate(elsewhere).functions[0]?.handler).toEqual({
      missing: 'give its module: --handler ApiLambdaFunction=<path to the handler module>',
    })
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

/** Writes a YAML template (lines joined) to a new folder, with the given files beside it; returns its path. */
function writeYaml(lines: readonly string[], files: Record<string, string> = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'check-model-'))
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true })
    writeFileSync(join(dir, name), text)
  }
  const path = join(dir, 'template.yaml')
  writeFileSync(path, lines.join('\n'))
  return path
}

/** Fields the model gained, read through a loose type: a missing one fails a test, not the build. */
const loose = (value: unknown): Record<string, unknown> => (value ?? {}) as Record<string, unknown>

/** What reading threw: its class name and message (a TemplateError, never a TypeError). */
function thrown(read: () => unknown): { name: string; message: string } {
  try {
    read()
  } catch (error) {
    return { name: (error as Error).name, message: (error as Error).message }
  }
  return { name: 'nothing thrown', message: '' }
}

/** A registry (namespace `app`, service `orders`) and one instance with these attributes (YAML flow lines). */
const registryYaml = (attributes: readonly string[]): string[] => [
  '  Namespace: { Type: AWS::ServiceDiscovery::HttpNamespace, Properties: { Name: app } }',
  '  Service: { Type: AWS::ServiceDiscovery::Service, Properties: { Name: orders, NamespaceId: !GetAtt Namespace.Id } }',
  '  Instance:',
  '    Type: AWS::ServiceDiscovery::Instance',
  '    Properties:',
  '      ServiceId: !Ref Service',
  '      InstanceId: it',
  '      InstanceAttributes:',
  ...attributes.map((line) => `        ${line}`),
]

describe('readTemplate: values only a deploy knows', () => {
  it('registers an imported value and a nested stack output as visible placeholders, not as plain strings', () => {
    const path = writeYaml([
      'Resources:',
      '  Shared: { Type: AWS::CloudFormation::Stack, Properties: { TemplateURL: "https://example.com/t.yaml" } }',
      ...registryYaml(['type: sqs', 'arn: !ImportValue SharedQueueArn', 'url: !GetAtt Shared.Outputs.QueueUrl']),
    ])
    expect(readTemplate(path).instances[0]?.attributes).toEqual({
      type: 'sqs',
      arn: '«Fn::ImportValue SharedQueueArn»',
      url: '«Fn::GetAtt Shared.Outputs.QueueUrl»',
    })
  })

  it('looks names up in the Mappings, and compares Fn::Equals as strings (!Equals [!Ref Disabled, true])', () => {
    const path = writeYaml([
      'Parameters:',
      '  Stage: { Type: String, Default: prod }',
      '  Disabled: { Type: String, Default: "true" }',
      'Mappings:',
      '  Names: { prod: { Queue: orders-prod }, dev: { Queue: orders-dev } }',
      'Conditions:',
      '  IsDisabled: !Equals [!Ref Disabled, true]',
      '  IsEnabled: !Not [!Condition IsDisabled]',
      'Resources:',
      '  Queue: { Type: AWS::SQS::Queue, Properties: { QueueName: !FindInMap [Names, !Ref Stage, Queue] } }',
      '  Extra: { Type: AWS::SQS::Queue, Condition: IsEnabled }',
      ...registryYaml(['arn: !GetAtt Queue.Arn', 'state: !If [IsDisabled, off, on]']),
    ])
    expect(readTemplate(path).instances[0]?.attributes).toEqual({ arn: 'arn:aws:sqs:us-east-1:123456789012:orders-prod', state: 'off' })
    expect(readTemplate(path, { parameters: { Stage: 'dev', Disabled: 'false' } }).instances[0]?.attributes).toEqual({
      arn: 'arn:aws:sqs:us-east-1:123456789012:orders-dev',
      state: 'on',
    })
  })
})

describe('readTemplate: a template it cannot read is a TemplateError naming the resource and the property', () => {
  const base = ['Resources:', ...registryYaml(['type: sqs'])]

  it('refuses a resource Condition that names no condition', () => {
    const path = writeYaml([...base, '  Queue: { Type: AWS::SQS::Queue, Condition: Nope }'])
    expect(thrown(() => readTemplate(path))).toEqual({ name: 'TemplateError', message: 'Queue Condition: no condition Nope in Conditions' })
  })

  it('refuses an empty resource and an empty parameter', () => {
    expect(thrown(() => readTemplate(writeYaml([...base, '  Queue:'])))).toEqual({
      name: 'TemplateError',
      message: 'Queue: the resource is empty (it has no Type)',
    })
    expect(thrown(() => readTemplate(writeYaml(['Parameters:', '  Stage:', ...base])))).toEqual({
      name: 'TemplateError',
      message: 'parameter Stage: its declaration is empty (it has no Type)',
    })
  })

  it('refuses a !Ref to nothing, in a name and in an attribute', () => {
    expect(
      thrown(() => readTemplate(writeYaml([...base, '  Queue: { Type: AWS::SQS::Queue, Properties: { QueueName: !Ref Nope } }']))),
    ).toEqual({
      name: 'TemplateError',
      message: 'Queue QueueName: !Ref Nope names nothing in this template',
    })
    const path = writeYaml(['Resources:', ...registryYaml(['arn: !GetAtt Nope.Arn', 'url: !Ref Nope'])])
    expect(thrown(() => readTemplate(path))).toEqual({
      name: 'TemplateError',
      message: 'Instance InstanceAttributes: !GetAtt Nope.Arn names nothing in this template',
    })
  })

  it('refuses a reference to a resource whose Condition is false, saying so', () => {
    const path = writeYaml([
      'Conditions:',
      '  Never: !Equals [a, b]',
      'Resources:',
      '  Queue: { Type: AWS::SQS::Queue, Condition: Never }',
      ...registryYaml(['arn: !GetAtt Queue.Arn']),
    ])
    expect(thrown(() => readTemplate(path))).toEqual({
      name: 'TemplateError',
      message: 'Instance InstanceAttributes: !GetAtt Queue.Arn names Queue, which is not created (its Condition Never is false)',
    })
  })

  it('refuses what an intrinsic cannot give (a mapping key that is not there)', () => {
    const path = writeYaml(['Mappings:', '  M: { a: { b: c } }', 'Resources:', ...registryYaml(['x: !FindInMap [M, z, b]'])])
    expect(thrown(() => readTemplate(path))).toEqual({
      name: 'TemplateError',
      message: 'Instance InstanceAttributes: !FindInMap [M, z, b]: mapping M has no key z',
    })
  })

  it('does not drop Policies or Environment it cannot resolve: it notes why on the function', () => {
    const path = writeYaml([
      'Transform: AWS::Serverless-2016-10-31',
      'Resources:',
      '  Queue: { Type: AWS::SQS::Queue }',
      '  Fn:',
      '    Type: AWS::Serverless::Function',
      '    Properties:',
      '      Runtime: nodejs22.x',
      '      Handler: app.handler',
      '      CodeUri: src/',
      '      Environment: { Variables: { GOOD: !Ref Queue, BAD: !GetAtt Queue.Nope } }',
      '      Policies:',
      '        - SQSSendMessagePolicy: { QueueName: !GetAtt Queue.QueueName }',
      '        - Statement: [{ Effect: Allow, Action: "sqs:*", Resource: !GetAtt Queue.Nope }]',
    ])
    const [fn] = readTemplate(path).functions
    expect(fn?.notes).toEqual([
      'Environment variable BAD could not be resolved: !GetAtt Queue.Nope is not known',
      'Policies could not be resolved: !GetAtt Queue.Nope is not known',
    ])
    expect(fn?.environment).toEqual({
      GOOD: 'https://sqs.us-east-1.amazonaws.com/123456789012/template-Queue-GENERATED',
      BAD: '«not resolved: !GetAtt Queue.Nope is not known»',
    })
  })

  it('names the resources of a reference cycle', () => {
    const path = writeYaml([
      'Resources:',
      '  A: { Type: AWS::SQS::Queue, Properties: { QueueName: !GetAtt B.QueueName } }',
      '  B: { Type: AWS::SQS::Queue, Properties: { QueueName: !GetAtt A.QueueName } }',
    ])
    expect(thrown(() => readTemplate(path))).toEqual({
      name: 'TemplateError',
      message: 'A QueueName: !GetAtt B.QueueName: a reference cycle among A, B',
    })
  })

  it('refuses Fn::ForEach, which it does not expand', () => {
    const path = writeYaml(['Resources:', `  Fn::ForEach::Queues: [Name, [a, b], { "Queue\${Name}": { Type: AWS::SQS::Queue } }]`])
    expect(thrown(() => readTemplate(path))).toEqual({
      name: 'TemplateError',
      message: 'Fn::ForEach::Queues: Fn::ForEach is not supported: give the template it expands to',
    })
  })

  it('reads a parameter of an SSM type as a placeholder: its value is read at deploy time', () => {
    const path = writeYaml([
      'Parameters:',
      '  QueueArn: { Type: "AWS::SSM::Parameter::Value<String>", Default: /shared/queue-arn }',
      'Resources:',
      ...registryYaml(['arn: !Ref QueueArn']),
    ])
    expect(readTemplate(path).instances[0]?.attributes.arn).toBe('«AWS::SSM::Parameter::Value<String> /shared/queue-arn»')
  })
})

describe('readTemplate: functions', () => {
  const sam = (properties: readonly string[], extra: readonly string[] = []) =>
    writeYaml(
      [
        'Transform: AWS::Serverless-2016-10-31',
        'Parameters:',
        '  Runtime: { Type: String, Default: python3.12 }',
        'Resources:',
        '  Fn:',
        '    Type: AWS::Serverless::Function',
        '    Properties:',
        '      FunctionName: api',
        ...properties.map((line) => `      ${line}`),
        ...extra,
      ],
      { 'src/app.ts': 'export const handler = () => undefined\n' },
    )

  it("gives AutoPublishAlias's !Ref Fn.Alias as the alias ARN and !Ref Fn.Version as a version ARN", () => {
    const path = sam(
      ['Runtime: nodejs22.x', 'Handler: app.handler', 'CodeUri: src/', 'AutoPublishAlias: live'],
      registryYaml(['type: lambda', 'arn: !Ref Fn.Alias', 'version: !Ref Fn.Version', `sub: !Sub "\${Fn.Alias}"`]),
    )
    expect(readTemplate(path).instances[0]?.attributes).toEqual({
      type: 'lambda',
      arn: 'arn:aws:lambda:us-east-1:123456789012:function:api:live',
      version: 'arn:aws:lambda:us-east-1:123456789012:function:api:1',
      sub: 'arn:aws:lambda:us-east-1:123456789012:function:api:live',
    })
  })

  it('resolves a Runtime given by !Ref before deciding it is not Node.js, and skips a container image', () => {
    expect(readTemplate(sam(['Runtime: !Ref Runtime', 'Handler: app.handler', 'CodeUri: src/'])).functions[0]?.skipped).toBe(
      'runtime python3.12 is not Node.js',
    )
    const node = sam(['Runtime: !Ref Runtime', 'Handler: app.handler', 'CodeUri: src/'])
    const fn = readTemplate(node, { parameters: { Runtime: 'nodejs22.x' } }).functions[0]
    expect([fn?.runtime, fn?.skipped]).toEqual(['nodejs22.x', undefined])
    expect(readTemplate(sam(['PackageType: Image', 'ImageUri: repo:latest'])).functions[0]?.skipped).toBe('its code is a container image')
  })
})

describe('readTemplate: roles and policies', () => {
  it('provides the role SAM creates for a function without Role, and gives the function the policies that name it', () => {
    const path = writeYaml(
      [
        'Transform: AWS::Serverless-2016-10-31',
        'Resources:',
        '  Fn: { Type: AWS::Serverless::Function, Properties: { Runtime: nodejs22.x, Handler: app.handler, CodeUri: src/ } }',
        '  Extra:',
        '    Type: AWS::IAM::Policy',
        '    Properties: { PolicyName: extra, Roles: [!Ref FnRole], PolicyDocument: { Statement: [{ Effect: Allow, Action: "sqs:*", Resource: "*" }] } }',
        ...registryYaml(['role: !GetAtt FnRole.Arn']),
      ],
      { 'src/app.ts': 'export const handler = () => undefined\n' },
    )
    const model = readTemplate(path)
    expect(model.instances[0]?.attributes.role).toBe('arn:aws:iam::123456789012:role/template-FnRole-GENERATED')
    expect([loose(model.functions[0]).permissions, model.functions[0]?.statements.map((s) => s.source)]).toEqual([
      'template',
      ['policy Extra'],
    ])
  })

  const allow = (resource: string) => `{ Statement: [{ Effect: Allow, Action: "sqs:SendMessage", Resource: ${resource} }] }`

  it("builds a role's ARN with its Path, and finds the role of a function that gives it as an ARN", () => {
    const path = writeYaml([
      'Resources:',
      `  Role: { Type: AWS::IAM::Role, Properties: { RoleName: worker, Path: /service/, Policies: [{ PolicyName: p, PolicyDocument: ${allow('"*"')} }] } }`,
      '  Fn:',
      '    Type: AWS::Lambda::Function',
      `    Properties: { Runtime: nodejs22.x, Handler: index.handler, Code: { S3Bucket: b, S3Key: k }, Role: !Sub "arn:\${AWS::Partition}:iam::\${AWS::AccountId}:role/service/worker" }`,
      '  Other:',
      '    Type: AWS::Lambda::Function',
      '    Properties: { Runtime: nodejs22.x, Handler: index.handler, Code: { S3Bucket: b, S3Key: k }, Role: "arn:aws:iam::123456789012:role/elsewhere" }',
      ...registryYaml(['arn: !GetAtt Role.Arn']),
    ])
    const model = readTemplate(path)
    expect(model.instances[0]?.attributes.arn).toBe('arn:aws:iam::123456789012:role/service/worker')
    const [fn, other] = model.functions
    expect([loose(fn).permissions, fn?.statements.map((s) => s.source), fn?.notes]).toEqual(['template', ['Role policy p'], []])
    expect([loose(other).permissions, other?.statements, other?.notes]).toEqual([
      'outside',
      [],
      ['its Role arn:aws:iam::123456789012:role/elsewhere is not in this template: its permissions are not checked'],
    ])
  })

  it("reads the statements of the template's managed policies a role or a SAM function names by ARN", () => {
    const path = writeYaml(
      [
        'Transform: AWS::Serverless-2016-10-31',
        'Resources:',
        `  Named: { Type: AWS::IAM::ManagedPolicy, Properties: { ManagedPolicyName: shared, Path: /app/, PolicyDocument: ${allow('"arn:aws:sqs:*:*:a"')} } }`,
        `  Unnamed: { Type: AWS::IAM::ManagedPolicy, Properties: { PolicyDocument: ${allow('"arn:aws:sqs:*:*:b"')} } }`,
        '  Role: { Type: AWS::IAM::Role, Properties: { ManagedPolicyArns: [!Ref Named, !Ref Unnamed] } }',
        '  Fn:',
        '    Type: AWS::Lambda::Function',
        '    Properties: { Runtime: nodejs22.x, Handler: index.handler, Code: { S3Bucket: b, S3Key: k }, Role: !GetAtt Role.Arn }',
        '  Sam:',
        '    Type: AWS::Serverless::Function',
        '    Properties: { Runtime: nodejs22.x, Handler: app.handler, CodeUri: src/, Policies: [!Ref Unnamed, { Statement: [] }, Other] }',
        ...registryYaml(['named: !Ref Named', 'unnamed: !Ref Unnamed']),
      ],
      { 'src/app.ts': 'export const handler = () => undefined\n' },
    )
    const model = readTemplate(path)
    expect(model.instances[0]?.attributes).toEqual({
      named: 'arn:aws:iam::123456789012:policy/app/shared',
      unnamed: 'arn:aws:iam::123456789012:policy/template-Unnamed-GENERATED',
    })
    const [fn, samFn] = model.functions
    expect(fn?.statements.map((s) => [s.source, s.statement.Resource])).toEqual([
      ['managed policy Named', 'arn:aws:sqs:*:*:a'],
      ['managed policy Unnamed', 'arn:aws:sqs:*:*:b'],
    ])
    expect(fn?.notes).toEqual([])
    expect(samFn?.statements.map((s) => s.source)).toEqual(['managed policy Unnamed'])
    expect(samFn?.notes).toEqual(['managed policy Other is not known: its permissions are not checked'])
  })

  it("gives a function its role's permission boundary: the statements of a template policy, a known AWS one, or unknown", () => {
    const path = writeYaml(
      [
        'Transform: AWS::Serverless-2016-10-31',
        'Resources:',
        `  Boundary: { Type: AWS::IAM::ManagedPolicy, Properties: { ManagedPolicyName: boundary, PolicyDocument: ${allow('"*"')} } }`,
        '  Role: { Type: AWS::IAM::Role, Properties: { PermissionsBoundary: !Ref Boundary } }',
        '  Fn:',
        '    Type: AWS::Lambda::Function',
        '    Properties: { Runtime: nodejs22.x, Handler: index.handler, Code: { S3Bucket: b, S3Key: k }, Role: !GetAtt Role.Arn }',
        '  Outside:',
        '    Type: AWS::Serverless::Function',
        '    Properties: { Runtime: nodejs22.x, Handler: app.handler, CodeUri: src/, PermissionsBoundary: "arn:aws:iam::123456789012:policy/org" }',
        '  Known:',
        '    Type: AWS::Serverless::Function',
        '    Properties:',
        '      Runtime: nodejs22.x',
        '      Handler: app.handler',
        '      CodeUri: src/',
        `      PermissionsBoundary: !Sub "arn:\${AWS::Partition}:iam::aws:policy/AWSCloudMapDiscoverInstanceAccess"`,
        '  None: { Type: AWS::Serverless::Function, Properties: { Runtime: nodejs22.x, Handler: app.handler, CodeUri: src/ } }',
      ],
      { 'src/app.ts': 'export const handler = () => undefined\n' },
    )
    const [fn, outside, known, none] = readTemplate(path).functions
    expect(loose(fn).boundary).toEqual({
      statements: [{ source: 'managed policy Boundary', statement: { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: '*' } }],
    })
    expect(loose(outside).boundary).toEqual({ unknown: 'arn:aws:iam::123456789012:policy/org' })
    expect((loose(known).boundary as { statements?: { source: string }[] }).statements?.map((s) => s.source)).toEqual([
      'AWSCloudMapDiscoverInstanceAccess',
    ])
    expect(none !== undefined && 'boundary' in none).toBe(false)
  })
})

describe('readTemplate: what the check needs beside the registry', () => {
  it('gives the customer managed KMS key of each queue and topic by its ARN', () => {
    const path = writeYaml([
      'Parameters:',
      '  KeyId: { Type: String, Default: 1234abcd-12ab-34cd-56ef-1234567890ab }',
      'Resources:',
      '  AppKey: { Type: AWS::KMS::Key, Properties: { KeyPolicy: {} } }',
      '  AppAlias: { Type: AWS::KMS::Alias, Properties: { AliasName: alias/app, TargetKeyId: !Ref AppKey } }',
      '  AwsManaged: { Type: AWS::SQS::Queue, Properties: { QueueName: q0, KmsMasterKeyId: alias/aws/sqs } }',
      '  ByRef: { Type: AWS::SQS::Queue, Properties: { QueueName: q1, KmsMasterKeyId: !Ref AppKey } }',
      '  ByArn: { Type: AWS::SQS::Queue, Properties: { QueueName: q2, KmsMasterKeyId: !GetAtt AppKey.Arn } }',
      '  ByAlias: { Type: AWS::SQS::Queue, Properties: { QueueName: q3, KmsMasterKeyId: alias/app } }',
      '  Foreign: { Type: AWS::SQS::Queue, Properties: { QueueName: q4, KmsMasterKeyId: alias/theirs } }',
      '  ById: { Type: AWS::SQS::Queue, Properties: { QueueName: q5, KmsMasterKeyId: !Ref KeyId } }',
      '  Plain: { Type: AWS::SQS::Queue, Properties: { QueueName: q6 } }',
      '  Topic: { Type: AWS::SNS::Topic, Properties: { TopicName: t1, KmsMasterKeyId: !Ref AppAlias } }',
      '  AwsTopic: { Type: AWS::SNS::Topic, Properties: { TopicName: t2, KmsMasterKeyId: alias/aws/sns } }',
    ])
    const key = 'arn:aws:kms:us-east-1:123456789012:key/key-appkey'
    const sqs = 'arn:aws:sqs:us-east-1:123456789012'
    expect(loose(readTemplate(path)).keys).toEqual({
      [`${sqs}:q1`]: key,
      [`${sqs}:q2`]: key,
      [`${sqs}:q3`]: key,
      [`${sqs}:q4`]: 'alias/theirs',
      [`${sqs}:q5`]: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
      'arn:aws:sns:us-east-1:123456789012:t1': key,
    })
  })

  it("gives the services' and namespaces' ARNs, and notes a service whose namespace is not in the template", () => {
    const path = writeYaml([
      'Parameters:',
      '  NamespaceId: { Type: String, Default: ns-shared }',
      'Resources:',
      ...registryYaml(['type: sqs']),
      '  Elsewhere: { Type: AWS::ServiceDiscovery::Service, Properties: { Name: billing, NamespaceId: !Ref NamespaceId } }',
      '  Imported: { Type: AWS::ServiceDiscovery::Service, Properties: { Name: audit, NamespaceId: !ImportValue SharedNamespace } }',
    ])
    const model = readTemplate(path)
    expect(loose(model).namespaceArns).toEqual({ app: 'arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-namespace' })
    expect(model.services.map((s) => [s.name, s.namespace, loose(s).arn])).toEqual([
      ['orders', 'app', 'arn:aws:servicediscovery:us-east-1:123456789012:service/srv-service'],
      ['billing', undefined, 'arn:aws:servicediscovery:us-east-1:123456789012:service/srv-elsewhere'],
      ['audit', undefined, 'arn:aws:servicediscovery:us-east-1:123456789012:service/srv-imported'],
    ])
    expect(loose(model).notes).toEqual([
      'service billing (Elsewhere): its namespace is not in this template; its instances are not checked',
      'service audit (Imported): its namespace is not in this template; its instances are not checked',
    ])
  })

  it('notes two namespaces of one name, reads a service given its namespace by DnsConfig, and marks the EXPRESS state machines', () => {
    const path = write({
      Resources: {
        ...registry,
        Private: { Type: 'AWS::ServiceDiscovery::PrivateDnsNamespace', Properties: { Name: { 'Fn::Sub': '${Stage}-app' }, Vpc: 'vpc-1' } },
        Dns: { Type: 'AWS::ServiceDiscovery::Service', Properties: { Name: 'dns', DnsConfig: { NamespaceId: { Ref: 'Private' } } } },
        Fast: { Type: 'AWS::StepFunctions::StateMachine', Properties: { StateMachineName: 'fast', StateMachineType: 'EXPRESS' } },
        Slow: { Type: 'AWS::Serverless::StateMachine', Properties: { Name: 'slow' } },
      },
      Parameters: { Stage: { Type: 'String', Default: 'dev' } },
    })
    const model = readTemplate(path)
    expect(model.notes).toEqual(['two namespaces are named dev-app: only one of them can be discovered by that name'])
    expect(model.services.find((service) => service.name === 'dns')?.namespace).toBe('dev-app')
    expect(model.express).toEqual(['arn:aws:states:us-east-1:123456789012:stateMachine:fast'])
  })

  it("refuses a condition that compares a value known only at deploy time, and takes an SSM parameter's value from --param", () => {
    const path = write({
      Parameters: { Flag: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/app/flag' }, Stage: { Type: 'String', Default: 'dev' } },
      Conditions: { Enabled: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Flag' }, 'false'] }] } },
      Resources: { ...registry, QueueInstance: { ...registry.QueueInstance, Condition: 'Enabled' } },
    })
    expect(() => readTemplate(path)).toThrow(
      /^QueueInstance Condition: !Equals compares "«AWS::SSM::Parameter::Value<String> \/app\/flag»", known only at deploy time/,
    )
    expect(readTemplate(path, { parameters: { Flag: 'false' } }).instances).toEqual([])
    expect(readTemplate(path, { parameters: { Flag: 'true' } }).instances.map((instance) => instance.instanceId)).toEqual(['queue'])
  })

  it("takes a role only by its ARN, as Lambda does: a role given by name is not the template's", () => {
    const path = write({
      Parameters: { Stage: { Type: 'String', Default: 'dev' } },
      Resources: {
        ...registry,
        Role: { Type: 'AWS::IAM::Role', Properties: { RoleName: 'app-role' } },
        ByName: { Type: 'AWS::Lambda::Function', Properties: { Runtime: 'nodejs22.x', Handler: 'index.handler', Role: { Ref: 'Role' } } },
        ByArn: {
          Type: 'AWS::Lambda::Function',
          Properties: { Runtime: 'nodejs22.x', Handler: 'index.handler', Role: { 'Fn::GetAtt': ['Role', 'Arn'] } },
        },
      },
    })
    expect(readTemplate(path).functions.map((fn) => `${fn.logicalId} ${fn.permissions}`)).toEqual(['ByName outside', 'ByArn template'])
  })

  it('refuses a parameter value CloudFormation would refuse', () => {
    const path = write({
      Parameters: {
        Stage: { Type: 'String', Default: 'dev', AllowedValues: ['dev', 'prod'] },
        Port: { Type: 'Number', Default: 80, MaxValue: 65535 },
      },
      Resources: registry,
    })
    expect(() => readTemplate(path, { parameters: { Stage: 'staging' } })).toThrow(
      'parameter Stage: "staging" is not one of its AllowedValues (dev, prod)',
    )
    expect(() => readTemplate(path, { parameters: { Port: '70000' } })).toThrow('parameter Port: 70000 is not within its MinValue/MaxValue')
  })

  it('skips a function with inline code, unless --handler names the module it stands for', () => {
    const path = write(
      {
        Resources: {
          ...registry,
          Inline: {
            Type: 'AWS::Lambda::Function',
            Properties: { Runtime: 'nodejs22.x', Handler: 'index.handler', Code: { ZipFile: 'exports.handler = 1' } },
          },
        },
        Parameters: { Stage: { Type: 'String', Default: 'dev' } },
      },
      { 'src/api.ts': 'export const handler = () => undefined\n' },
    )
    expect(readTemplate(path).functions[0]?.skipped).toBe('its code is inline in the template')
    const given = readTemplate(path, { handlers: { Inline: join(path, '..', 'src', 'api.ts') } }).functions[0]
    expect(given?.skipped).toBeUndefined()
    expect(given?.handler).toEqual({ module: join(path, '..', 'src', 'api.ts'), exportName: 'handler' })
  })
})

describe('readTemplate: what SAM and IAM read and refuse', () => {
  it('reads YAML merge keys as SAM does: a Deny written with `<<` is a Deny', () => {
    const path = writeYaml([
      `
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      CodeUri: .
      Policies:
        - Statement:
            - &allow { Effect: Allow, Action: 'sqs:*', Resource: '*' }
            - <<: *allow
              Effect: Deny
              Action: sqs:SendMessage
`,
    ])
    const model = readTemplate(path)
    expect(model.functions[0]?.statements.map((s) => s.statement)).toEqual([
      { Effect: 'Allow', Action: 'sqs:*', Resource: '*' },
      { Effect: 'Deny', Action: 'sqs:SendMessage', Resource: '*' },
    ])
  })

  it('refuses Policies, Role, FunctionName and Events under Globals.Function, as SAM does', () => {
    for (const property of ['Policies: [AWSLambdaRole]', 'Role: arn:aws:iam::123456789012:role/r', 'FunctionName: f', 'Events: {}']) {
      const path = writeYaml([
        `
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    ${property}
Resources:
  Fn: { Type: AWS::Serverless::Function, Properties: { Handler: app.handler, CodeUri: . } }
`,
      ])
      const name = property.split(':')[0]
      expect(() => readTemplate(path)).toThrow(
        new TemplateError(`Globals.Function.${name}: SAM refuses ${name} in Globals (give it on each function)`),
      )
    }
  })

  it('refuses a statement IAM refuses: Action and NotAction, Resource and NotResource, neither, another Effect', () => {
    const cases: [string, string][] = [
      ["{ Effect: Deny, Action: 'sqs:*', NotAction: sqs:ReceiveMessage, Resource: '*' }", 'it has both Action and NotAction'],
      ["{ Effect: Allow, Action: 'sqs:*', Resource: '*', NotResource: arn:aws:sqs:*:*:x }", 'it has both Resource and NotResource'],
      ["{ Effect: Allow, Resource: '*' }", 'it has neither Action nor NotAction'],
      ["{ Effect: Allow, Action: 'sqs:*' }", 'it has neither Resource nor NotResource'],
      ["{ Effect: allow, Action: 'sqs:*', Resource: '*' }", 'its Effect is "allow", not Allow or Deny'],
    ]
    for (const [statement, why] of cases) {
      const path = writeYaml([
        `
Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties: { Handler: app.handler, CodeUri: ., Policies: [{ Statement: [${statement}] }] }
`,
      ])
      expect(() => readTemplate(path)).toThrow(
        new TemplateError(`FnRole: a statement of inline policy #0: ${why}, which IAM refuses (MalformedPolicyDocument)`),
      )
    }
  })
})

describe('readTemplate: bounded work', () => {
  it('refuses a default that does not match AllowedPattern (a+)+ without spinning', () => {
    const path = write({
      Parameters: { Name: { Type: 'String', Default: `${'a'.repeat(36)}!`, AllowedPattern: '(a+)+' } },
      Resources: {},
    })
    expect(() => readTemplate(path)).toThrow(
      new TemplateError(`parameter Name: "${'a'.repeat(36)}!" does not match its AllowedPattern (a+)+`),
    )
  })

  it('names an AllowedPattern it cannot evaluate', () => {
    const path = write({ Parameters: { Name: { Type: 'String', Default: 'a', AllowedPattern: '(a)\\1' } }, Resources: {} })
    expect(() => readTemplate(path)).toThrow(
      new TemplateError('parameter Name: its AllowedPattern (a)\\1 cannot be evaluated here: a backreference'),
    )
  })

  it("refuses a value over CloudFormation's 4,096 bytes, and a pattern too costly to match against a value, naming each", () => {
    const long = write({ Parameters: { Name: { Type: 'String', Default: 'é'.repeat(2049), AllowedPattern: '.*' } }, Resources: {} })
    expect(() => readTemplate(long)).toThrow(
      new TemplateError('parameter Name: its value is 4,098 bytes; CloudFormation takes at most 4,096'),
    )
    const costly = write({
      Parameters: { Name: { Type: 'String', Default: 'a'.repeat(4096), AllowedPattern: '[ab]*a[ab]{3000}' } },
      Resources: {},
    })
    expect(() => readTemplate(costly)).toThrow(
      /^parameter Name: its AllowedPattern cannot be evaluated here: matching its [\d,]+ states against 4,096 characters takes up to [\d,]+ steps; the check takes at most 10,000,000$/,
    )
  })

  it('names the size and depth limits of a template', () => {
    let deep: unknown = 'x'
    for (let level = 0; level < 200; level += 1) deep = [deep]
    const nested = write({ Resources: { Queue: { Type: 'AWS::SQS::Queue', Properties: { Tags: deep } } } })
    expect(() => readTemplate(nested)).toThrow(
      new TemplateError(`${nested}: values nest more than 128 levels deep; the check reads at most 128`),
    )
    const big = write({ Resources: { Queue: { Type: 'AWS::SQS::Queue', Metadata: { pad: 'x'.repeat(1_048_576) } } } })
    expect(() => readTemplate(big)).toThrow(
      /the template is 1,048,6\d\d bytes; the check reads at most 1,048,576 \(CloudFormation's 1 MB\)/,
    )
  })
})

describe('readTemplate: the handler module Lambda loads', () => {
  const fn = (handler: string) => ({
    Transform: 'AWS::Serverless-2016-10-31',
    Resources: { Fn: { Type: 'AWS::Serverless::Function', Properties: { Handler: handler, CodeUri: 'src', Runtime: 'nodejs22.x' } } },
  })

  it('takes app.js over app.mjs and app.cjs beside it, as Lambda does', () => {
    const path = write(fn('app.handler'), { 'src/app.mjs': '', 'src/app.js': '', 'src/app.cjs': '', 'src/app.ts': '' })
    expect(readTemplate(path).functions[0]?.handler).toEqual({ module: join(path, '..', 'src', 'app.js'), exportName: 'handler' })
    const noJs = write(fn('app.handler'), { 'src/app.mjs': '', 'src/app.cjs': '' })
    expect(readTemplate(noJs).functions[0]?.handler).toEqual({ module: join(noJs, '..', 'src', 'app.mjs'), exportName: 'handler' })
  })

  it('reads the module up to the first dot of the last path segment: handlers/app.nested.handler is handlers/app', () => {
    const path = write(fn('handlers/app.nested.handler'), { 'src/handlers/app.js': '', 'src/handlers/app.nested.js': '' })
    expect(readTemplate(path).functions[0]?.handler).toEqual({
      module: join(path, '..', 'src', 'handlers', 'app.js'),
      exportName: 'nested.handler',
    })
  })
})

describe("readTemplate: a handler module outside the template's project", () => {
  const at = (codeUri: string, handler = 'app.handler', metadata?: object) => ({
    Transform: 'AWS::Serverless-2016-10-31',
    Resources: {
      Fn: {
        Type: 'AWS::Serverless::Function',
        Properties: { Handler: handler, CodeUri: codeUri, Runtime: 'nodejs22.x' },
        ...(metadata === undefined ? {} : { Metadata: metadata }),
      },
    },
  })
  // A file beside the template's folder: outside it, as any file of the machine would be.
  const outside = () => {
    const dir = mkdtempSync(join(tmpdir(), 'check-outside-'))
    writeFileSync(join(dir, 'app.mjs'), '')
    return dir
  }

  it.each([
    ['an absolute CodeUri', (dir: string) => at(dir)],
    ['a CodeUri with ..', (dir: string) => at(`../${dir.split('/').at(-1)}`)],
    ['a Handler with ..', (dir: string) => at('.', `../${dir.split('/').at(-1)}/app.handler`)],
    [
      'esbuild EntryPoints with ..',
      (dir: string) => at('.', 'app.handler', { BuildProperties: { EntryPoints: [`../${dir.split('/').at(-1)}/app.mjs`] } }),
    ],
  ])('is refused, naming the function and the path: %s', (_, template) => {
    const dir = outside()
    const path = write(template(dir))
    expect(() => readTemplate(path)).toThrow(TemplateError)
    expect(() => readTemplate(path)).toThrow(/^Fn: its handler module .*app\.mjs is outside the project /)
  })

  it('is refused through a link in the project, naming where it leads', () => {
    const dir = outside()
    const path = write(at('src'), { 'src/.keep': '' })
    symlinkSync(join(dir, 'app.mjs'), join(dirname(path), 'src', 'app.mjs'))
    expect(() => readTemplate(path)).toThrow(/^Fn: its handler module .*src\/app\.mjs \(a link to .*app\.mjs\) is outside the project/)
  })

  it("is taken anywhere in the project holding the template (its package.json's folder)", () => {
    const path = write({}, { 'package.json': '{}', 'shared/app.mjs': '', 'infra/.keep': '' })
    const template = join(dirname(path), 'infra', 'template.json')
    writeFileSync(template, JSON.stringify(at('../shared')))
    expect(readTemplate(template).functions[0]?.handler).toEqual({
      module: join(dirname(path), 'shared', 'app.mjs'),
      exportName: 'handler',
    })
  })
})

describe('readTemplate: instances Cloud Map refuses', () => {
  const withInstance = (attributes: Record<string, unknown>, dnsRecords?: string[]) =>
    write({
      Resources: {
        Namespace: { Type: 'AWS::ServiceDiscovery::PrivateDnsNamespace', Properties: { Name: 'internal', Vpc: 'vpc-1' } },
        Service: {
          Type: 'AWS::ServiceDiscovery::Service',
          Properties: {
            Name: 'orders',
            NamespaceId: { 'Fn::GetAtt': ['Namespace', 'Id'] },
            ...(dnsRecords === undefined ? {} : { DnsConfig: { DnsRecords: dnsRecords.map((Type) => ({ Type, TTL: 60 })) } }),
          },
        },
        Instance: {
          Type: 'AWS::ServiceDiscovery::Instance',
          Properties: { ServiceId: { Ref: 'Service' }, InstanceId: 'i-1', InstanceAttributes: attributes },
        },
      },
    })

  it('refuses a value over 1,024 characters, a non-ASCII value, 31 custom attributes, a key with a space', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ note: 'x'.repeat(1025) }, 'the attribute "note" is 1,025 characters; Cloud Map allows at most 1,024'],
      [{ note: 'café' }, 'the attribute "note" may hold only printable ASCII characters, and must not start with a space'],
      [
        Object.fromEntries(Array.from({ length: 31 }, (_, index) => [`k${index}`, 'v'])),
        '31 custom attributes; Cloud Map allows at most 30 per instance',
      ],
      [{ 'a key': 'v' }, 'the attribute key "a key" may hold only printable ASCII characters without spaces'],
    ]
    for (const [attributes, problem] of cases) {
      expect(() => readTemplate(withInstance(attributes))).toThrow(new TemplateError(`Instance InstanceAttributes: ${problem}`))
    }
  })

  it('refuses an instance without AWS_INSTANCE_IPV4 in a service with an A record, and takes one with it', () => {
    expect(() => readTemplate(withInstance({ type: 'http' }, ['A']))).toThrow(
      new TemplateError(
        'Instance InstanceAttributes: AWS_INSTANCE_IPV4 is missing: the service has an A record (or give AWS_ALIAS_DNS_NAME)',
      ),
    )
    expect(() => readTemplate(withInstance({ type: 'http' }, ['SRV']))).toThrow(
      /AWS_INSTANCE_PORT is missing: the service has a SRV record/,
    )
    expect(readTemplate(withInstance({ AWS_INSTANCE_IPV4: '10.0.0.1' }, ['A'])).instances).toHaveLength(1)
  })

  it('leaves a value known only at deploy time to Cloud Map', () => {
    expect(readTemplate(withInstance({ arn: { 'Fn::ImportValue': 'Shared' } })).instances).toHaveLength(1)
  })
})

describe('readTemplate: SAM connectors', () => {
  const queueArn = 'arn:aws:sqs:us-east-1:123456789012:jobs'
  const template = (connector: string) =>
    writeYaml([
      `
Transform: AWS::Serverless-2016-10-31
Resources:
  Queue: { Type: AWS::SQS::Queue, Properties: { QueueName: jobs } }
  Topic: { Type: AWS::SNS::Topic, Properties: { TopicName: events } }
  Fn:
    Type: AWS::Serverless::Function
    Properties: { Handler: app.handler, CodeUri: . }
${connector}`,
    ])
  const decide = (path: string, action: string, resource: string) =>
    evaluateAccess(readTemplate(path).functions[0]?.statements ?? [], { action, resource }).allowed

  it('gives the source function what SAM gives for Write to a queue, from an AWS::Serverless::Connector', () => {
    const path = template(`
  FnToQueue:
    Type: AWS::Serverless::Connector
    Properties: { Source: { Id: Fn }, Destination: { Id: Queue }, Permissions: [Write] }`)
    const fn = readTemplate(path).functions[0]
    expect(fn?.statements).toEqual([
      {
        source: 'connector FnToQueue',
        statement: {
          Effect: 'Allow',
          Action: ['sqs:DeleteMessage', 'sqs:SendMessage', 'sqs:ChangeMessageVisibility', 'sqs:PurgeQueue'],
          Resource: [queueArn],
        },
      },
    ])
    expect(decide(path, 'sqs:SendMessage', queueArn)).toBe(true)
    expect(decide(path, 'sqs:ReceiveMessage', queueArn)).toBe(false)
  })

  it('reads Connectors on the function, several destinations, Read and Write', () => {
    const path = writeYaml([
      `
Transform: AWS::Serverless-2016-10-31
Resources:
  Queue: { Type: AWS::SQS::Queue, Properties: { QueueName: jobs } }
  Topic: { Type: AWS::SNS::Topic, Properties: { TopicName: events } }
  Fn:
    Type: AWS::Serverless::Function
    Connectors:
      Out:
        Properties:
          Destination: [{ Id: Queue }, { Type: AWS::SNS::Topic, Arn: !Ref Topic }]
          Permissions: [Write]
    Properties: { Handler: app.handler, CodeUri: . }`,
    ])
    expect(decide(path, 'sqs:SendMessage', queueArn)).toBe(true)
    expect(decide(path, 'sns:Publish', 'arn:aws:sns:us-east-1:123456789012:events')).toBe(true)
    expect(readTemplate(path).functions[0]?.statements.map((s) => s.source)).toEqual(['connector FnOut', 'connector FnOut'])
  })

  it('refuses what SAM refuses: a pair with no profile, a permission the pair does not have', () => {
    expect(() =>
      readTemplate(
        template(`
  C: { Type: AWS::Serverless::Connector, Properties: { Source: { Id: Fn }, Destination: { Id: Topic }, Permissions: [Read] } }`),
      ),
    ).toThrow(new TemplateError('C Permissions: "Read" is not a permission from AWS::Lambda::Function to AWS::SNS::Topic (Write)'))
    expect(() =>
      readTemplate(
        template(`
  C: { Type: AWS::Serverless::Connector, Properties: { Source: { Id: Queue }, Destination: { Id: Topic }, Permissions: [Write] } }`),
      ),
    ).toThrow(new TemplateError('C: SAM has no connector from AWS::SQS::Queue to AWS::SNS::Topic'))
  })
})
