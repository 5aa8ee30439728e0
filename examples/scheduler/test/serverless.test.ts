// The scheduler as a Serverless Framework service (serverless.yml), packaged by osls with
// @cloudmap-middy/serverless, offline with fake credentials: the packaged template registers each
// target with its kind's attributes, gives each function a role holding exactly what its handler
// declares, passes the check, and runs `pnpm demo`'s scenario against moto. A handler that declares
// an address nothing registers fails the package, naming it.
// osls is not a dependency of the workspace: scripts/jest.mjs installs it once into node_modules/.cache
// (CI installs it on its own) and gives its bin in OSLS_BIN.
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { check } from '@cloudmap-middy/check'
import { runScenario, writeServerlessLocalTemplate } from '@cloudmap-middy/sam-local'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { expectSchedulerOutcome } from './scenario-outcome.js'

const example = join(dirname(fileURLToPath(import.meta.url)), '..')
const templatePath = join(example, '.serverless', 'cloudformation-template-update-stack.json')
// scripts/jest.mjs installs osls and sets OSLS_BIN (CI installs it itself): without it this file fails, never skips.
const osls = process.env.OSLS_BIN
if (osls === undefined) {
  throw new Error('OSLS_BIN is not set: run the tests through scripts/jest.mjs (pnpm test), which installs osls 4.3.1, or set it')
}
const broken = join(example, 'serverless.unregistered.yml')

/** `osls package` in the example, offline: fake credentials, and no AWS configuration of this machine. */
function slsPackage(...args: string[]) {
  const run = spawnSync(process.execPath, [osls as string, 'package', ...args], {
    cwd: example,
    encoding: 'utf8',
    timeout: 240_000,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      AWS_ACCESS_KEY_ID: 'fake',
      AWS_SECRET_ACCESS_KEY: 'fake',
      AWS_CONFIG_FILE: '/dev/null',
      AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
    },
  })
  return { status: run.status, output: `${run.stdout}${run.stderr}` }
}

// biome-ignore lint/suspicious/noExplicitAny: a template is any JSON
type Json = Record<string, any>

let unregistered: ReturnType<typeof slsPackage>
let packaged: ReturnType<typeof slsPackage>
let template: Json

afterAll(() => rmSync(broken, { force: true }))

describe('Example: scheduler packaged by osls', () => {
  beforeAll(() => {
    // First the failing package (it starts by clearing .serverless), then the one the tests read.
    const yml = readFileSync(join(example, 'serverless.yml'), 'utf8')
    writeFileSync(broken, yml.replace(/^ {14}get-job: \{ function: getJob \}\n/m, ''))
    unregistered = slsPackage('--config', 'serverless.unregistered.yml')
    packaged = slsPackage()
    template = JSON.parse(readFileSync(templatePath, 'utf8'))
  }, 480_000)

  it('It should fail the package when a handler declares an address nothing registers, naming the function and the address', () => {
    expect(unregistered.status).not.toBe(0)
    expect(unregistered.output).toContain(
      'cloudmap-middy: functions.jobsApi: getJob (dev.scheduler->get-job): nothing is registered as dev.scheduler->get-job in custom.cloudMap (dev.scheduler has scheduler-queue)',
    )
  })

  it('It should package, with the check passing on the template it wrote', () => {
    expect(packaged.output).toContain('Service packaged')
    expect(packaged.status).toBe(0)
  })

  it('It should write a template that cfn-lint accepts', () => {
    // W3005 (a DependsOn that a GetAtt already implies): osls writes one for every role it names, and for its HTTP API routes.
    const lint = spawnSync('cfn-lint', ['--ignore-checks', 'W3005', '--', templatePath], { encoding: 'utf8' })
    expect(lint.stdout + lint.stderr).toBe('')
    expect(lint.status).toBe(0)
  })

  it("It should register each target with exactly its kind's attributes", () => {
    const instances = (Object.values(template.Resources) as Json[])
      .filter((r: Json) => r.Type === 'AWS::ServiceDiscovery::Instance')
      .map((r: Json) => [r.Properties.InstanceId, r.Properties.InstanceAttributes])
    expect(Object.fromEntries(instances)).toEqual({
      'get-job': { type: 'lambda', arn: { 'Fn::GetAtt': ['GetJobLambdaFunction', 'Arn'] } },
      'scheduler-queue': { type: 'sqs', arn: { 'Fn::GetAtt': ['SchedulerQueue', 'Arn'] }, url: { Ref: 'SchedulerQueue' } },
      'job-events': { type: 'sns', arn: { Ref: 'JobEventsTopic' } },
      'job-bus': { type: 'eventbridge', arn: { 'Fn::GetAtt': ['JobBus', 'Arn'] } },
      'jobs-table': { tableName: { Ref: 'JobsTable' } },
    })
    expect(template.Resources.CloudMapAppNamespace).toEqual({
      Type: 'AWS::ServiceDiscovery::HttpNamespace',
      Properties: { Name: 'dev', Description: 'Service registry of the scheduler' },
    })
  })

  it('It should give each function a role of its own allowing exactly what its handler declares (and its own statements), and no shared role', () => {
    expect(template.Resources.IamRoleLambdaExecution).toBeUndefined()
    const discover = (services: string | string[]) => ({
      Effect: 'Allow',
      Action: ['servicediscovery:DiscoverInstances'],
      Resource: '*',
      Condition: { StringEquals: { 'servicediscovery:NamespaceName': 'dev', 'servicediscovery:ServiceName': services } },
    })
    const table = (action: string) => ({ Effect: 'Allow', Action: [action], Resource: { 'Fn::GetAtt': ['JobsTable', 'Arn'] } })
    const roleOf = (fn: string) => {
      const role = template.Resources[fn].Properties.Role['Fn::GetAtt'][0]
      // After the log group's statement (and the worker's queue reads, as its event source).
      return template.Resources[role].Properties.Policies[0].PolicyDocument.Statement.slice(fn === 'WorkerLambdaFunction' ? 2 : 1)
    }
    expect(roleOf('ScheduleJobLambdaFunction')).toEqual([
      table('dynamodb:PutItem'),
      discover(['events', 'scheduler', 'storage']),
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [{ 'Fn::GetAtt': ['SchedulerQueue', 'Arn'] }] },
      { Effect: 'Allow', Action: ['sns:Publish'], Resource: [{ Ref: 'JobEventsTopic' }] },
    ])
    expect(roleOf('GetJobLambdaFunction')).toEqual([table('dynamodb:GetItem'), discover('storage')])
    expect(roleOf('JobsApiLambdaFunction')).toEqual([
      discover('scheduler'),
      { Effect: 'Allow', Action: ['lambda:InvokeFunction'], Resource: [{ 'Fn::GetAtt': ['GetJobLambdaFunction', 'Arn'] }] },
    ])
    expect(roleOf('WorkerLambdaFunction')).toEqual([
      table('dynamodb:UpdateItem'),
      discover(['events', 'storage']),
      { Effect: 'Allow', Action: ['events:PutEvents'], Resource: [{ 'Fn::GetAtt': ['JobBus', 'Arn'] }] },
    ])
  })

  it("It should pass the check on the packaged template, each function's module read from its Handler (no --handler)", async () => {
    const report = await check(templatePath)
    expect(report.problems).toEqual([])
    expect(report.functions.map((fn) => fn.handler)).toEqual([
      expect.stringMatching(/src\/handlers\/schedule-job\.ts#handler$/),
      expect.stringMatching(/src\/handlers\/get-job\.ts#handler$/),
      expect.stringMatching(/src\/handlers\/jobs-api\.ts#handler$/),
      expect.stringMatching(/src\/handlers\/worker\.ts#handler$/),
    ])
    expect(report.functions.flatMap((fn) => fn.dependencies)).toHaveLength(7)
  }, 60_000)

  it("It should run pnpm demo's scenario from the packaged template against moto, with the outcome of the SAM and CDK forms", () => {
    process.env.DEMO_TEMPLATE = writeServerlessLocalTemplate(templatePath)
    const run = runScenario(example)
    delete process.env.DEMO_TEMPLATE
    expectSchedulerOutcome(run)
  }, 120_000)
})
