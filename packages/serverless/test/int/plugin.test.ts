// The plugin's hooks on a service object shaped as the framework gives it, with handler modules
// loaded for real (as the check loads them). examples/scheduler/test/serverless.test.ts runs it
// inside osls.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import type { CloudMapConfig } from '../../src/config.js'
import { CloudMapPlugin, type ServerlessLike } from '../../src/plugin.js'
import { compileRegistrations } from '../../src/registrations.js'

const serviceDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'service')

type Fn = ReturnType<ServerlessLike['service']['getFunction']>

function serverless(cloudMap: CloudMapConfig, functions: Record<string, Fn>) {
  const Resources: Record<string, unknown> = {}
  const schema = { custom: [] as object[], functions: [] as object[] }
  const provider: ServerlessLike['service']['provider'] = {
    compiledCloudFormationTemplate: { Resources },
    runtime: 'nodejs22.x',
    environment: { CLOUDMAP_NAMESPACE: 'dev', FROM_DEPLOY: { Ref: 'X' } },
    iam: { role: { statements: [{ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }] } },
  }
  const sls: ServerlessLike = {
    serviceDir,
    service: {
      custom: { cloudMap },
      provider,
      resources: { Resources: { Jobs: { Type: 'AWS::SQS::Queue' } } },
      getAllFunctions: () => Object.keys(functions),
      getFunction: (name) => functions[name] as Fn,
    },
    getProvider: () => ({
      getRegion: () => 'eu-west-1',
      naming: {
        getLambdaLogicalId: (name) => `${name[0]?.toUpperCase()}${name.slice(1)}LambdaFunction`,
        getNormalizedFunctionName: (name) => `${name[0]?.toUpperCase()}${name.slice(1)}`,
      },
    }),
    configSchemaHandler: {
      defineCustomProperties: (s) => schema.custom.push(s),
      defineFunctionProperties: (_provider, s) => schema.functions.push(s),
    },
  }
  return { sls, Resources, provider, schema }
}

const registry: CloudMapConfig = {
  namespaces: {
    app: {
      name: 'dev',
      services: {
        scheduler: { instances: { 'get-job': { function: 'getJob' }, jobs: { queue: 'Jobs' } } },
        storage: { instances: { table: { attributes: { tableName: 'jobs' } } } },
      },
    },
  },
}

const run = async (plugin: CloudMapPlugin) => {
  await plugin.hooks['before:package:setupProviderConfiguration']?.()
  await plugin.hooks['package:compileEvents']?.()
}

describe('CloudMapPlugin', () => {
  it('It should define its schema, register the instances, and give each function a role with exactly what its handler declares', async () => {
    const functions: Record<string, Fn> = {
      api: { name: 'api-dev', handler: 'src/api.handler' },
      getJob: { name: 'get-job-dev', handler: 'src/idle.handler' },
    }
    const { sls, Resources, schema } = serverless(registry, functions)
    await run(new CloudMapPlugin(sls))
    expect(schema.custom).toHaveLength(1)
    expect(schema.functions).toHaveLength(1)
    expect(Object.keys(Resources).filter((id) => id.startsWith('CloudMap'))).toEqual([
      'CloudMapAppNamespace',
      'CloudMapAppSchedulerService',
      'CloudMapAppSchedulerGetJobInstance',
      'CloudMapAppSchedulerJobsInstance',
      'CloudMapAppStorageService',
      'CloudMapAppStorageTableInstance',
    ])
    expect(functions.api?.role).toBe('ApiIamRoleLambdaExecution')
    const statements = (id: string) =>
      (Resources[id] as { Properties: { Policies: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } }[] } })
        .Properties.Policies[0]?.PolicyDocument.Statement
    expect(statements('ApiIamRoleLambdaExecution')?.slice(1)).toEqual([
      { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
      {
        Effect: 'Allow',
        Action: ['servicediscovery:DiscoverInstances'],
        Resource: '*',
        Condition: { StringEquals: { 'servicediscovery:NamespaceName': 'dev', 'servicediscovery:ServiceName': ['scheduler', 'storage'] } },
      },
      { Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [{ 'Fn::GetAtt': ['GetJobLambdaFunction', 'Arn'] }] },
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [{ 'Fn::GetAtt': ['Jobs', 'Arn'] }] },
    ])
    // A handler that declares nothing: its log group and the service's statements only.
    expect(statements('GetJobIamRoleLambdaExecution')?.map((s) => s.Action)).toEqual([
      ['logs:CreateLogStream', 'logs:CreateLogGroup', 'logs:TagResource', 'logs:PutLogEvents'],
      's3:GetObject',
    ])
  }, 60_000)

  it('It should add every function’s statements to the shared role with roles: shared, and grant nothing with roles: none', async () => {
    const shared = serverless(
      { ...registry, roles: 'shared' },
      { api: { handler: 'src/api.handler' }, getJob: { handler: 'src/idle.handler' } },
    )
    await run(new CloudMapPlugin(shared.sls))
    const role = shared.provider.iam?.role as { statements: { Action: unknown }[] }
    expect(role.statements.map((s) => s.Action)).toEqual([
      's3:GetObject',
      ['servicediscovery:DiscoverInstances'],
      ['lambda:InvokeFunction'],
      ['sqs:SendMessage'],
    ])
    expect(Object.keys(shared.Resources).some((id) => id.endsWith('IamRoleLambdaExecution'))).toBe(false)
    const none = serverless(
      { ...registry, roles: 'none' },
      { api: { handler: 'src/api.handler' }, getJob: { handler: 'src/idle.handler' } },
    )
    await run(new CloudMapPlugin(none.sls))
    expect(none.sls.service.getFunction('api').role).toBeUndefined()
  }, 60_000)

  it('It should fail the package naming the function and the address its handler declares that is not registered', async () => {
    const unregistered: CloudMapConfig = { namespaces: { app: { name: 'dev', services: { scheduler: {} } } } }
    const { sls } = serverless(unregistered, { api: { handler: 'src/api.handler' } })
    await expect(run(new CloudMapPlugin(sls))).rejects.toThrow(
      'cloudmap-middy: functions.api: a dependency (dev.scheduler->get-job): nothing is registered as dev.scheduler->get-job in custom.cloudMap',
    )
  }, 60_000)

  it('It should fail naming the function when its handler module is not there, and leave a role of the user’s own alone', async () => {
    const missing = serverless(registry, { api: { handler: 'src/gone.handler' }, getJob: { handler: 'src/idle.handler' } })
    await expect(run(new CloudMapPlugin(missing.sls))).rejects.toThrow(
      'cloudmap-middy: functions.api: api (src/gone.handler): no module src/gone',
    )
    const own = serverless(registry, {
      api: { handler: 'src/gone.handler', role: 'arn:aws:iam::123456789012:role/mine' },
      getJob: { handler: 'src/idle.handler', runtime: 'python3.12' },
    })
    await run(new CloudMapPlugin(own.sls))
    expect(own.sls.service.getFunction('api').role).toBe('arn:aws:iam::123456789012:role/mine')
  }, 60_000)

  it('It should run the check on the template written to .serverless and fail the package on a ✗, naming the function and the address', async () => {
    const folder = join(serviceDir, '.serverless')
    mkdirSync(folder, { recursive: true })
    const { sls } = serverless({ ...registry, roles: 'none' }, { api: { handler: 'src/api.handler' } })
    const { resources } = compileRegistrations(registry, {
      functions: ['api', 'getJob'],
      lambdaLogicalId: (name) => `${name[0]?.toUpperCase()}${name.slice(1)}LambdaFunction`,
      resources: { Jobs: { Type: 'AWS::SQS::Queue' } },
    })
    const fn = (handler: string, env: Record<string, string>) => ({
      Type: 'AWS::Lambda::Function',
      Properties: {
        Runtime: 'nodejs22.x',
        Handler: handler,
        Code: { S3Bucket: { Ref: 'ServerlessDeploymentBucket' }, S3Key: 'serverless/app/dev/1/app.zip' },
        Role: { 'Fn::GetAtt': ['Role', 'Arn'] },
        Environment: { Variables: env },
      },
    })
    const template = {
      Resources: {
        ServerlessDeploymentBucket: { Type: 'AWS::S3::Bucket' },
        Jobs: { Type: 'AWS::SQS::Queue' },
        // A role of the user's own that allows nothing the handler needs.
        Role: { Type: 'AWS::IAM::Role', Properties: { AssumeRolePolicyDocument: {} } },
        ApiLambdaFunction: fn('src/api.handler', { CLOUDMAP_NAMESPACE: 'dev' }),
        GetJobLambdaFunction: fn('src/idle.handler', {}),
        ...resources,
      },
    }
    writeFileSync(join(folder, 'cloudformation-template-update-stack.json'), JSON.stringify(template))
    try {
      await expect(new CloudMapPlugin(sls).hooks['after:package:finalize']?.()).rejects.toThrow(
        /cloudmap-middy: the check failed on .*cloudformation-template-update-stack\.json \(skip it with custom\.cloudMap\.check: false\):\n {2}✗ ApiLambdaFunction dev\.scheduler->get-job: /,
      )
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
  }, 60_000)

  it('It should pass the check on a dependency in cloudMap.external, which this template does not register, with its role as the plugin made it', async () => {
    const folder = join(serviceDir, '.serverless')
    mkdirSync(folder, { recursive: true })
    const functions: Record<string, Fn> = {
      billing: { name: 'billing-dev', handler: 'src/billing.handler', cloudMap: { external: ['charge'] } },
      getJob: { name: 'get-job-dev', handler: 'src/idle.handler' },
    }
    const { sls, Resources } = serverless(registry, functions)
    await run(new CloudMapPlugin(sls))
    const fn = (name: string, handler: string, role: string) => ({
      Type: 'AWS::Lambda::Function',
      Properties: {
        FunctionName: name,
        Runtime: 'nodejs22.x',
        Handler: handler,
        Code: { S3Bucket: { Ref: 'ServerlessDeploymentBucket' }, S3Key: 'serverless/app/dev/1/app.zip' },
        Role: { 'Fn::GetAtt': [role, 'Arn'] },
        Environment: { Variables: { CLOUDMAP_NAMESPACE: 'dev' } },
      },
    })
    const template = {
      Resources: {
        ...Resources,
        ServerlessDeploymentBucket: { Type: 'AWS::S3::Bucket' },
        Jobs: { Type: 'AWS::SQS::Queue' },
        BillingLambdaFunction: fn('billing-dev', 'src/billing.handler', 'BillingIamRoleLambdaExecution'),
        GetJobLambdaFunction: fn('get-job-dev', 'src/idle.handler', 'GetJobIamRoleLambdaExecution'),
      },
    }
    writeFileSync(join(folder, 'cloudformation-template-update-stack.json'), JSON.stringify(template))
    const info: string[] = []
    try {
      await new CloudMapPlugin(sls, {}, { log: { warning: () => undefined, info: (message) => info.push(message) } }).hooks[
        'after:package:finalize'
      ]?.()
    } finally {
      rmSync(folder, { recursive: true, force: true })
    }
    expect(info).toEqual([
      'cloudmap-middy check: 2 functions, every declared dependency registered and permitted (those in cloudMap.external: discovery only)',
    ])
  }, 60_000)

  it('It should skip the check with check: false (no template is read)', async () => {
    const skipped = serverless({ ...registry, check: false }, {})
    await expect(new CloudMapPlugin(skipped.sls).hooks['after:package:finalize']?.()).resolves.toBeUndefined()
  })

  it('It should set CLOUDMAP_MIDDY_SNAPSHOT on the functions with snapshot on: the declared services registered here, resolved at deploy', async () => {
    const functions: Record<string, Fn> = {
      api: { name: 'api-dev', handler: 'src/api.handler' },
      getJob: { name: 'get-job-dev', handler: 'src/idle.handler', cloudMap: { snapshot: false } },
    }
    const scheduler = { namespaces: { app: { name: 'dev', services: { scheduler: registry.namespaces?.app?.services?.scheduler ?? {} } } } }
    const { sls, Resources } = serverless({ ...scheduler, roles: 'none', snapshot: true }, functions)
    // What package:compileFunctions wrote before the plugin's compileEvents hook.
    for (const id of ['ApiLambdaFunction', 'GetJobLambdaFunction']) {
      Resources[id] = { Type: 'AWS::Lambda::Function', Properties: { Environment: { Variables: { CLOUDMAP_NAMESPACE: 'dev' } } } }
    }
    const warnings: string[] = []
    await run(new CloudMapPlugin(sls, {}, { log: { warning: (message) => warnings.push(message) } }))
    const variables = (id: string) =>
      (Resources[id] as { Properties: { Environment: { Variables: Record<string, unknown> } } }).Properties.Environment.Variables
    expect(variables('GetJobLambdaFunction')).toEqual({ CLOUDMAP_NAMESPACE: 'dev' })
    const value = variables('ApiLambdaFunction').CLOUDMAP_MIDDY_SNAPSHOT as { 'Fn::Join': [string, unknown[]] }
    const text = value['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'resolved')).join('')
    expect(JSON.parse(text)).toEqual({
      v: 1,
      ns: {
        dev: {
          scheduler: {
            'get-job': { type: 'lambda', arn: 'resolved' },
            jobs: { type: 'sqs', arn: 'resolved', url: 'resolved' },
          },
        },
      },
    })
    expect(value['Fn::Join'][1]).toContainEqual({ 'Fn::GetAtt': ['GetJobLambdaFunction', 'Arn'] })
    expect(warnings).toEqual([
      'cloudmap-middy: functions.api: snapshot: dev.storage (declared as dev.storage->table) is not registered in custom.cloudMap; it is left to discovery at cold start',
    ])
  })
})
