// What a review found passing wrongly: a state machine's alias and its EXPRESS type, two
// declarations of one address, a deploy-time attribute, maxResults below the instances, a
// handler exported only as a default object, a service given its namespace by DnsConfig.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import { check } from '../../src/check.js'

const template = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'review', 'template.yaml')

describe('cloudmap-middy check: cases a review found', () => {
  it('fails each, naming the function and the address', async () => {
    const report = await check(template)
    expect(report.problems.map((p) => `${p.function} ${p.address ?? '-'} ${p.check}: ${p.detail}`)).toEqual([
      // The alias is authorized on the state machine's ARN (StartExecution passes), and an EXPRESS one may be run().
      'FlowFunction rv.svc->flow call: rv.svc->flow: no statement allows states:StartSyncExecution on arn:aws:states:us-east-1:123456789012:stateMachine:rv-flow',
      'TwiceFunction rv.svc->owned attributes: AttributeValidationError: Cloud Map instance "owned" of "rv.svc->owned" has invalid attributes: tier: Invalid input: expected string, received undefined',
      'TwiceFunction rv.svc->shared attributes: rv.svc->shared instance shared: attribute arn is «Fn::ImportValue SharedQueueArn», known only at deploy time: it cannot be checked',
      'TwiceFunction rv.svc->shared registered: rv.svc->shared: maxResults 1 is less than the 3 instances of rv.svc: Cloud Map may leave shared out of its answer',
      'DefaultFunction - handler: packages/check/test/fixtures/review/src/default-export.ts#handler is not an exported function',
    ])
    const flow = report.functions[0]?.dependencies[0]?.findings.filter((f) => f.check === 'call' && f.ok).map((f) => f.detail)
    expect(flow).toEqual([
      'states:StartExecution on arn:aws:states:us-east-1:123456789012:stateMachine:rv-flow allowed by StepFunctionsExecutionPolicy',
    ])
    expect(report.notes).toEqual([])
    expect(report.functions[1]?.dependencies.map((d) => `${d.name} ${d.ok}`)).toEqual(['loose true', 'strict false', 'shared false'])
  }, 60_000)
})
