import {
  AttributeValidationError,
  createResolver,
  DependencyResolutionError,
  DisallowedPathError,
  DisallowedTargetError,
  http,
  InstanceTypeMismatchError,
  instance,
  lambda,
  queue,
} from '@cloudmap-middy/core'
import { clearCache } from '@cloudmap-middy/core/testing'
import { awsConfig, MotoResources, type StandIn, startStandIn } from '@cloudmap-middy/moto-harness'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import middy from '@middy/core'
import { z } from 'zod'
import { cloudMap } from '../../src/index.js'
import { lambdaContext, quietLogger, useMoto } from './moto.js'

const moto = useMoto()
const resolver = () =>
  createResolver({
    clientConfig: awsConfig(moto.server.endpoint),
    clients: { config: awsConfig(moto.server.endpoint) },
    allowedAccounts: ['123456789012'],
    logger: quietLogger,
  })

/** Runs a handler that sends to whatever `dep` resolves to, and returns the error it fails with. */
async function failureOf(services: Parameters<typeof cloudMap>[0]['services']) {
  const handler = middy()
    .use(cloudMap({ resolver: resolver(), services }))
    .handler(async (_event: unknown, context) => {
      for (const value of Object.values(context.services as Record<string, { send?: (m: unknown) => Promise<unknown> }>)) {
        await value?.send?.({ never: 'delivered' })
      }
    })
  const error = (await handler({}, lambdaContext()).catch((e: unknown) => e)) as DependencyResolutionError
  expect(error).toBeInstanceOf(DependencyResolutionError)
  return error.failures[0]?.error
}

beforeEach(() => clearCache())

describe('Integration: bad registry data', () => {
  it('It should refuse a Lambda registered without an arn', async () => {
    await moto.aws.register('it-bad', 'scheduler', 'no-arn', { type: 'lambda' })
    const error = await failureOf({ fn: lambda('it-bad.scheduler->no-arn') })
    expect(error).toBeInstanceOf(AttributeValidationError)
    expect(error).toMatchObject({ address: 'it-bad.scheduler->no-arn', instanceId: 'no-arn', issues: [{ path: ['arn'] }] })
  })

  it('It should refuse a queue registered with the wrong type, and send nothing to it', async () => {
    const target = await moto.aws.queue('it-bad-typed')
    await moto.aws.register('it-bad', 'scheduler', 'mistyped', { type: 'function', url: target.url, arn: target.arn })
    const error = await failureOf({ jobs: queue('it-bad.scheduler->mistyped') })
    expect(error).toBeInstanceOf(InstanceTypeMismatchError)
    expect((error as Error).message).toBe(
      'Cloud Map instance "mistyped" of "it-bad.scheduler->mistyped" is declared as sqs but has type "function"',
    )
    expect(await moto.aws.drain(target.url, 1, 1_000)).toEqual([])
  })

  it('It should refuse an unknown type', async () => {
    await moto.aws.register('it-bad', 'scheduler', 'odd', { type: 'kinesis', arn: 'arn:aws:kinesis:us-east-1:123456789012:stream/x' })
    const error = await failureOf({ jobs: queue('it-bad.scheduler->odd') })
    expect((error as Error).message).toContain('unknown type "kinesis"')
  })

  it('It should refuse attributes that fail the schema, naming the issue paths', async () => {
    await moto.aws.register('it-bad', 'storage', 'orders', { tableName: '' })
    const error = await failureOf({
      orders: instance('it-bad.storage->orders', { attributes: z.object({ tableName: z.string().min(1), region: z.string() }) }),
    })
    expect(error).toBeInstanceOf(AttributeValidationError)
    expect((error as AttributeValidationError).issues.map((issue) => issue.path)).toEqual([['tableName'], ['region']])
  })

  it('It should refuse an ARN in a disallowed account before any call reaches it', async () => {
    // A queue that really exists in another account (moto takes a 12-digit access key id as the account).
    const elsewhere = new MotoResources(moto.server.endpoint, '999999999999')
    const foreign = await elsewhere.queue('it-foreign')
    expect(foreign.arn).toContain(':999999999999:')
    await moto.aws.register('it-bad', 'scheduler', 'foreign', { type: 'sqs', url: foreign.url, arn: foreign.arn })

    const error = await failureOf({ jobs: queue('it-bad.scheduler->foreign') })

    expect(error).toBeInstanceOf(DisallowedTargetError)
    expect((error as Error).message).toContain('account 999999999999 is not in allowedAccounts')
    expect(await elsewhere.drain(foreign.url, 1, 1_000)).toEqual([])
  })

  describe('targets that lead elsewhere', () => {
    let standIn: StandIn
    beforeAll(async () => {
      standIn = await startStandIn()
    })
    afterAll(async () => {
      await standIn.close()
    })
    beforeEach(() => {
      ;(standIn.requests as unknown[]).length = 0
    })

    it('It should refuse a queue whose url names another host than its allowed arn: nothing reaches either', async () => {
      // Prepare: a real queue of the allowed account, registered with a url on a stand-in host.
      const real = await moto.aws.queue('it-steered')
      const steered = `${standIn.origin}/123456789012/it-steered`
      await moto.aws.register('it-bad', 'scheduler', 'steered', { type: 'sqs', arn: real.arn, url: steered })

      // Act
      const error = await failureOf({ jobs: queue('it-bad.scheduler->steered') })

      // Assess
      expect(error).toBeInstanceOf(DisallowedTargetError)
      expect(error).toMatchObject({ rule: 'sqs url', instanceId: 'steered' })
      expect(standIn.requests).toEqual([])
      expect(await moto.aws.drain(real.url, 1, 1_000)).toEqual([])
    })

    it('It should refuse an http target on the instance-metadata address, and one with userinfo without showing it', async () => {
      // Prepare
      await moto.aws.register('it-bad', 'web', 'imds', { type: 'http', url: 'http://169.254.169.254/latest/meta-data/' })
      await moto.aws.register('it-bad', 'web', 'creds', { type: 'http', url: `http://admin:hunter2@127.0.0.1:${standIn.port}/` })
      const handler = middy()
        .use(cloudMap({ resolver: resolver(), services: { imds: http('it-bad.web->imds'), creds: http('it-bad.web->creds') } }))
        .handler(async () => 'unreachable')

      // Act
      const error = (await handler({}, lambdaContext()).catch((e: unknown) => e)) as DependencyResolutionError

      // Assess
      expect(error).toBeInstanceOf(DependencyResolutionError)
      expect(error.failures.map((failure) => [failure.name, (failure.error as DisallowedTargetError).rule])).toEqual([
        ['imds', 'always refused'],
        ['creds', 'http url'],
      ])
      expect(`${error.detail} ${error.stack} ${quietLogger.warnings.join(' ')}`).not.toContain('hunter2')
      expect(standIn.requests).toEqual([])
    })

    it("It should keep a handler's fetch under the registered base URL", async () => {
      // Prepare
      await moto.aws.register('it-bad', 'web', 'api', { type: 'http', url: `${standIn.origin}/api/v1` })
      const paths = ['https://evil.example/x', '//evil.example/x', '/\\/evil.example/x', '\\\\evil.example/x', '../admin', 'ok']
      const handler = middy()
        .use(cloudMap({ resolver: resolver(), services: { api: http('it-bad.web->api') } }))
        .handler(async (_event: unknown, context) =>
          Promise.all(
            paths.map((path) =>
              context.services.api.fetch(path).then(
                (response) => response.status,
                (e: Error) => e.name,
              ),
            ),
          ),
        )

      // Act
      const outcomes = await handler({}, lambdaContext())

      // Assess
      expect(outcomes).toEqual([...paths.slice(0, -1).map(() => DisallowedPathError.name), 200])
      expect(standIn.requests.map((request) => request.path)).toEqual(['/api/v1/ok'])
    })
  })
})
