import { beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { z } from 'zod'
import { LIMITS } from '../../src/calls/limits.js'
import {
  AttributeValidationError,
  DisallowedTargetError,
  ExecutionFailedError,
  InstanceTypeMismatchError,
  InvalidExecutionNameError,
  PayloadTooLargeError,
  PayloadValidationError,
} from '../../src/errors.js'
import { createResolver, type ResolverOptions } from '../../src/index.js'
import { stateMachine } from '../../src/kinds/state-machine.js'
import { clearCache, staticRegistry } from '../../src/testing/index.js'
import { withEnv } from '../env.js'

// The SDK as the library gets it: the real module, recorded when the library imports it (on its
// first call that sends). The tests take its classes from `sdk`, which does not count as a load.
const sdk = jest.requireActual<typeof import('@aws-sdk/client-sfn')>('@aws-sdk/client-sfn')
const loaded: string[] = []
jest.unstable_mockModule('@aws-sdk/client-sfn', () => {
  loaded.push('@aws-sdk/client-sfn')
  return sdk
})
const { SFNClient, StartExecutionCommand, StartSyncExecutionCommand } = sdk

const sfnMock = mockClient(SFNClient)
const client = new SFNClient({ region: 'us-east-1' })
const warnings: string[] = []
// A line as text: the stable message, then its fields.
const logger = { warn: (message: string, fields: object) => void warnings.push(`${message} ${JSON.stringify(fields)}`) }

const ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:invoice'
const EXECUTION_ARN = 'arn:aws:states:eu-west-1:123456789012:execution:invoice:order-42'
const Order = z.object({ orderId: z.string(), total: z.number().default(0) })
const Invoice = z.object({ invoiceId: z.string() })

const resolverFor = (attributes: Record<string, string>, options: Omit<ResolverOptions, 'registry' | 'logger'> = {}) =>
  createResolver({
    registry: staticRegistry({ 'prod.billing': { invoice: attributes } }),
    clients: { sfn: client },
    logger,
    ...options,
  })
const registered = { type: 'stepfunctions', arn: ARN }
const startCalls = () => sfnMock.commandCalls(StartExecutionCommand)
const syncCalls = () => sfnMock.commandCalls(StartSyncExecutionCommand)

beforeEach(() => {
  clearCache()
  sfnMock.reset()
  warnings.length = 0
})

// First, while the SDK is not loaded yet: every check that fails before sending needs none of it.
describe('Function: stateMachine, before any call', () => {
  it('It should refuse a bad input, an oversized input and a bad name with no SDK module loaded and no call', async () => {
    // Prepare
    const invoices = await createResolver({
      registry: staticRegistry({ 'prod.billing': { invoice: registered } }),
      logger,
    }).resolve(stateMachine('prod.billing->invoice', { input: Order }))

    // Act
    const failures = await Promise.all([
      invoices.start({ orderId: 42 } as never).catch((error: unknown) => error),
      invoices.start({ orderId: 'x'.repeat(LIMITS.sfnInput) }).catch((error: unknown) => error),
      invoices.run({ orderId: '42' }, { name: 'order 42' }).catch((error: unknown) => error),
    ])

    // Assess
    expect(failures.map((error) => (error as Error).constructor)).toEqual([
      PayloadValidationError,
      PayloadTooLargeError,
      InvalidExecutionNameError,
    ])
    expect(loaded).toEqual([])
    expect(sfnMock.calls()).toHaveLength(0)
  })
})

describe('Function: stateMachine', () => {
  it('It should start an execution with the checked input, name and trace header, and return its ARN and start date', async () => {
    // Prepare
    const startDate = new Date('2026-01-02T03:04:05Z')
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate })
    const invoices = await resolverFor(registered).resolve(stateMachine('prod.billing->invoice', { input: Order }))

    // Act
    const started = await invoices.start({ orderId: '42' }, { name: 'order-42', traceHeader: 'Root=1-abc;Sampled=1' })

    // Assess
    expect(started).toEqual({ executionArn: EXECUTION_ARN, startDate })
    expect(startCalls()).toHaveLength(1)
    expect(startCalls()[0]?.args[0].input).toEqual({
      stateMachineArn: ARN,
      input: '{"orderId":"42","total":0}',
      name: 'order-42',
      traceHeader: 'Root=1-abc;Sampled=1',
    })
  })

  it('It should expose the instance, its address, ARN, region and name, and the raw attributes without a schema', async () => {
    // Act
    const invoices = await resolverFor({ ...registered, team: 'billing' }).resolve(stateMachine('prod.billing->invoice'))

    // Assess
    expect(invoices).toMatchObject({
      instanceId: 'invoice',
      address: 'prod.billing->invoice',
      arn: ARN,
      region: 'eu-west-1',
      name: 'invoice',
      attributes: { type: 'stepfunctions', arn: ARN, team: 'billing' },
    })
    expect(Object.isFrozen(invoices)).toBe(true)
  })

  it('It should accept the aliases "sfn" and "state-machine" and parse the attributes with their schema', async () => {
    // Prepare
    const attributes = z.object({ arn: z.string(), timeoutSeconds: z.coerce.number() })

    // Act
    const bound = await Promise.all(
      ['sfn', 'state-machine', 'StepFunctions'].map((type) =>
        resolverFor({ type, arn: ARN, timeoutSeconds: '30' }).resolve(stateMachine('prod.billing', { attributes })),
      ),
    )

    // Assess
    for (const invoices of bound) expect(invoices.attributes).toEqual({ arn: ARN, timeoutSeconds: 30 })
  })

  it('It should send no input field for an undefined input (Step Functions then starts with {})', async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date() })
    const invoices = await resolverFor(registered).resolve(stateMachine('prod.billing->invoice'))

    // Act
    await invoices.start(undefined)

    // Assess
    expect(startCalls()[0]?.args[0].input).toEqual({ stateMachineArn: ARN })
  })

  it('It should refuse an input its schema rejects, naming the path, before any call', async () => {
    // Prepare
    const invoices = await resolverFor(registered).resolve(stateMachine('prod.billing->invoice', { input: Order }))

    // Act
    const error = await invoices.start({ orderId: 42 } as never).catch((caught: unknown) => caught)

    // Assess
    expect(error).toBeInstanceOf(PayloadValidationError)
    expect(error).toMatchObject({ address: 'prod.billing->invoice', what: 'input' })
    expect((error as PayloadValidationError).issues[0]?.path).toEqual(['orderId'])
    expect(sfnMock.calls()).toHaveLength(0)
  })

  it('It should refuse an input over 256 KiB for start() and run(), naming its size and never its content, before any call', async () => {
    // Prepare
    const invoices = await resolverFor(registered).resolve(stateMachine('prod.billing->invoice'))
    const input = { secret: 's3cret', padding: 'x'.repeat(LIMITS.sfnInput) }

    // Act
    const errors = await Promise.all([invoices.start(input).catch((e: unknown) => e), invoices.run(input).catch((e: unknown) => e)])

    // Assess
    for (const error of errors) {
      expect(error).toBeInstanceOf(PayloadTooLargeError)
      expect(error).toMatchObject({ limit: 262_144, size: JSON.stringify(input).length })
      expect((error as Error).message).not.toContain('s3cret')
    }
    expect(sfnMock.calls()).toHaveLength(0)
  })

  it("It should refuse names that break Step Functions' rules, without quoting them, before any call", async () => {
    // Prepare
    const invoices = await resolverFor(registered).resolve(stateMachine('prod.billing->invoice'))
    const names = ['', 'token s3cret', 'a:b', 'a/b', 'a{b}', 'tab\there', 'nul\u0000', 'c1\u0085', 'x'.repeat(81), 'lone\ud800']

    // Act
    const errors = await Promise.all(names.map((name) => invoices.start({}, { name }).catch((e: unknown) => e)))

    // Assess
    for (const error of errors) expect(error).toBeInstanceOf(InvalidExecutionNameError)
    expect((errors[1] as Error).message).toContain('U+0020')
    expect((errors[1] as Error).message).not.toContain('s3cret')
    expect((errors[8] as InvalidExecutionNameError).reason).toBe('is 81 characters long, over 80')
    expect(sfnMock.calls()).toHaveLength(0)
  })

  it('It should accept names of up to 80 characters with letters of any script, digits, dots, dashes and underscores', async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date() })
    const invoices = await resolverFor(registered).resolve(stateMachine('prod.billing->invoice'))

    // Act
    await invoices.start({}, { name: 'x'.repeat(80) })
    await invoices.start({}, { name: 'commande-été_2026.v1' })

    // Assess
    expect(startCalls().map((call) => call.args[0].input.name)).toEqual(['x'.repeat(80), 'commande-été_2026.v1'])
  })

  it('It should run an EXPRESS execution and return its output, parsed and checked by its schema', async () => {
    // Prepare
    sfnMock.on(StartSyncExecutionCommand).resolves({
      executionArn: 'arn:aws:states:eu-west-1:123456789012:express:invoice:run-1:abc',
      status: 'SUCCEEDED',
      output: '{"invoiceId":"inv-42","extra":true}',
      startDate: new Date(),
      stopDate: new Date(),
    })
    const invoices = await resolverFor(registered).resolve(stateMachine('prod.billing->invoice', { input: Order, output: Invoice }))

    // Act
    const invoice = await invoices.run({ orderId: '42', total: 9.5 }, { name: 'run-1' })

    // Assess
    expect(invoice).toEqual({ invoiceId: 'inv-42' })
    expect(syncCalls()[0]?.args[0].input).toEqual({ stateMachineArn: ARN, input: '{"orderId":"42","total":9.5}', name: 'run-1' })
  })

  it('It should throw ExecutionFailedError with the error and cause of a FAILED execution, naming the address', async () => {
    // Prepare
    const executionArn = 'arn:aws:states:eu-west-1:123456789012:express:invoice:run-2:def'
    sfnMock.on(StartSyncExecutionCommand).resolves({
      executionArn,
      status: 'FAILED',
      error: 'InvoiceRejected',
      cause: 'the order has no lines',
      startDate: new Date(),
      stopDate: new Date(),
    })
    const invoices = await resolverFor(registered).resolve(stateMachine('prod.billing->invoice', { output: Invoice }))

    // Act
    const error = await invoices.run({ orderId: '42' }).catch((caught: unknown) => caught)

    // Assess
    expect(error).toBeInstanceOf(ExecutionFailedError)
    expect(error).toMatchObject({
      address: 'prod.billing->invoice',
      executionArn,
      status: 'FAILED',
      error: 'InvoiceRejected',
      cause: 'the order has no lines',
    })
    expect((error as Error).message).toBe(
      `State machine "prod.billing->invoice" execution ${executionArn} ended FAILED: InvoiceRejected: the order has no lines`,
    )
  })

  it('It should throw ExecutionFailedError for a TIMED_OUT execution, and cut a long cause in the message only', async () => {
    // Prepare
    const cause = 'c'.repeat(5_000)
    sfnMock
      .on(StartSyncExecutionCommand)
      .resolvesOnce({ executionArn: 'e-1', status: 'TIMED_OUT', startDate: new Date(), stopDate: new Date() })
      .resolvesOnce({
        executionArn: 'e-2',
        status: 'FAILED',
        error: 'States.TaskFailed',
        cause,
        startDate: new Date(),
        stopDate: new Date(),
      })
    const invoices = await resolverFor(registered).resolve(stateMachine('prod.billing->invoice'))

    // Act
    const timedOut = await invoices.run({}).catch((caught: unknown) => caught)
    const failed = await invoices.run({}).catch((caught: unknown) => caught)

    // Assess
    expect(timedOut).toMatchObject({ status: 'TIMED_OUT', error: undefined, cause: undefined })
    expect((timedOut as Error).message).toContain('ended TIMED_OUT: no error code')
    expect((failed as ExecutionFailedError).cause).toBe(cause)
    expect((failed as Error).message.length).toBeLessThan(400)
    expect((failed as Error).message).toContain('(5000 characters)')
  })

  it('It should describe an output that is not JSON by its size, and check the output with its schema', async () => {
    // Prepare
    sfnMock
      .on(StartSyncExecutionCommand)
      .resolvesOnce({ executionArn: 'e-1', status: 'SUCCEEDED', output: 'token=s3cret', startDate: new Date(), stopDate: new Date() })
      .resolvesOnce({ executionArn: 'e-2', status: 'SUCCEEDED', output: '{"invoiceId":7}', startDate: new Date(), stopDate: new Date() })
      .resolvesOnce({ executionArn: 'e-3', status: 'SUCCEEDED', startDate: new Date(), stopDate: new Date() })
    const invoices = await resolverFor(registered).resolve(stateMachine('prod.billing->invoice', { output: Invoice }))
    const untyped = await resolverFor(registered).resolve(stateMachine('prod.billing->invoice'))

    // Act
    const notJson = await invoices.run({}).catch((caught: unknown) => caught)
    const invalid = await invoices.run({}).catch((caught: unknown) => caught)
    const empty = await untyped.run({})

    // Assess
    expect(notJson).toBeInstanceOf(PayloadValidationError)
    expect((notJson as Error).message).toContain('is not JSON (12 bytes)')
    expect((notJson as Error).message).not.toContain('s3cret')
    expect(invalid).toBeInstanceOf(PayloadValidationError)
    expect(invalid).toMatchObject({ what: 'output' })
    expect(empty).toBeUndefined()
  })

  it('It should start a version or alias ARN as registered and build execution ARNs from the machine name, without a call', async () => {
    // Prepare
    const alias = `${ARN}:live`
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date() })
    const invoices = await resolverFor({ type: 'sfn', arn: alias }).resolve(stateMachine('prod.billing->invoice'))

    // Act
    await invoices.start({})
    const built = invoices.executionArn('order-42')

    // Assess
    expect(startCalls()[0]?.args[0].input.stateMachineArn).toBe(alias)
    expect(invoices).toMatchObject({ arn: alias, name: 'invoice' })
    expect(built).toBe(EXECUTION_ARN)
    expect(() => invoices.executionArn('order:42')).toThrow(InvalidExecutionNameError)
    expect(startCalls()).toHaveLength(1)
  })

  it('It should pass the abort signal to the SDK', async () => {
    // Prepare
    sfnMock.on(StartExecutionCommand).resolves({ executionArn: EXECUTION_ARN, startDate: new Date() })
    const invoices = await resolverFor(registered).resolve(stateMachine('prod.billing->invoice'))
    const controller = new AbortController()

    // Act
    await invoices.start({}, { signal: controller.signal })

    // Assess
    // The SDK's send(command, options): the options are a second argument its mock's types leave out.
    expect((sfnMock.send.firstCall.args as unknown[])[1]).toEqual({ abortSignal: controller.signal })
  })

  describe('target policy and registry data', () => {
    it('It should refuse a state machine outside allowedAccounts or allowedRegions, with no SDK call', async () => {
      // Act
      const errors = await Promise.all([
        resolverFor(registered, { allowedAccounts: ['999999999999'] })
          .resolve(stateMachine('prod.billing->invoice'))
          .catch((e: unknown) => e),
        resolverFor(registered, { allowedRegions: ['us-east-1'] })
          .resolve(stateMachine('prod.billing->invoice'))
          .catch((e: unknown) => e),
      ])

      // Assess
      expect(errors.map((error) => (error as DisallowedTargetError).rule)).toEqual(['allowedAccounts', 'allowedRegions'])
      for (const error of errors) {
        expect(error).toBeInstanceOf(DisallowedTargetError)
        expect(error).toMatchObject({ address: 'prod.billing->invoice', target: ARN })
      }
      expect(sfnMock.calls()).toHaveLength(0)
    })

    it('It should bind a state machine inside both allowlists', async () => {
      // Act
      const invoices = await resolverFor(registered, { allowedAccounts: ['123456789012'], allowedRegions: ['eu-west-1'] }).resolve(
        stateMachine('prod.billing->invoice'),
      )

      // Assess
      expect(invoices.arn).toBe(ARN)
    })

    it('It should refuse an instance registered as a queue, an unknown type and no type', async () => {
      // Act
      const errors = await Promise.all(
        [{ type: 'sqs', arn: ARN }, { type: 'workflow', arn: ARN }, { arn: ARN }].map((attributes) =>
          resolverFor(attributes)
            .resolve(stateMachine('prod.billing->invoice'))
            .catch((e: unknown) => e),
        ),
      )

      // Assess
      for (const error of errors) expect(error).toBeInstanceOf(InstanceTypeMismatchError)
      expect(errors.map((error) => (error as InstanceTypeMismatchError).actual)).toEqual(['sqs', 'workflow', undefined])
      expect(errors[0]).toMatchObject({ expected: 'stepfunctions' })
    })

    it('It should refuse an arn that is not a state machine ARN with a region and an account', async () => {
      // Act
      const errors = await Promise.all(
        [
          'invoice',
          'arn:aws:sns:eu-west-1:123456789012:invoice',
          'arn:aws:states:eu-west-1:123456789012:execution:invoice:order-42',
          'arn:aws:states:eu-west-1:123456789012:activity:approve',
          'arn:aws:states::123456789012:stateMachine:invoice',
          'arn:aws:states:eu-west-1::stateMachine:invoice',
          'arn:aws:states:eu-west-1:123456789012:stateMachine:in voice',
        ].map((arn) =>
          resolverFor({ type: 'sfn', arn })
            .resolve(stateMachine('prod.billing->invoice'))
            .catch((e: unknown) => e),
        ),
      )

      // Assess
      for (const error of errors) {
        expect(error).toBeInstanceOf(AttributeValidationError)
        expect((error as AttributeValidationError).issues[0]?.path).toEqual(['arn'])
      }
    })
  })

  describe('the client the library creates', () => {
    /** The `disableHostPrefix` of the client that sent the last call, and its region. */
    const sentWith = async () => {
      const sender = sfnMock.send.lastCall?.thisValue as InstanceType<typeof SFNClient>
      return { disableHostPrefix: sender.config.disableHostPrefix, region: await sender.config.region() }
    }
    const created = (config: NonNullable<ResolverOptions['clients']>['config']) =>
      createResolver({
        registry: staticRegistry({ 'prod.billing': { invoice: registered } }),
        clients: { config: { credentials: { accessKeyId: 'test', secretAccessKey: 'test' }, ...config } },
        logger,
      }).resolve(stateMachine('prod.billing->invoice'))

    it("It should disable the host prefix (StartSyncExecution's sync-) for a custom endpoint only, in the ARN's region", async () => {
      // Prepare
      sfnMock.on(StartSyncExecutionCommand).resolves({ executionArn: 'e', status: 'SUCCEEDED', output: '{}' })

      // Act
      await (await created({ endpoint: 'http://127.0.0.1:4566' })).run({})
      const withEndpoint = await sentWith()
      await withEnv({ AWS_ENDPOINT_URL: undefined, AWS_ENDPOINT_URL_SFN: undefined }, async () => (await created({})).run({}))
      const withoutEndpoint = await sentWith()
      await withEnv({ AWS_ENDPOINT_URL_SFN: 'http://127.0.0.1:4566' }, async () => (await created({})).run({}))
      const fromEnvironment = await sentWith()

      // Assess
      expect(withEndpoint).toEqual({ disableHostPrefix: true, region: 'eu-west-1' })
      expect(withoutEndpoint).toEqual({ disableHostPrefix: false, region: 'eu-west-1' })
      expect(fromEnvironment).toEqual({ disableHostPrefix: true, region: 'eu-west-1' })
      expect(loaded).toEqual(['@aws-sdk/client-sfn'])
    })
  })
})
