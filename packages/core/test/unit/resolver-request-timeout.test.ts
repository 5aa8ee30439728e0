import { Readable } from 'node:stream'
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import { createCloudMapClient, createResolver, instance } from '../../src/index.js'
import { clearCache } from '../../src/testing/index.js'
import { gate, until } from '../events.js'

const logger = { warn: () => undefined }
const answer = JSON.stringify({ Instances: [{ InstanceId: 'a', NamespaceName: 'prod', ServiceName: 'scheduler', Attributes: {} }] })

/** A Cloud Map client whose credentials come when `credentials` opens (the SDK's setup), and whose HTTP handler answers when `wire` opens. */
function slowClient(credentials: Promise<void>, wire: Promise<void>) {
  const sent: AbortSignal[] = []
  const client = createCloudMapClient({
    region: 'us-east-1',
    credentials: () => credentials.then(() => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' })),
    requestHandler: {
      handle: async (_request: unknown, options?: { abortSignal?: AbortSignal }) => {
        const signal = options?.abortSignal as AbortSignal
        sent.push(signal)
        await new Promise<void>((resolve, reject) => {
          signal.addEventListener('abort', () => reject(signal.reason), { once: true })
          wire.then(resolve, reject)
        })
        return {
          response: {
            statusCode: 200,
            headers: { 'content-type': 'application/x-amz-json-1.1' },
            body: Readable.from([Buffer.from(answer)]),
          },
        }
      },
    },
  })
  return { client, sent }
}

describe('Resolver: requestTimeoutMs', () => {
  beforeEach(() => {
    clearCache()
    jest.useFakeTimers({ doNotFake: ['Date', 'nextTick', 'queueMicrotask', 'setImmediate'] })
  })
  afterEach(() => {
    jest.useRealTimers()
  })

  it("It should not count the SDK's setup before the request against requestTimeoutMs", async () => {
    // Prepare: the client's setup (its credentials) takes 5 s, as on a CPU-starved cold start.
    const credentials = gate()
    const wire = gate()
    const { client, sent } = slowClient(credentials.opened, wire.opened)
    const resolver = createResolver({ client, logger, requestTimeoutMs: 1_000, retryBudgetMs: 0 })

    // Act
    const resolving = resolver.resolve(instance('prod.scheduler'))
    await jest.advanceTimersByTimeAsync(5_000)
    const sentDuringSetup = sent.length
    credentials.open()
    await until(() => sent.length === 1, 'the request on the wire')
    await jest.advanceTimersByTimeAsync(999)
    wire.open()

    // Assess: one request, answered 999 ms after it was sent.
    expect(sentDuringSetup).toBe(0)
    await expect(resolving).resolves.toMatchObject({ instanceId: 'a' })
    expect(sent).toHaveLength(1)
    expect(sent[0]?.aborted).toBe(false)
  })

  it('It should time the request out requestTimeoutMs after it was handed to the HTTP handler', async () => {
    // Prepare
    const credentials = gate()
    const { client, sent } = slowClient(credentials.opened, new Promise<void>(() => undefined))
    const resolver = createResolver({ client, logger, requestTimeoutMs: 1_000, retryBudgetMs: 0 })

    // Act
    const resolving = resolver.resolve(instance('prod.scheduler')).catch((error: unknown) => error)
    await jest.advanceTimersByTimeAsync(3_000)
    credentials.open()
    await until(() => sent.length === 1, 'the request on the wire')
    await jest.advanceTimersByTimeAsync(999)
    const abortedEarly = sent[0]?.aborted
    await jest.advanceTimersByTimeAsync(1)

    // Assess
    expect(abortedEarly).toBe(false)
    expect(await resolving).toMatchObject({
      name: 'DiscoveryError',
      cause: expect.objectContaining({ name: 'TimeoutError', message: 'no answer from the registry in 1000 ms' }),
    })
    expect(sent[0]?.aborted).toBe(true)
  })

  it('It should give up on a setup that never ends after 10 s, or requestTimeoutMs when longer', async () => {
    // Prepare: credentials that never come.
    const { client, sent } = slowClient(new Promise<void>(() => undefined), new Promise<void>(() => undefined))
    const resolver = createResolver({ client, logger, requestTimeoutMs: 1_000, retryBudgetMs: 0 })
    let settled = false

    // Act
    const resolving = resolver.resolve(instance('prod.scheduler')).catch((error: unknown) => error)
    void resolving.then(() => {
      settled = true
    })
    await jest.advanceTimersByTimeAsync(9_999)
    const settledBefore = settled
    await jest.advanceTimersByTimeAsync(1)

    // Assess
    expect(settledBefore).toBe(false)
    expect(await resolving).toMatchObject({
      name: 'DiscoveryError',
      cause: expect.objectContaining({ name: 'TimeoutError', message: "the registry's client did not send its request in 10000 ms" }),
    })
    expect(sent).toHaveLength(0)
  })
})
