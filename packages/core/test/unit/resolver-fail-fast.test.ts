import { DiscoverInstancesCommand, RequestLimitExceeded, ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { mockClient } from 'aws-sdk-client-mock'
import { createResolver, DiscoveryError, instance } from '../../src/index.js'
import { clearCache } from '../../src/testing/index.js'

process.env.AWS_REGION ??= 'us-east-1'

// Time is Jest's fake clock: Date.now() and setTimeout move together, only when the test advances them.
const cloudMap = mockClient(ServiceDiscoveryClient)
const client = new ServiceDiscoveryClient({ region: 'us-east-1' })
const unreachable = () => Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED' })
const throttled = () => new RequestLimitExceeded({ message: 'Rate exceeded', $metadata: { httpStatusCode: 400 } })

/** A signal that aborts `ms` from now on the fake clock, as the middleware's does at the end of the Lambda's time. */
function lambdaTime(ms: number): AbortSignal {
  const controller = new AbortController()
  setTimeout(() => controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError')), ms)
  return controller.signal
}

/** Runs the fake clock until `promise` settles (at most `limitMs`); the error and when it came. */
async function failure(promise: Promise<unknown>, limitMs: number): Promise<{ error: unknown; at: number }> {
  const started = Date.now()
  let outcome: { error: unknown; at: number } | undefined
  promise.then(
    () => undefined,
    (error: unknown) => {
      outcome = { error, at: Date.now() - started }
    },
  )
  for (let ms = 0; ms < limitMs && !outcome; ms += 50) await jest.advanceTimersByTimeAsync(50)
  if (!outcome) throw new Error(`not rejected within ${limitMs} ms`)
  return outcome
}

let debug: Array<[string, Record<string, unknown>]>
let warn: Array<[string, Record<string, unknown>]>
const logger = {
  debug: (message: string, fields?: unknown) => void debug.push([message, fields as Record<string, unknown>]),
  warn: (message: string, fields?: unknown) => void warn.push([message, fields as Record<string, unknown>]),
}

beforeEach(() => {
  jest.useFakeTimers({ now: 1_700_000_000_000, doNotFake: ['nextTick', 'queueMicrotask'] })
  cloudMap.reset()
  clearCache()
  debug = []
  warn = []
})

afterEach(() => {
  jest.useRealTimers()
  jest.restoreAllMocks()
})

describe('Class: Resolver, a cold start that cannot reach Cloud Map', () => {
  it.each([
    ['unreachable', unreachable],
    ['throttled', throttled],
  ])('It should give up within 3 s by default when Cloud Map is %s, not at the end of a 10 s invocation', async (_, fault) => {
    // Prepare
    cloudMap.on(DiscoverInstancesCommand).callsFake(() => Promise.reject(fault()))
    const resolver = createResolver({ client, logger })

    // Act: the middleware's signal, for a 10 s function less its 500 ms margin.
    const { error, at } = await failure(resolver.resolve(instance('prod.web'), { signal: lambdaTime(9_500) }), 10_000)

    // Assess
    expect(error).toBeInstanceOf(DiscoveryError)
    expect(at).toBeLessThanOrEqual(3_000)
    expect(cloudMap.commandCalls(DiscoverInstancesCommand).length).toBeGreaterThanOrEqual(4)
  })

  it('It should log each failed attempt at debug as it happens, and the give-up at warn', async () => {
    // Prepare
    jest.spyOn(Math, 'random').mockReturnValue(0.999_999)
    cloudMap.on(DiscoverInstancesCommand).callsFake(() => Promise.reject(unreachable()))
    const resolver = createResolver({ client, logger })
    const resolving = resolver.resolve(instance('prod.web'), { signal: lambdaTime(9_500) })

    // Act: the first attempt fails at once, the second 100 ms later.
    const failedAttempts = () => debug.filter(([message]) => message === 'cloudmap-middy: discovery failed')
    await jest.advanceTimersByTimeAsync(0)
    const afterFirst = failedAttempts().length
    await jest.advanceTimersByTimeAsync(100)
    const afterSecond = failedAttempts().length
    await failure(resolving, 10_000)

    // Assess
    expect([afterFirst, afterSecond]).toEqual([1, 2])
    const attempts = failedAttempts()
    expect(attempts).toHaveLength(cloudMap.commandCalls(DiscoverInstancesCommand).length)
    expect(attempts.slice(0, 3).map(([, fields]) => fields)).toEqual([
      { address: 'prod.web', attempt: 1, error: 'Error', transient: true, throttled: false, retryInMs: 100 },
      { address: 'prod.web', attempt: 2, error: 'Error', transient: true, throttled: false, retryInMs: 200 },
      { address: 'prod.web', attempt: 3, error: 'Error', transient: true, throttled: false, retryInMs: 400 },
    ])
    expect(warn).toHaveLength(1)
    expect(warn[0]?.[1]).toMatchObject({ address: 'prod.web', attempts: attempts.length, error: 'Error' })
    expect(warn[0]?.[1].elapsedMs).toBeLessThanOrEqual(3_000)
  })

  it('It should take another bound from retryBudgetMs', async () => {
    cloudMap.on(DiscoverInstancesCommand).callsFake(() => Promise.reject(throttled()))
    const resolver = createResolver({ client, logger, retryBudgetMs: 1_000 })

    const { at } = await failure(resolver.resolve(instance('prod.web'), { signal: lambdaTime(9_500) }), 10_000)

    expect(at).toBeLessThanOrEqual(1_000)
  })
})
