import { createResolver, DependencyResolutionError, instance, lambda } from '@cloudmap-middy/core'
import { clearCache } from '@cloudmap-middy/core/testing'
import { awsConfig, type FaultMode, type FaultProxy, startFaultProxy } from '@cloudmap-middy/moto-harness'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals'
import middy from '@middy/core'
import { cloudMap } from '../../src/index.js'
import { lambdaContext, useMoto } from './moto.js'

const moto = useMoto()
let proxy: FaultProxy
const TTL_MS = 60_000
const MARGIN_MS = 500

/** What the resolver logged; `logged()` waits for an entry rather than for the clock. */
interface Entry {
  readonly message: string
  readonly fields: Record<string, unknown>
}
const entries: Entry[] = []
let waiters: (() => void)[] = []
const record = (message: string, details: unknown[]) => {
  entries.push({ message, fields: (details[0] ?? {}) as Record<string, unknown> })
  for (const wake of waiters) wake()
}
const logger = {
  warn: (message: string, ...details: unknown[]) => record(message, details),
  debug: (message: string, ...details: unknown[]) => record(message, details),
}
/** Resolves once `condition()` holds, checked after each log entry. */
const logged = (condition: () => boolean): Promise<void> =>
  new Promise((resolve) => {
    const wake = () => {
      if (!condition()) return
      waiters = waiters.filter((w) => w !== wake)
      resolve()
    }
    waiters.push(wake)
    wake()
  })

/** Entries whose message starts with `prefix`, counted by the address they name. */
const countBy = (prefix: string, addressOf: (entry: Entry) => unknown): Map<string, number> => {
  const counts = new Map<string, number>()
  for (const entry of entries)
    if (entry.message.startsWith(prefix)) counts.set(String(addressOf(entry)), (counts.get(String(addressOf(entry))) ?? 0) + 1)
  return counts
}
const STALE = 'cloudmap-middy: serving stale instances after a failed refresh'
const staleServed = () => countBy(STALE, (e) => e.fields.address)
// A failed attempt at debug: those of a key with nothing cached (the stale ones are told by the warning above).
const coldFailures = () => countBy('cloudmap-middy: discovery failed', (e) => e.fields.address)

const addresses = ['it-faults.config->flags', 'it-faults.scheduler->get-job', 'it-faults.storage']
/** What the resolver asks Cloud Map for (a pinned instance is picked from its service's answer). */
const queried = ['it-faults.config', 'it-faults.scheduler', 'it-faults.storage']
const services = () => ({
  flags: instance('it-faults.config->flags'),
  getJob: lambda('it-faults.scheduler->get-job'),
  storage: instance('it-faults.storage'),
})

// The TTL and backoff are read against Date.now(): the tests move it forward instead of waiting (the SDK, moto and
// the request timeout see real time).
const realNow = Date.now.bind(Date)
let skipped = 0
const skip = (ms: number) => {
  skipped += ms
}

/** A handler whose Cloud Map traffic goes through the fault proxy (SQS, SNS and Lambda would go straight to moto). */
const makeHandler = (options: { prefetch?: boolean; retryBudgetMs?: number } = {}) =>
  middy()
    .use(
      cloudMap({
        resolver: createResolver({
          clientConfig: { ...awsConfig(proxy.endpoint), maxAttempts: 2 },
          clients: { config: awsConfig(moto.server.endpoint) },
          ttlMs: TTL_MS,
          requestTimeoutMs: 400,
          ...(options.retryBudgetMs === undefined ? {} : { retryBudgetMs: options.retryBudgetMs }),
          logger,
        }),
        services: services(),
        timeoutMarginMs: MARGIN_MS,
        ...(options.prefetch === undefined ? {} : { prefetch: options.prefetch }),
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
  entries.length = 0
  waiters = []
  skipped = 0
  jest.spyOn(Date, 'now').mockImplementation(() => realNow() + skipped)
  await proxy.setMode('pass')
})
afterEach(() => {
  jest.restoreAllMocks()
})

const faults: FaultMode[] = ['throttle', 'error500', 'hang', 'refuse']

describe('Integration: Cloud Map faults', () => {
  it.each(faults)(
    'It should keep warm handlers answering from stale instances while Cloud Map is %s',
    async (mode) => {
      // Prepare: a warm container, then the fault
      const handler = makeHandler()
      const expected = await handler({}, lambdaContext())
      await proxy.setMode(mode)

      // Act: 200 invocations over five TTLs, each TTL past the backoff (30 s at most) of the refreshes that failed before
      const wrong: unknown[] = []
      for (let ttl = 0; ttl < 5; ttl++) {
        const before = staleServed()
        skip(TTL_MS + 30_000)
        for (let i = 0; i < 40; i++) {
          const answer = await handler({}, lambdaContext()).catch((error: unknown) => error)
          if (answer !== expected) wrong.push(answer)
        }
        // Each TTL the first invocation served stale and started a refresh, which failed and said so.
        await logged(() => queried.every((a) => (staleServed().get(a) ?? 0) > (before.get(a) ?? 0)))
      }

      // Assess
      expect(wrong).toEqual([])
      expect([...staleServed().keys()].sort()).toEqual(queried)
      if (mode !== 'refuse') expect(proxy.seen[mode]).toBeGreaterThan(0)
    },
    60_000,
  )

  it.each(faults)(
    'It should fail a cold start when its time runs out while Cloud Map is %s, naming every dependency',
    async (mode) => {
      // Prepare: the fault first, so no request gets through; the invocation's time ends when the test says
      await proxy.setMode(mode)
      const handler = makeHandler({ prefetch: false, retryBudgetMs: 60_000 })
      const invocationTime = new AbortController()
      const timeout = jest.spyOn(AbortSignal, 'timeout').mockImplementationOnce(() => invocationTime.signal)
      const remainingMs = 10_000

      // Act: the invocation retries each dependency until its time runs out
      const failing = handler({}, lambdaContext(remainingMs)).catch((error: unknown) => error)
      await logged(() => queried.every((a) => (coldFailures().get(a) ?? 0) >= 2))
      invocationTime.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))
      const error = await failing

      // Assess: its time was what remained less the margin; it gave up on each dependency when that ran out
      const givenMs = timeout.mock.calls[0]?.[0] ?? 0
      expect(givenMs).toBeGreaterThan(0)
      expect(givenMs).toBeLessThanOrEqual(remainingMs - MARGIN_MS)
      expect(error).toBeInstanceOf(DependencyResolutionError)
      expect((error as DependencyResolutionError).failures.map((f) => f.address).sort()).toEqual(addresses)
      const gaveUp = entries.filter((e) => e.message === 'cloudmap-middy: gave up discovering, nothing cached to serve')
      expect(gaveUp.map((e) => e.fields.address).sort()).toEqual(addresses)
      for (const { fields } of gaveUp) {
        expect(fields.reason).toBe('caller out of time')
        expect(fields.attempts).toBeGreaterThanOrEqual(2)
      }

      // The next invocation after the fault clears recovers.
      await proxy.setMode('pass')
      await expect(handler({}, lambdaContext())).resolves.toMatch(/^flags\|arn:aws:lambda:.*get-job\|orders$/)
    },
    30_000,
  )
})
