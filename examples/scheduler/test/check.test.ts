// `cloudmap-middy check` on the scheduler's SAM template: it passes as written, and each way a
// template can drift from what the handlers declare fails it, naming the function and the address.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type CheckReport, check } from '@cloudmap-middy/check'
import { loadTemplate } from '@cloudmap-middy/check/template'
import { afterAll, describe, expect, it } from '@jest/globals'

const example = join(dirname(fileURLToPath(import.meta.url)), '..')
const templatePath = join(example, 'template.yaml')

// biome-ignore lint/suspicious/noExplicitAny: a template is any JSON
type Json = Record<string, any>

// Mutated templates are written inside the example (the check loads only modules of the template's project).
const scratch = join(example, '.tmp')
afterAll(() => rmSync(scratch, { recursive: true, force: true }))

/** The template with `change` applied, written as JSON in a folder of the example: its CodeUri made absolute. */
function mutated(change: (resources: Json) => void): string {
  const template = structuredClone(loadTemplate(templatePath)) as Json
  template.Globals.Function.CodeUri = join(example, 'src', 'handlers')
  change(template.Resources)
  mkdirSync(scratch, { recursive: true })
  const path = join(mkdtempSync(join(scratch, 'check-mutation-')), 'template.json')
  writeFileSync(path, JSON.stringify(template))
  return path
}

/** The failures as `function address check`, for comparison. */
const failures = (report: CheckReport) => report.problems.map((p) => `${p.function} ${p.address ?? '-'} ${p.check}`)

describe('cloudmap-middy check on the scheduler (SAM)', () => {
  it('passes on the template as written: 4 functions, 7 dependencies, each registered and permitted', async () => {
    const report = await check(templatePath)
    expect(report.problems).toEqual([])
    expect(report.ok).toBe(true)
    expect(report.form).toBe('sam')
    expect(report.parameters).toEqual({ Stage: 'dev' })
    const rows = report.functions.flatMap((fn) => fn.dependencies.map((d) => `${fn.logicalId} ${d.name} ${d.kind} ${d.address}`))
    expect(rows).toEqual([
      'ScheduleJobFunction table instance() dev.storage->jobs-table',
      'ScheduleJobFunction queue queue() dev.scheduler->scheduler-queue',
      'ScheduleJobFunction events topic() dev.events->job-events',
      'GetJobFunction table instance() dev.storage->jobs-table',
      'JobsApiFunction getJob lambda() dev.scheduler->get-job',
      'WorkerFunction table instance() dev.storage->jobs-table',
      'WorkerFunction bus eventBus() dev.events->job-bus',
    ])
    const queue = report.functions[0]?.dependencies[1]?.findings.find((f) => f.check === 'call')
    expect(queue).toEqual({
      check: 'call',
      ok: true,
      access: {
        action: 'sqs:SendMessage',
        resource: 'arn:aws:sqs:us-east-1:123456789012:scheduler-dev.fifo',
        shown: 'arn:aws:sqs:us-east-1:123456789012:scheduler-dev.fifo',
        by: 'SQSSendMessagePolicy',
      },
      detail: 'sqs:SendMessage on arn:aws:sqs:us-east-1:123456789012:scheduler-dev.fifo allowed by SQSSendMessagePolicy',
    })
  }, 60_000)

  it('follows the Stage parameter: with Stage=prod the handlers declare prod.* and the template registers prod', async () => {
    const report = await check(templatePath, {
      parameters: { Stage: 'prod', 'AWS::Region': 'eu-west-1', 'AWS::AccountId': '111122223333' },
    })
    expect(report.problems).toEqual([])
    expect(report.functions.flatMap((fn) => fn.dependencies.map((d) => d.address))).toContain('prod.scheduler->get-job')
    expect(report.region).toBe('eu-west-1')
  }, 60_000)

  it.each([
    [
      'an instance removed',
      (r: Json) => {
        delete r.GetJobInstance
      },
      ['JobsApiFunction dev.scheduler->get-job registered'],
      /dev\.scheduler has no instance "get-job" \(it has scheduler-queue\)/,
    ],
    [
      'a type changed',
      (r: Json) => {
        r.SchedulerQueueInstance.Properties.InstanceAttributes.type = 'lambda'
      },
      ['ScheduleJobFunction dev.scheduler->scheduler-queue type'],
      /InstanceTypeMismatchError: .*dev\.scheduler->scheduler-queue/,
    ],
    [
      'an attribute its schema refuses',
      (r: Json) => {
        r.JobsTableInstance.Properties.InstanceAttributes.tableName = ''
      },
      [
        'ScheduleJobFunction dev.storage->jobs-table attributes',
        'GetJobFunction dev.storage->jobs-table attributes',
        'WorkerFunction dev.storage->jobs-table attributes',
      ],
      /AttributeValidationError: .*dev\.storage->jobs-table.*tableName/,
    ],
    [
      'an IAM action missing',
      (r: Json) => {
        const [statements] = r.WorkerFunction.Properties.Policies
        statements.Statement = statements.Statement.filter((s: Json) => s.Action !== 'events:PutEvents')
      },
      ['WorkerFunction dev.events->job-bus call'],
      /^dev\.events->job-bus: no statement allows events:PutEvents on arn:aws:events:us-east-1:123456789012:event-bus\/scheduler-dev$/,
    ],
    [
      'DiscoverInstances on a service left out of the condition',
      (r: Json) => {
        r.JobsApiFunction.Properties.Policies[0].Statement[0].Condition.StringEquals['servicediscovery:ServiceName'] = 'storage'
      },
      ['JobsApiFunction dev.scheduler->get-job discover'],
      /^dev\.scheduler->get-job: no statement allows servicediscovery:DiscoverInstances on dev\.scheduler; .*servicediscovery:ServiceName.*"storage"/,
    ],
    [
      'the namespace renamed',
      (r: Json) => {
        r.Namespace.Properties.Name = 'staging'
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
      /namespace "dev" is not in the template \(it registers "staging"\)/,
    ],
  ])(
    'fails on %s, naming the function and the address',
    async (_, change, expected, detail) => {
      const report = await check(mutated(change))
      expect(report.ok).toBe(false)
      expect(failures(report)).toEqual(expected)
      for (const problem of report.problems) expect(problem.detail).toMatch(detail)
    },
    60_000,
  )
})
