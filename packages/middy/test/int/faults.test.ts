import { createResolver, DependencyResolutionError, instance, lambda } from '@cloudmap-middy/core'
import { clearCache } from '@cloudmap-middy/core/testing'
import { awsConfig, type FaultMode, type FaultProxy, startFaultProxy } from '@cloudmap-middy/moto-harness'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'
import middy from '@middy/core'
import { cloudMap } from '../../src/index.js'
import { lambdaContext, useMoto } from './moto.js'

const moto = useMoto()
let proxy: FaultProxy
const warnings: string[] = []
const logger = { warn: (message: string) => void warnings.push(message) }

const services = () => ({
  flags: instance('it-faults.config->flags'),
  getJob: lambda('it-faults.scheduler->get-job'),
  storage: instance('it-faults.storage'),
})

/** A handler whose Cloud Map traffic goes through the fault proxy (SQS, SNS and Lambda would go straight to moto). */
const makeHandler = (ttlMs: number) =>
  middy()
    .use(
      cloudMap({
        resolver: createResolver({
          clientConfig: { ...awsConfig(proxy.endpoint), maxAttempts: 2 },
          clients: { config: awsConfig(moto.server.endpoint) },
          ttlMs,
          requestTimeoutMs: 400,
          logger,
        }),
        services: services(),
      }),
    )
    .handler(
      async (_event: unknown, context) =>
        `${context.services.flags.instanceId}|${context.services.getJob.arn}|${context.services.storage.instanceId}`,
    )

beforeAll(async () => {
  proxy = await startFaultProxy(moto.server.endpoint)
  const arn = await moto.aws.function('get-job')
  await moto.aws.register('it-faults', 'config', 'flags', { beta: 'on' })
  await moto.aws.register('it-faults', 'scheduler', 'get-job', { type: 'lambda', arn })
  await moto.aws.register('it-faults', 'storage', 'orders', { table: 'orders' })
})
afterAll(async () => {
  await proxy?.close()
})
beforeEach(async () => {
  clearCache()
  warnings.length = 0
  await proxy.setMode('pass')
})

const faults: FaultMode[] = ['throttle', 'error500', 'hang', 'refuse']

describe('Integration: Cloud Map faults', () => {
  it.each(faults)(
    'It should keep warm handlers answering from stale instances while Cloud Map is %s',
    async (mode) => {
      // Prepare: a warm container, then the fault
      const handler = makeHandler(100)
      const expected = await handler({}, lambdaContext())
      await proxy.setMode(mode)

      // Act: 200 invocations spread over several TTLs
      let failed = 0
      for (let i = 0; i < 200; i++) {
        const answer = await handler({}, lambdaContext()).catch(() => undefined)
        if (answer !== expected) failed += 1
        if (i % 20 === 19) await new Promise((resolve) => setTimeout(resolve, 60))
      }

      // Assess
      expect(failed).toBe(0)
      expect(warnings.some((w) => w.includes('serving stale instances'))).toBe(true)
      if (mode !== 'refuse') expect(proxy.seen[mode]).toBeGreaterThan(0)
    },
    60_000,
  )

  it.each(faults)(
    'It should fail a cold start within its time budget when Cloud Map is %s, naming every dependency',
    async (mode) => {
      const handler = makeHandler(60_000)
      await proxy.setMode(mode)
      const budgetMs = 1_500

      const started = performance.now()
      const error = await handler({}, lambdaContext(budgetMs)).catch((e: unknown) => e)
      const elapsed = performance.now() - started

      expect(error).toBeInstanceOf(DependencyResolutionError)
      expect((error as DependencyResolutionError).failures.map((f) => f.address).sort()).toEqual([
        'it-faults.config->flags',
        'it-faults.scheduler->get-job',
        'it-faults.storage',
      ])
      expect(elapsed).toBeLessThan(budgetMs)

      // The next invocation after the fault clears recovers.
      await proxy.setMode('pass')
      await expect(handler({}, lambdaContext())).resolves.toMatch(/^flags\|arn:aws:lambda:.*get-job\|orders$/)
    },
    30_000,
  )
})
