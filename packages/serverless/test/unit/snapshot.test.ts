import type { Declaration } from '@cloudmap-middy/check'
import { readSnapshot, SNAPSHOT_ENV } from '@cloudmap-middy/core/snapshot'
import { describe, expect, it } from '@jest/globals'
import type { CfnValue, Registration } from '../../src/registrations.js'
import { environmentProblem, functionSnapshot } from '../../src/snapshot.js'

const declared = (name: string, namespace: string, service: string, instance?: string): Declaration => ({
  name,
  kind: 'lambda',
  label: `${namespace}.${service}${instance === undefined ? '' : `->${instance}`}`,
  ...(instance === undefined ? {} : { instance }),
  namespace,
  service,
  optional: false,
  revalidate: 'full',
})

const getJob: Registration = {
  namespace: 'dev',
  service: 'scheduler',
  instanceId: 'get-job',
  kind: 'lambda',
  type: 'lambda',
  attributes: { type: 'lambda', arn: { 'Fn::GetAtt': ['GetJobLambdaFunction', 'Arn'] } },
}
const queue: Registration = {
  namespace: 'dev',
  service: 'scheduler',
  instanceId: 'scheduler-queue',
  kind: 'queue',
  type: 'sqs',
  attributes: { type: 'sqs', arn: { 'Fn::GetAtt': ['Queue', 'Arn'] }, url: { Ref: 'Queue' }, team: 'a "b"' },
}
const other: Registration = {
  namespace: 'dev',
  service: 'billing',
  instanceId: 'api',
  kind: 'http',
  type: 'http',
  attributes: { type: 'http', url: 'https://b.example' },
}
const types = new Map([
  ['GetJobLambdaFunction', 'AWS::Lambda::Function'],
  ['Queue', 'AWS::SQS::Queue'],
])

/** What CloudFormation makes of the value at deploy, with each intrinsic resolved as `resolve` says. */
function deployed(value: CfnValue | undefined, resolve: (intrinsic: unknown) => string): string {
  if (typeof value === 'string') return value
  const [separator, parts] = (value as { 'Fn::Join': [string, CfnValue[]] })['Fn::Join']
  return parts.map((part) => (typeof part === 'string' ? part : resolve(part))).join(separator)
}

describe('functionSnapshot', () => {
  it('holds the registrations of the declared services only, intrinsics resolved by CloudFormation', () => {
    const snapshot = functionSnapshot('functions.api', [declared('jobs', 'dev', 'scheduler')], [getJob, queue, other], types)
    expect(snapshot.warnings).toEqual([])
    expect(snapshot.value).toHaveProperty(['Fn::Join', '1', '1'], { 'Fn::GetAtt': ['GetJobLambdaFunction', 'Arn'] })
    const text = deployed(snapshot.value, (intrinsic) => `resolved:${JSON.stringify(intrinsic).replace(/"/g, "'")}`)
    expect(JSON.parse(text)).toEqual({
      v: 1,
      ns: {
        dev: {
          scheduler: {
            'get-job': { type: 'lambda', arn: `resolved:{'Fn::GetAtt':['GetJobLambdaFunction','Arn']}` },
            'scheduler-queue': {
              type: 'sqs',
              arn: `resolved:{'Fn::GetAtt':['Queue','Arn']}`,
              url: `resolved:{'Ref':'Queue'}`,
              team: 'a "b"',
            },
          },
        },
      },
    })
    const reading = readSnapshot(text)
    expect(reading.problems).toEqual([])
    expect(reading.services.size).toBe(1)
  })

  it('leaves out, with a warning naming it, an instance with a deploy-time value that may hold a quote (a parameter)', () => {
    const tiered: Registration = { ...getJob, attributes: { ...getJob.attributes, tier: { Ref: 'Tier' } } }
    const snapshot = functionSnapshot('functions.api', [declared('jobs', 'dev', 'scheduler')], [tiered, queue], types)

    // Deployed as `x","arn":"arn:aws:lambda:…:evil`, the parameter would have rewritten get-job's arn.
    const text = deployed(snapshot.value, () => 'x')
    expect(Object.keys((JSON.parse(text) as { ns: { dev: { scheduler: object } } }).ns.dev.scheduler)).toEqual(['scheduler-queue'])
    expect(snapshot.warnings).toEqual([
      expect.stringMatching(/^functions\.api: snapshot: instance get-job of dev\.scheduler is left out .*attribute "tier"/),
    ])
  })

  it('is the JSON text itself when every value is literal', () => {
    const snapshot = functionSnapshot('functions.api', [declared('billing', 'dev', 'billing')], [getJob, other], types)
    expect(snapshot.value).toBe('{"v":1,"ns":{"dev":{"billing":{"api":{"type":"http","url":"https://b.example"}}}}}')
  })

  it('warns of a declared service registered nowhere, naming function and address, and leaves it to discovery', () => {
    const snapshot = functionSnapshot(
      'functions.api',
      [declared('jobs', 'dev', 'scheduler'), declared('pay', 'prod', 'payments'), declared('refund', 'prod', 'payments', 'refunds')],
      [getJob],
      types,
    )
    expect(snapshot.warnings).toEqual([
      'functions.api: snapshot: prod.payments (declared as prod.payments, prod.payments->refunds) is not registered in custom.cloudMap; it is left to discovery at cold start',
    ])
    expect(snapshot.registrations).toEqual([getJob])
    const none = functionSnapshot('functions.api', [declared('pay', 'prod', 'payments')], [getJob], types)
    expect(none.value).toBeUndefined()
  })
})

describe('environmentProblem', () => {
  const many = Array.from({ length: 12 }, (_, i): Registration => ({ ...queue, instanceId: `q${i}` }))

  it('passes an environment within 4 KB, deploy-time values at their longest', () => {
    const snapshot = functionSnapshot('functions.api', [declared('jobs', 'dev', 'scheduler')], [getJob, queue], types)
    expect(environmentProblem('functions.api', { STAGE: 'dev' }, SNAPSHOT_ENV, snapshot, types)).toBeUndefined()
  })

  it('fails, naming the function, when the snapshot could take the environment past 4 KB once deployed', () => {
    const snapshot = functionSnapshot('functions.api', [declared('jobs', 'dev', 'scheduler')], many, types)
    // Its literal text is short: the queues' ARNs and URLs are what could make it too long.
    expect(deployed(snapshot.value, () => '').length).toBeLessThan(2048)
    expect(environmentProblem('functions.api', {}, SNAPSHOT_ENV, snapshot, types)).toMatch(
      /^functions\.api: its environment could take [\d,]+ bytes once deployed, with the CLOUDMAP_MIDDY_SNAPSHOT snapshot of 12 instance\(s\).*Lambda allows 4,096/,
    )
  })

  it('counts the other variables, an intrinsic among them at its longest', () => {
    const snapshot = functionSnapshot('functions.api', [declared('jobs', 'dev', 'scheduler')], [getJob, queue], types)
    expect(environmentProblem('functions.api', { BIG: 'x'.repeat(3000) }, SNAPSHOT_ENV, snapshot, types)).toBeUndefined()
    expect(
      environmentProblem(
        'functions.api',
        { BIG: 'x'.repeat(3000), OTHER: { 'Fn::ImportValue': 'shared-url' } },
        SNAPSHOT_ENV,
        snapshot,
        types,
      ),
    ).toMatch(/^functions\.api: its environment could take/)
  })
})
