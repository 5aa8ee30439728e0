import { describe, expect, it, jest } from '@jest/globals'
import { z } from 'zod'
import type { Registry } from '../../src/index.js'
import { withEnv } from '../env.js'
import { gate, turns, until } from '../events.js'

// Stand-ins for the Lambda, SQS and SNS SDK modules that record when they are loaded (Jest
// evaluates a module mock's factory when the module is first imported) and what is sent.
const loaded: string[] = []
const clients: Array<{ readonly sdk: string; readonly region: unknown }> = []
const sent: string[] = []

function fakeSdk(sdk: string, clientName: string, answer: Readonly<Record<string, unknown>>, commands: readonly string[]) {
  return () => {
    loaded.push(sdk)
    class Client {
      constructor(config: { region?: string }) {
        clients.push({ sdk, region: config.region })
      }
      async send(command: { readonly name: string }) {
        sent.push(command.name)
        return answer
      }
    }
    const commandClasses = commands.map((name) => [
      name,
      class {
        readonly name = name
        constructor(readonly input: unknown) {}
      },
    ])
    return { [clientName]: Client, ...Object.fromEntries(commandClasses) }
  }
}

jest.unstable_mockModule('@aws-sdk/client-lambda', fakeSdk('lambda', 'LambdaClient', { StatusCode: 202 }, ['InvokeCommand']))
jest.unstable_mockModule(
  '@aws-sdk/client-sqs',
  fakeSdk('sqs', 'SQSClient', { MessageId: 'm-1' }, [
    'SendMessageCommand',
    'SendMessageBatchCommand',
    'ReceiveMessageCommand',
    'DeleteMessageCommand',
    'ChangeMessageVisibilityCommand',
  ]),
)
jest.unstable_mockModule(
  '@aws-sdk/client-sns',
  fakeSdk('sns', 'SNSClient', { MessageId: 'm-2' }, ['PublishCommand', 'PublishBatchCommand']),
)

jest.unstable_mockModule(
  '@aws-sdk/client-eventbridge',
  fakeSdk('eventbridge', 'EventBridgeClient', { Entries: [{ EventId: 'e-1' }] }, ['PutEventsCommand']),
)

// Not installed: importing it fails, as Node.js fails for a package that is not there.
jest.unstable_mockModule('@aws-sdk/client-sfn', () => {
  throw Object.assign(new Error("Cannot find package '@aws-sdk/client-sfn'"), { code: 'ERR_MODULE_NOT_FOUND' })
})

const core = await import('../../src/index.js')
const loadedByImport = [...loaded]
const { staticRegistry } = await import('../../src/testing/index.js')

const ACCOUNT = '123456789012'
const registry = staticRegistry({
  'prod.scheduler': {
    'get-job': { type: 'lambda', arn: `arn:aws:lambda:eu-west-1:${ACCOUNT}:function:get-job` },
    jobs: { type: 'sqs', arn: `arn:aws:sqs:eu-west-1:${ACCOUNT}:jobs.fifo` },
    events: { type: 'sns', arn: `arn:aws:sns:eu-west-1:${ACCOUNT}:events` },
    bus: { type: 'eventbridge', arn: `arn:aws:events:eu-west-1:${ACCOUNT}:event-bus/bus` },
    flow: { type: 'stepfunctions', arn: `arn:aws:states:eu-west-1:${ACCOUNT}:stateMachine:flow` },
  },
})
const resolver = core.createResolver({ registry, logger: { warn: () => undefined } })
const Job = z.object({ jobId: z.string() })

// The tests run in order: the first ones need the SDK modules not loaded yet, the last one loads them.
describe('Function: lazy SDK loading', () => {
  it('It should not load the Lambda, SQS or SNS SDK when the package is imported', () => {
    // Assess
    expect(loadedByImport).toEqual([])
  })

  it('It should bind and check every kind before any SDK is loaded or any call is sent', async () => {
    // Prepare
    const getJob = await resolver.resolve(core.lambda('prod.scheduler->get-job', { payload: Job }))
    const jobs = await resolver.resolve(core.queue('prod.scheduler->jobs', { message: Job }))
    const events = await resolver.resolve(core.topic('prod.scheduler->events', { message: Job }))
    const big = 'x'.repeat(1_100_000)

    // Act
    const failures = await Promise.all([
      getJob.request({ jobId: 42 } as never).catch((error: unknown) => error),
      getJob.invoke({ jobId: big }).catch((error: unknown) => error),
      jobs.send({ jobId: '1' }).catch((error: unknown) => error),
      jobs.sendBatch([{ jobId: big }], { groupId: 'g' }).catch((error: unknown) => error),
      events.publish({ jobId: big }).catch((error: unknown) => error),
      events.publishBatch([{ jobId: '1' }, { id: 2 } as never]).catch((error: unknown) => error),
    ])

    // Assess
    expect(failures.map((error) => (error as Error).constructor)).toEqual([
      core.PayloadValidationError,
      core.PayloadTooLargeError,
      core.MissingGroupIdError,
      core.PayloadTooLargeError,
      core.PayloadTooLargeError,
      core.PayloadValidationError,
    ])
    expect(loaded).toEqual([])
    expect(clients).toEqual([])
    expect(sent).toEqual([])
  })

  it('It should load each SDK once, on the first call that sends, with one client per region', async () => {
    // Prepare
    const getJob = await resolver.resolve(core.lambda('prod.scheduler->get-job'))
    const jobs = await resolver.resolve(core.queue('prod.scheduler->jobs', { message: Job }))
    const events = await resolver.resolve(core.topic('prod.scheduler->events'))

    // Act
    await jobs.send({ jobId: '1' }, { groupId: 'g' })
    const afterQueue = [...loaded]
    await Promise.all([jobs.send({ jobId: '2' }, { groupId: 'g' }), getJob.invoke({}), events.publish({ jobId: '3' })])

    // Assess
    expect(afterQueue).toEqual(['sqs'])
    expect([...loaded].sort()).toEqual(['lambda', 'sns', 'sqs'])
    expect([...clients].sort((a, b) => a.sdk.localeCompare(b.sdk))).toEqual([
      { sdk: 'lambda', region: 'eu-west-1' },
      { sdk: 'sns', region: 'eu-west-1' },
      { sdk: 'sqs', region: 'eu-west-1' },
    ])
    expect(sent.sort()).toEqual(['InvokeCommand', 'PublishCommand', 'SendMessageCommand', 'SendMessageCommand'])
  })

  it('It should leave the SDK modules to the first call outside Lambda: a prefetch loads none', async () => {
    // Act
    await withEnv({ LAMBDA_TASK_ROOT: undefined }, async () => {
      await resolver.prefetch([core.eventBus('prod.scheduler->bus')])
      await turns(50)
    })

    // Assess
    expect(loaded).not.toContain('eventbridge')
  })

  it('It should start loading the SDK of each dependency a prefetch in Lambda declares (optional ones too) once its Cloud Map request is on the wire, making no client and sending nothing', async () => {
    // Prepare: a registry whose client takes its time to set up, and answers when told.
    const setUp = gate()
    const answer = gate()
    let loadedWhenSent: string[] | undefined
    const onTheWire: Registry = {
      async discover(query, options = {}) {
        options.onSetup?.()
        await setUp.opened
        loadedWhenSent = [...loaded]
        options.onSent?.()
        await answer.opened
        return registry.discover(query)
      },
      revision: async () => undefined,
    }
    const bus = core.optional(core.eventBus('prod.scheduler->bus'))

    // Act
    let loadedDuringSetup: string[] = []
    await withEnv({ LAMBDA_TASK_ROOT: '/var/task' }, async () => {
      const prefetched = core.createResolver({ registry: onTheWire, logger: { warn: () => undefined } }).prefetch([bus])
      await turns(50)
      loadedDuringSetup = [...loaded]
      setUp.open()
      await until(() => loaded.includes('eventbridge'), 'the EventBridge SDK loaded')
      answer.open()
      await prefetched
    })

    // Assess: loaded while Cloud Map had not answered yet, not while the request was being set up.
    expect(loadedDuringSetup).not.toContain('eventbridge')
    expect(loadedWhenSent).not.toContain('eventbridge')
    expect(clients.map((client) => client.sdk)).not.toContain('eventbridge')
    expect(sent).not.toContain('PutEventsCommand')
  })

  it('It should reject a call whose SDK client is not installed, naming the address and the package to install', async () => {
    // Prepare: the prefetch's load fails quietly; the calls say it.
    const declared = core.stateMachine('prod.scheduler->flow')
    await resolver.prefetch([declared])
    const flow = await resolver.resolve(declared)

    // Act
    const failures = [await flow.start({}).catch((error: unknown) => error), await flow.start({}).catch((error: unknown) => error)]

    // Assess: the second call too (a failed load is not kept).
    for (const error of failures) {
      expect(error).toBeInstanceOf(core.CloudMapMiddyError)
      expect(error).toMatchObject({
        address: 'prod.scheduler->flow',
        message:
          '"prod.scheduler->flow" cannot send: @aws-sdk/client-sfn could not be loaded: install it (npm install @aws-sdk/client-sfn)',
        cause: { cause: { code: 'ERR_MODULE_NOT_FOUND' } },
      })
    }
  })
})
