import { describe, expect, it } from '@jest/globals'
import type { CheckReport } from '../../src/check.js'
import { formatJson, formatReport, printable, REPORT_VERSION } from '../../src/report.js'

const NAMESPACE = 'arn:aws:servicediscovery:eu-west-1:111122223333:namespace/ns-namespace'
const QUEUE = 'arn:aws:sqs:eu-west-1:111122223333:jobs'

const passing: CheckReport = {
  template: 'template.yaml',
  form: 'sam',
  region: 'eu-west-1',
  account: '111122223333',
  parameters: { Stage: 'prod' },
  live: false,
  isolation: { applied: ['permission-model', 'socket-guard', 'network-namespace'], missing: [] },
  notes: [],
  functions: [
    {
      logicalId: 'ApiFunction',
      name: 'api-prod',
      handler: 'src/api.ts#handler',
      status: 'ok',
      notes: [],
      dependencies: [
        {
          name: 'jobs',
          by: 'cloudMap()',
          kind: 'queue()',
          address: 'prod.scheduler->jobs',
          ok: true,
          findings: [
            { check: 'registered', ok: true, instances: ['jobs'], detail: 'instance jobs' },
            { check: 'type', ok: true, types: ['sqs'], detail: 'sqs' },
            { check: 'attributes', ok: true, detail: 'valid' },
            {
              check: 'discover',
              ok: true,
              access: {
                action: 'servicediscovery:DiscoverInstances',
                resource: NAMESPACE,
                shown: 'prod.scheduler',
                by: 'inline policy #0',
              },
              detail: 'servicediscovery:DiscoverInstances on prod.scheduler allowed by inline policy #0',
            },
            {
              check: 'call',
              ok: true,
              access: { action: 'sqs:SendMessage', resource: QUEUE, shown: QUEUE, by: 'SQSSendMessagePolicy' },
              detail: 'sqs:SendMessage on arn:aws:sqs:eu-west-1:111122223333:jobs allowed by SQSSendMessagePolicy',
            },
          ],
        },
      ],
    },
    { logicalId: 'Py', name: 'py-prod', status: 'skipped', reason: 'runtime python3.12 is not Node.js', notes: [], dependencies: [] },
  ],
  problems: [],
  ok: true,
}

const failing: CheckReport = {
  ...passing,
  functions: [
    {
      ...(passing.functions[0] as CheckReport['functions'][number]),
      status: 'failed',
      dependencies: [
        {
          name: 'jobs',
          by: 'cloudMap()',
          kind: 'queue()',
          address: 'prod.scheduler->jobs',
          ok: false,
          findings: [
            { check: 'registered', ok: true, detail: 'instance jobs' },
            {
              check: 'call',
              ok: false,
              detail: 'prod.scheduler->jobs: no statement allows sqs:SendMessage on arn:aws:sqs:eu-west-1:111122223333:jobs',
            },
          ],
        },
      ],
    },
  ],
  problems: [
    {
      function: 'ApiFunction',
      address: 'prod.scheduler->jobs',
      check: 'call',
      detail: 'prod.scheduler->jobs: no statement allows sqs:SendMessage on arn:aws:sqs:eu-west-1:111122223333:jobs',
    },
  ],
  ok: false,
}

describe('formatReport', () => {
  it('prints a header, one row per dependency with what passed, skipped functions dimmed, and the summary', () => {
    expect(formatReport(passing).split('\n')).toEqual([
      'cloudmap-middy check template.yaml',
      'SAM template · Stage=prod · region eu-west-1 · account 111122223333',
      'isolation: permission-model, socket-guard, network-namespace',
      '',
      '✓ ApiFunction (api-prod)  src/api.ts#handler',
      '  ✓ jobs  queue()  prod.scheduler->jobs  instance jobs (sqs) · DiscoverInstances · sqs:SendMessage',
      '',
      '– Py (py-prod)',
      '    runtime python3.12 is not Node.js',
      '',
      "✓ 1 function, 1 dependency, 1 skipped: every dependency is registered, of its kind's type, valid for its schema and permitted",
      '',
    ])
  })

  it('prints each failed finding under its row, and a summary line naming the function, address and check', () => {
    const lines = formatReport(failing).split('\n')
    expect(lines).toContain('  ✗ jobs  queue()  prod.scheduler->jobs')
    expect(lines).toContain(
      '      call: prod.scheduler->jobs: no statement allows sqs:SendMessage on arn:aws:sqs:eu-west-1:111122223333:jobs',
    )
    expect(lines.slice(-3)).toEqual(['✗ 1 problem in 1 function, 1 dependency:', '  ✗ ApiFunction prod.scheduler->jobs: call', ''])
  })

  it('says which isolation layers applied and why each missing one did not', () => {
    const report = {
      ...passing,
      isolation: {
        applied: ['socket-guard' as const],
        missing: [{ layer: 'network-namespace' as const, reason: 'darwin has no network namespaces' }],
      },
    }
    expect(formatReport(report).split('\n')[2]).toBe('isolation: socket-guard · no network-namespace: darwin has no network namespaces')
  })

  it('colours only when asked', () => {
    expect(formatReport(failing)).not.toContain('\u001b[')
    const coloured = formatReport(failing, { color: true })
    expect(coloured).toContain('\u001b[31m✗\u001b[0m ApiFunction prod.scheduler->jobs: call')
    expect(formatReport(passing, { color: true })).toContain('  \u001b[32m✓\u001b[0m jobs  queue()')
  })

  it('writes control characters, line separators and bidirectional overrides from registry data as \\u{…}', () => {
    const hostile: CheckReport = {
      ...failing,
      problems: [
        {
          function: 'ApiFunction',
          address: 'prod.scheduler->jobs\u001b[2J',
          check: 'type',
          detail: 'type "\u001b]0;owned\u0007\u202e" \n next',
        },
      ],
    }
    const text = formatReport(hostile, { color: false })
    expect(text).toContain('  ✗ ApiFunction prod.scheduler->jobs\\u{1b}[2J: type')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/)
  })

  it('writes bidirectional marks, zero-width and other format characters as \\u{…}, in text and in --json', () => {
    const marks = ['\u200e', '\u200f', '\u061c', '\u200b', '\ufeff', '\u2066', '\u{e0041}']
    const hostile: CheckReport = {
      ...failing,
      problems: [{ function: 'ApiFunction', address: `prod.scheduler->jobs${marks.join('')}`, check: 'type', detail: 'x' }],
    }
    expect(printable(marks.join(''))).toBe('\\u{200e}\\u{200f}\\u{61c}\\u{200b}\\u{feff}\\u{2066}\\u{e0041}')
    const text = formatReport(hostile)
    const json = formatJson(hostile)
    for (const mark of marks) {
      expect(text).not.toContain(mark)
      expect(json).not.toContain(mark)
    }
    expect(json).toContain('prod.scheduler->jobs\\u200e\\u200f\\u061c\\u200b\\ufeff\\u2066\\udb40\\udc41')
    // Still the same data once parsed.
    expect(JSON.parse(json).problems[0].address).toBe(`prod.scheduler->jobs${marks.join('')}`)
  })

  it('gives --json a version', () => {
    expect(JSON.parse(formatJson(passing))).toEqual({ version: REPORT_VERSION, ...passing })
    expect(REPORT_VERSION).toBe(1)
  })
})
