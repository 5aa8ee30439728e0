import { lambda, optional, queue } from '@cloudmap-middy/core'
import { describe, expect, it } from '@jest/globals'
import { Aws, CfnParameter, Fn, type Stack } from 'aws-cdk-lib'
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import { grantServices, registerInstance } from '../../src/index.js'
import { fixture, fn } from './fixture.js'

/** The snapshot variable of a function as CloudFormation would deploy it, each Ref / GetAtt written as `<id.attribute>`. */
function deployedSnapshot(stack: Stack, handler: ReturnType<typeof fn>): unknown {
  const id = stack.getLogicalId(handler.node.defaultChild as never)
  const value: unknown = Template.fromStack(stack).toJSON().Resources[id].Properties.Environment.Variables.CLOUDMAP_MIDDY_SNAPSHOT
  const text = (part: unknown): string => {
    if (typeof part === 'string') return part
    const { Ref, 'Fn::GetAtt': getAtt, 'Fn::Join': join } = part as Record<string, unknown>
    if (typeof Ref === 'string') return `<${Ref}>`
    if (Array.isArray(getAtt)) return `<${getAtt.join('.')}>`
    const [separator, parts] = join as [string, unknown[]]
    return parts.map(text).join(separator)
  }
  return JSON.parse(text(value))
}

describe('Function: grantServices, with snapshot', () => {
  it('It should give the function the registrations of its declared services, resolved at deploy', () => {
    // Prepare
    const { stack, scheduler } = fixture()
    const jobs = new sqs.Queue(stack, 'Jobs')
    const worker = fn(stack, 'Worker')
    registerInstance(scheduler, jobs, { instanceId: 'jobs', attributes: { team: 'core' } })
    registerInstance(scheduler, worker, { instanceId: 'worker' })
    const handler = fn(stack, 'Api')

    // Act
    grantServices(handler, { jobs: queue('prod.scheduler->jobs'), work: lambda('prod.scheduler->worker') }, { snapshot: true })

    // Assess
    const queueId = stack.getLogicalId(jobs.node.defaultChild as never)
    const workerId = stack.getLogicalId(worker.node.defaultChild as never)
    expect(deployedSnapshot(stack, handler)).toEqual({
      v: 1,
      ns: {
        prod: {
          scheduler: {
            jobs: { type: 'sqs', arn: `<${queueId}.Arn>`, url: `<${queueId}>`, team: 'core' },
            worker: { type: 'lambda', arn: `<${workerId}.Arn>` },
          },
        },
      },
    })
  })

  it('It should leave out an instance with a deploy-time value that may hold a quote (a parameter), with a warning naming it', () => {
    const { stack, scheduler } = fixture()
    const jobs = new sqs.Queue(stack, 'Jobs')
    // Deployed as `x","arn":"arn:aws:lambda:…:evil`, it would rewrite the snapshot's arn.
    const tier = new CfnParameter(stack, 'Tier')
    registerInstance(scheduler, jobs, { instanceId: 'jobs', attributes: { tier: tier.valueAsString } })
    registerInstance(scheduler, fn(stack, 'Worker'), { instanceId: 'worker', attributes: { stage: Fn.join('-', [Aws.REGION, 'blue']) } })
    const handler = fn(stack, 'Api')

    grantServices(handler, { jobs: queue('prod.scheduler->jobs'), work: lambda('prod.scheduler->worker') }, { snapshot: true })

    const snapshot = deployedSnapshot(stack, handler) as { ns: { prod: { scheduler: Record<string, unknown> } } }
    expect(Object.keys(snapshot.ns.prod.scheduler)).toEqual(['worker'])
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('snapshot: '))
    expect(warnings.map((w) => w.entry.data)).toEqual([
      expect.stringMatching(/instance jobs of prod\.scheduler is left out .*attribute "tier"/),
    ])
  })

  it('It should leave a declared service the app does not register to discovery, with a warning naming it', () => {
    const { stack, scheduler } = fixture()
    registerInstance(scheduler, new sqs.Queue(stack, 'Jobs'), { instanceId: 'jobs' })
    const handler = fn(stack, 'Api')

    grantServices(
      handler,
      { jobs: queue('prod.scheduler->jobs'), audit: optional(queue('prod.audit->events')), billing: queue('prod.billing->in') },
      { snapshot: true, external: ['billing'] },
    )

    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('snapshot: '))
    expect(warnings.map((warning) => warning.entry.data)).toEqual([
      expect.stringMatching(
        /^snapshot: prod\.audit \(services\.audit\) is not registered in this app; it is left to discovery at cold start/,
      ),
      expect.stringMatching(/^snapshot: prod\.billing \(services\.billing\) is not registered in this app/),
    ])
    expect(deployedSnapshot(stack, handler)).toMatchObject({ ns: { prod: { scheduler: { jobs: expect.any(Object) } } } })
  })

  it('It should set nothing when the app registers none of the declared services', () => {
    const { stack } = fixture()
    const handler = fn(stack, 'Api')

    grantServices(handler, { billing: queue('prod.billing->in') }, { snapshot: true, external: ['billing'] })

    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', { Environment: Match.absent() })
  })

  it('It should fail the synth, naming the function, when the environment could exceed 4 KB', () => {
    const { app, stack, scheduler } = fixture()
    const services: Record<string, ReturnType<typeof queue>> = {}
    for (let index = 0; index < 12; index++) {
      registerInstance(scheduler, new sqs.Queue(stack, `Queue${index}`), { instanceId: `queue-${index}` })
      services[`q${index}`] = queue(`prod.scheduler->queue-${index}`)
    }
    const handler = fn(stack, 'Api')
    handler.addEnvironment('TABLE', 'x'.repeat(200))

    grantServices(handler, services, { snapshot: true })

    expect(() => app.synth()).toThrow(/grantServices\(Test\/Api\): the environment of Test\/Api could take [\d,]+ bytes once deployed/)
  })

  it('It should fit the same snapshot when the function has room for it', () => {
    const { app, stack, scheduler } = fixture()
    const services: Record<string, ReturnType<typeof queue>> = {}
    for (let index = 0; index < 6; index++) {
      registerInstance(scheduler, new sqs.Queue(stack, `Queue${index}`), { instanceId: `queue-${index}` })
      services[`q${index}`] = queue(`prod.scheduler->queue-${index}`)
    }
    grantServices(fn(stack, 'Api'), services, { snapshot: true })

    expect(() => app.synth()).not.toThrow()
  })

  it('It should refuse a grantee whose environment it cannot set', () => {
    const { stack, scheduler } = fixture()
    registerInstance(scheduler, new sqs.Queue(stack, 'Jobs'), { instanceId: 'jobs' })
    const role = new iam.Role(stack, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') })

    expect(() => grantServices(role, { jobs: queue('prod.scheduler->jobs') }, { snapshot: true })).toThrow(
      'grantServices(Test/Role): snapshot needs a lambda.Function, whose environment it sets; Test/Role is not one',
    )
  })
})
