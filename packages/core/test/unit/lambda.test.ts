import { InvokeCommand, type InvokeCommandOutput, LambdaClient } from '@aws-sdk/client-lambda'
import { beforeEach, describe, expect, it } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { z } from 'zod'
import { LIMITS } from '../../src/calls/limits.js'
import {
  AttributeValidationError,
  CloudMapMiddyError,
  DisallowedTargetError,
  InstanceTypeMismatchError,
  PayloadTooLargeError,
  PayloadValidationError,
  RemoteInvocationError,
} from '../../src/errors.js'
import { createResolver, type ResolverOptions } from '../../src/index.js'
import { lambda } from '../../src/kinds/lambda.js'
import { staticRegistry } from '../../src/testing/index.js'
import { withEnv } from '../env.js'

const lambdaMock = mockClient(LambdaClient)
const client = new LambdaClient({ region: 'us-east-1' })
const warnings: string[] = []
// A line as text: the stable message, then its fields.
const logger = { warn: (message: string, fields: object) => void warnings.push(`${message} ${JSON.stringify(fields)}`) }

const ARN = 'arn:aws:lambda:eu-west-1:123456789012:function:get-job'
/** A response payload as the SDK hands it back (bytes that can also give their text). */
const text = (body: string): NonNullable<InvokeCommandOutput['Payload']> =>
  Object.assign(new TextEncoder().encode(body), { transformToString: () => body })
const json = (value: unknown) => text(JSON.stringify(value))
const invokeCalls = () => lambdaMock.commandCalls(InvokeCommand)
const sentPayload = (index = 0) => {
  const payload = invokeCalls()[index]?.args[0].input.Payload
  return payload === undefined ? undefined : JSON.parse(new TextDecoder().decode(payload as Uint8Array))
}

const resolverFor = (attributes: Record<string, string>, options: Omit<ResolverOptions, 'registry' | 'logger'> = {}) =>
  createResolver({
    registry: staticRegistry({ 'prod.scheduler': { 'get-job': attributes } }),
    clients: { lambda: client },
    logger,
    ...options,
  })
const registered = { type: 'lambda', arn: ARN }

beforeEach(() => {
  lambdaMock.reset()
  warnings.length = 0
})

describe('Function: lambda', () => {
  it('It should send a RequestResponse invocation and return the decoded result, checked by its schema', async () => {
    // Prepare
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: json({ id: '42', state: 'done', extra: true }) })
    const payload = z.object({ id: z.string() })
    const result = z.object({ id: z.string(), state: z.enum(['queued', 'done']) })
    const jobs = await resolverFor(registered).resolve(lambda('prod.scheduler->get-job', { payload, result }))

    // Act
    const job = await jobs.request({ id: '42' })

    // Assess
    expect(job).toEqual({ id: '42', state: 'done' })
    expect(invokeCalls()).toHaveLength(1)
    expect(invokeCalls()[0]?.args[0].input).toMatchObject({ FunctionName: ARN, InvocationType: 'RequestResponse' })
    expect(sentPayload()).toEqual({ id: '42' })
  })

  it('It should expose the instance, its address, its ARN and region, and the raw attributes without a schema', async () => {
    const jobs = await resolverFor({ ...registered, team: 'core' }).resolve(lambda('prod.scheduler->get-job'))

    expect(jobs).toMatchObject({
      instanceId: 'get-job',
      address: 'prod.scheduler->get-job',
      arn: ARN,
      region: 'eu-west-1',
      attributes: { type: 'lambda', arn: ARN, team: 'core' },
    })
    expect(Object.isFrozen(jobs)).toBe(true)
  })

  it('It should accept the alias "function" and parse the attributes with their schema', async () => {
    const attributes = z.object({ arn: z.string(), timeoutMs: z.coerce.number() })
    const jobs = await resolverFor({ type: 'function', arn: ARN, timeoutMs: '3000' }).resolve(lambda('prod.scheduler', { attributes }))

    expect(jobs.attributes).toEqual({ arn: ARN, timeoutMs: 3000 })
  })

  it('It should return undefined for an empty response and send no Payload for an undefined payload', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: text('') })
    const jobs = await resolverFor(registered).resolve(lambda('prod.scheduler->get-job'))

    const result = await jobs.request(undefined)

    expect(result).toBeUndefined()
    expect(invokeCalls()[0]?.args[0].input).not.toHaveProperty('Payload')
  })

  it('It should throw RemoteInvocationError with the type, message and remote stack of a Handled error', async () => {
    const body = {
      errorType: 'JobNotFound',
      errorMessage: 'job 42 does not exist',
      trace: ['JobNotFound: job 42', '    at handler (index.mjs:3:9)'],
    }
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Handled', Payload: json(body) })
    const jobs = await resolverFor(registered).resolve(lambda('prod.scheduler->get-job'))

    const error = await jobs.request({ id: '42' }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(RemoteInvocationError)
    expect(error).toMatchObject({
      address: 'prod.scheduler->get-job',
      functionError: 'Handled',
      errorType: 'JobNotFound',
      errorMessage: 'job 42 does not exist',
      remoteStack: body.trace,
    })
  })

  it('It should throw RemoteInvocationError for an Unhandled error with a Python stackTrace', async () => {
    const body = { errorType: 'KeyError', errorMessage: "'id'", stackTrace: ['  File "/var/task/app.py", line 3, in handler\n'] }
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: json(body) })
    const jobs = await resolverFor(registered).resolve(lambda('prod.scheduler->get-job'))

    const error = await jobs.request({}).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(RemoteInvocationError)
    expect(error).toMatchObject({ functionError: 'Unhandled', errorType: 'KeyError', errorMessage: "'id'", remoteStack: body.stackTrace })
    expect((error as Error).message).toContain('KeyError')
  })

  it('It should describe a function error payload that is not JSON by its size, never its text, and keep a lone errorMessage', async () => {
    lambdaMock
      .on(InvokeCommand)
      .resolvesOnce({ StatusCode: 200, FunctionError: 'Unhandled', Payload: text('token=s3cret-value') })
      .resolvesOnce({ StatusCode: 200, FunctionError: 'Unhandled', Payload: json({ errorMessage: 'Task timed out after 3.00 seconds' }) })
    const jobs = await resolverFor(registered).resolve(lambda('prod.scheduler->get-job'))

    const crashed = await jobs.request({}).catch((e: unknown) => e)
    const timedOut = await jobs.request({}).catch((e: unknown) => e)

    expect(crashed).toMatchObject({ errorType: 'Unknown', remoteStack: undefined })
    expect((crashed as Error).message).toContain('(18 bytes)')
    expect(JSON.stringify({ ...(crashed as object), message: (crashed as Error).message })).not.toContain('s3cret')
    expect(timedOut).toMatchObject({ errorType: 'Unknown', errorMessage: 'Task timed out after 3.00 seconds' })
  })

  it('It should refuse a request payload over 6 MB, naming the address, without calling Lambda', async () => {
    const jobs = await resolverFor(registered).resolve(lambda('prod.scheduler->get-job'))

    const error = await jobs.request('x'.repeat(LIMITS.lambdaSyncPayload)).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(PayloadTooLargeError)
    expect(error).toMatchObject({ address: 'prod.scheduler->get-job', limit: LIMITS.lambdaSyncPayload, size: LIMITS.lambdaSyncPayload + 2 })
    expect(invokeCalls()).toHaveLength(0)
  })

  it('It should refuse an event payload over 1 MB that a request would accept, without calling Lambda', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: json(null) })
    const jobs = await resolverFor(registered).resolve(lambda('prod.scheduler->get-job'))
    const big = 'x'.repeat(LIMITS.lambdaAsyncPayload)

    const error = await jobs.invoke(big).catch((e: unknown) => e)
    await jobs.request(big)

    expect(error).toBeInstanceOf(PayloadTooLargeError)
    expect((error as Error).message).toContain('prod.scheduler->get-job')
    expect(invokeCalls()).toHaveLength(1)
    expect(invokeCalls()[0]?.args[0].input.InvocationType).toBe('RequestResponse')
  })

  it('It should reject a payload that fails its schema without calling Lambda', async () => {
    const jobs = await resolverFor(registered).resolve(lambda('prod.scheduler->get-job', { payload: z.object({ id: z.string() }) }))

    const error = await jobs.request({ id: 42 } as unknown as { id: string }).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(PayloadValidationError)
    expect(error).toMatchObject({ what: 'payload', address: 'prod.scheduler->get-job' })
    expect((error as PayloadValidationError).issues[0]?.path).toEqual(['id'])
    expect(invokeCalls()).toHaveLength(0)
  })

  it('It should reject a result that fails its schema or is not JSON', async () => {
    lambdaMock
      .on(InvokeCommand)
      .resolvesOnce({ StatusCode: 200, Payload: json({ id: 42 }) })
      .resolvesOnce({ StatusCode: 200, Payload: text('password=hunter2') })
    const jobs = await resolverFor(registered).resolve(lambda('prod.scheduler->get-job', { result: z.object({ id: z.string() }) }))

    const invalid = await jobs.request({}).catch((e: unknown) => e)
    const garbled = await jobs.request({}).catch((e: unknown) => e)

    expect(invalid).toBeInstanceOf(PayloadValidationError)
    expect(invalid).toMatchObject({ what: 'result' })
    expect((invalid as PayloadValidationError).issues[0]?.path).toEqual(['id'])
    expect(garbled).toBeInstanceOf(PayloadValidationError)
    expect(garbled).toMatchObject({ what: 'result' })
    expect((garbled as Error).message).toContain('is not JSON (16 bytes)')
    expect((garbled as Error).message).not.toContain('hunter2')
  })

  it('It should refuse an ARN in an account outside allowedAccounts, with no SDK call', async () => {
    const resolver = resolverFor(registered, { allowedAccounts: ['999999999999'] })

    await expect(resolver.resolve(lambda('prod.scheduler->get-job'))).rejects.toThrow(DisallowedTargetError)
    await expect(resolver.resolve(lambda('prod.scheduler->get-job'))).rejects.toThrow('account 123456789012')
    expect(invokeCalls()).toHaveLength(0)
  })

  it('It should refuse an instance registered as a queue with InstanceTypeMismatchError', async () => {
    const resolver = resolverFor({ type: 'sqs', arn: 'arn:aws:sqs:eu-west-1:123456789012:jobs' })

    const error = await resolver.resolve(lambda('prod.scheduler->get-job')).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(InstanceTypeMismatchError)
    expect(error).toMatchObject({ expected: 'lambda', actual: 'sqs' })
    expect(warnings.join('\n')).toContain('get-job')
  })

  it('It should refuse an unknown type with InstanceTypeMismatchError', async () => {
    const resolver = resolverFor({ type: 'foo', arn: ARN })

    await expect(resolver.resolve(lambda('prod.scheduler->get-job'))).rejects.toThrow(InstanceTypeMismatchError)
    await expect(resolver.resolve(lambda('prod.scheduler->get-job'))).rejects.toThrow('unknown type "foo"')
  })

  it('It should refuse a missing ARN, an ARN of another service and a layer ARN', async () => {
    const dep = lambda('prod.scheduler->get-job')

    await expect(resolverFor({ type: 'lambda' }).resolve(dep)).rejects.toThrow(AttributeValidationError)
    await expect(resolverFor({ type: 'lambda', arn: 'arn:aws:sqs:eu-west-1:123456789012:jobs' }).resolve(dep)).rejects.toThrow(
      'is not a lambda ARN',
    )
    await expect(resolverFor({ type: 'lambda', arn: 'arn:aws:lambda:eu-west-1:123456789012:layer:deps:3' }).resolve(dep)).rejects.toThrow(
      'is not a function ARN',
    )
  })

  it("It should ask the client factory for the ARN's region", async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: json('ok') })
    const regions: Array<string | undefined> = []
    const resolver = resolverFor(registered, {
      clients: {
        lambda: (region) => {
          regions.push(region)
          return client
        },
      },
    })

    const jobs = await resolver.resolve(lambda('prod.scheduler->get-job'))
    const result = await jobs.request({})

    expect(regions).toEqual(['eu-west-1'])
    expect(result).toBe('ok')
  })

  it('It should send an Event invocation and resolve when Lambda accepts it', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 202, Payload: text('') })
    const jobs = await resolverFor(registered).resolve(lambda('prod.scheduler->get-job', { payload: z.object({ id: z.string() }) }))

    await expect(jobs.invoke({ id: '42' })).resolves.toBeUndefined()

    expect(invokeCalls()[0]?.args[0].input).toMatchObject({ FunctionName: ARN, InvocationType: 'Event' })
    expect(sentPayload()).toEqual({ id: '42' })
  })

  it('It should fail an Event invocation that Lambda did not accept with 202, naming the address', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200 })
    const jobs = await resolverFor(registered).resolve(lambda('prod.scheduler->get-job'))

    const error = await jobs.invoke({}).catch((e: unknown) => e)

    expect(error).toBeInstanceOf(CloudMapMiddyError)
    expect((error as Error).message).toContain('"prod.scheduler->get-job"')
    expect((error as Error).message).toContain('status 200')
  })

  it('It should pass the abort signal to the SDK', async () => {
    lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: json(1) })
    const jobs = await resolverFor(registered).resolve(lambda('prod.scheduler->get-job'))
    const controller = new AbortController()

    await jobs.request({}, { signal: controller.signal })

    expect((invokeCalls()[0]?.args as unknown[] | undefined)?.[1]).toEqual({ abortSignal: controller.signal })
  })

  describe('registrations by function name or partial ARN', () => {
    it("It should invoke a function name or a partial ARN as registered, in the caller's region", async () => {
      // Prepare
      lambdaMock.on(InvokeCommand).resolves({ StatusCode: 200, Payload: json('ok') })
      const regions: Array<string | undefined> = []
      const resolve = (arn: string) =>
        createResolver({
          registry: staticRegistry({ 'prod.scheduler': { 'get-job': { type: 'lambda', arn } } }),
          clients: {
            lambda: (region) => {
              regions.push(region)
              return client
            },
          },
          logger,
        }).resolve(lambda('prod.scheduler->get-job'))

      // Act
      const [byName, byPartial] = await withEnv({ AWS_REGION: 'eu-west-1' }, () =>
        Promise.all([resolve('get-job'), resolve('123456789012:function:get-job:live')]),
      )
      await byName.request({})
      await byPartial.request({})

      // Assess
      expect(invokeCalls().map((call) => call.args[0].input.FunctionName)).toEqual(['get-job', '123456789012:function:get-job:live'])
      expect([byName.arn, byName.region, byPartial.region]).toEqual(['get-job', 'eu-west-1', 'eu-west-1'])
      expect(regions).toEqual(['eu-west-1', 'eu-west-1'])
    })

    it('It should pass a bare name through allowedAccounts, check a partial ARN account, and check the caller region', async () => {
      // Act
      const outcome = (arn: string, options: Omit<ResolverOptions, 'registry' | 'logger'>, region = 'eu-west-1') =>
        withEnv({ AWS_REGION: region }, () =>
          resolverFor({ type: 'lambda', arn }, options)
            .resolve(lambda('prod.scheduler->get-job'))
            .then(
              () => 'bound',
              (error: unknown) => (error as DisallowedTargetError).rule ?? (error as Error).name,
            ),
        )
      const outcomes = [
        await outcome('get-job', { allowedAccounts: ['123456789012'] }),
        await outcome('999999999999:function:get-job', { allowedAccounts: ['123456789012'] }),
        await outcome('123456789012:function:get-job', { allowedAccounts: ['123456789012'] }),
        await outcome('get-job', { allowedRegions: ['us-east-1'] }),
        await outcome('get-job', { allowedRegions: ['eu-west-1'] }),
      ]

      // Assess
      expect(outcomes).toEqual(['bound', 'allowedAccounts', 'bound', 'allowedRegions', 'bound'])
    })

    it('It should refuse an arn that is neither a function ARN, a partial ARN nor a name', async () => {
      // Act
      const errors = await Promise.all(
        ['get job', 'arn:aws:lambda:eu-west-1:123456789012:layer:x:1', '12345:function:f', 'f:v1:extra', 'x'.repeat(65)].map((arn) =>
          resolverFor({ type: 'lambda', arn })
            .resolve(lambda('prod.scheduler->get-job'))
            .catch((error: unknown) => error),
        ),
      )

      // Assess
      for (const error of errors) {
        expect(error).toBeInstanceOf(AttributeValidationError)
        expect((error as AttributeValidationError).issues[0]?.path).toEqual(['arn'])
      }
    })
  })
})
