// `cloudmap-middy check` on the template the CDK synthesizes for the scheduler: it passes as
// synthesized, and each drift between the handlers and the stack fails it, naming the function
// (by its logical id) and the address.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type CheckReport, check } from '@cloudmap-middy/check'
import { describe, expect, it } from '@jest/globals'
import { schedulerApp } from '../app.js'

// biome-ignore lint/suspicious/noExplicitAny: a template is any JSON
type Json = Record<string, any>

const { app, stack } = schedulerApp({ outdir: mkdtempSync(join(tmpdir(), 'scheduler-cdk-check-')), bundling: false })
const synthesized = app.synth().getStackByName(stack.stackName).template as Json
// The CDK bundles the handlers; the check loads their TypeScript modules, by function name.
const handlers = stack.handlerModules

/** The synthesized template with `change` applied, written to a file of its own. */
function mutated(change: (resources: Json) => void): string {
  const template = structuredClone(synthesized)
  change(template.Resources)
  const path = join(mkdtempSync(join(tmpdir(), 'check-cdk-')), 'Scheduler-dev.template.json')
  writeFileSync(path, JSON.stringify(template))
  return path
}

/** The logical id of the one resource of `type` whose properties satisfy `match`. */
function idOf(resources: Json, type: string, match: (properties: Json) => boolean): string {
  const ids = Object.keys(resources).filter((id) => resources[id].Type === type && match(resources[id].Properties ?? {}))
  if (ids.length !== 1) throw new Error(`expected one ${type}, found ${ids.length}`)
  return ids[0] as string
}

const instance = (resources: Json, instanceId: string) =>
  resources[idOf(resources, 'AWS::ServiceDiscovery::Instance', (p) => p.InstanceId === instanceId)]

/** The failures as `function address check`, the function's logical id without the CDK's hash. */
const failures = (report: CheckReport) =>
  report.problems.map((p) => `${p.function.replace(/[0-9A-F]{8}$/, '')} ${p.address ?? '-'} ${p.check}`)

describe('cloudmap-middy check on the scheduler (CDK)', () => {
  it('passes on the synthesized template: 4 functions, 7 dependencies, with the grants grantServices() wrote', async () => {
    const report = await check(
      mutated(() => undefined),
      { handlers },
    )
    expect(report.problems).toEqual([])
    expect(report.form).toBe('cloudformation')
    const rows = report.functions.flatMap((fn) => fn.dependencies.map((d) => `${fn.name} ${d.name} ${d.address}`))
    expect(rows).toEqual([
      'schedule-job-dev table dev.storage->jobs-table',
      'schedule-job-dev queue dev.scheduler->scheduler-queue',
      'schedule-job-dev events dev.events->job-events',
      'get-job-dev table dev.storage->jobs-table',
      'jobs-api-dev getJob dev.scheduler->get-job',
      'worker-dev table dev.storage->jobs-table',
      'worker-dev bus dev.events->job-bus',
    ])
    const invoke = report.functions[2]?.dependencies[0]?.findings.find((f) => f.check === 'call')
    expect(invoke?.detail).toMatch(
      /^lambda:InvokeFunction on arn:aws:lambda:us-east-1:123456789012:function:get-job-dev allowed by policy JobsApiFunctionServiceRoleDefaultPolicy/,
    )
  }, 60_000)

  it('fails every function when no handler module is given for it: the CDK template holds only bundles', async () => {
    const report = await check(mutated(() => undefined))
    expect(report.functions.map((fn) => fn.status)).toEqual(['failed', 'failed', 'failed', 'failed'])
    expect(report.problems[0]?.detail).toMatch(/^handler module not found: give its module: --handler ScheduleJobFunction[0-9A-F]{8}=/)
  }, 60_000)

  it.each([
    [
      'an instance removed',
      (r: Json) => {
        delete r[idOf(r, 'AWS::ServiceDiscovery::Instance', (p) => p.InstanceId === 'get-job')]
      },
      ['JobsApiFunction dev.scheduler->get-job registered'],
    ],
    [
      'a type changed',
      (r: Json) => {
        instance(r, 'job-events').Properties.InstanceAttributes.type = 'sqs'
      },
      ['ScheduleJobFunction dev.events->job-events type'],
    ],
    [
      'an attribute its schema refuses',
      (r: Json) => {
        instance(r, 'jobs-table').Properties.InstanceAttributes.tableName = ''
      },
      [
        'ScheduleJobFunction dev.storage->jobs-table attributes',
        'GetJobFunction dev.storage->jobs-table attributes',
        'WorkerFunction dev.storage->jobs-table attributes',
      ],
    ],
    [
      'an IAM action missing',
      (r: Json) => {
        const policy = r[idOf(r, 'AWS::IAM::Policy', (p) => p.PolicyName.startsWith('ScheduleJobFunction'))]
        policy.Properties.PolicyDocument.Statement = policy.Properties.PolicyDocument.Statement.filter(
          (s: Json) => s.Action !== 'sns:Publish',
        )
      },
      ['ScheduleJobFunction dev.events->job-events call'],
    ],
    [
      'the namespace renamed',
      (r: Json) => {
        r[idOf(r, 'AWS::ServiceDiscovery::HttpNamespace', () => true)].Properties.Name = 'staging'
      },
      [
        'ScheduleJobFunction dev.storage->jobs-table registered',
        'ScheduleJobFunction dev.scheduler->scheduler-queue registered',
        'ScheduleJobFunction dev.events->job-events registered',
        'GetJobFunction dev.storage->jobs-table registered',
        'JobsApiFunction dev.scheduler->get-job registered',
        'WorkerFunction dev.storage->jobs-table registered',
        'WorkerFunction dev.events->job-bus registered',
      ],
    ],
  ])(
    'fails on %s, naming the function and the address',
    async (_, change, expected) => {
      const report = await check(mutated(change), { handlers })
      expect(report.ok).toBe(false)
      expect(failures(report)).toEqual(expected)
      for (const problem of report.problems) expect(problem.detail).toContain(problem.address ?? '-')
    },
    60_000,
  )
})
