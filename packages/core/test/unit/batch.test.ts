import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { type BatchAnswer, type BatchRequestEntry, type BatchSpec, batchSender, toBatchAnswer } from '../../src/calls/batch.js'
import { BatchSendError, PayloadValidationError } from '../../src/errors.js'

interface Options {
  readonly size?: number
  readonly group?: string
}

/** A sender whose entries are the messages themselves; `answer` plays the service and sees every request. */
const senderFor = (
  answer: (ids: string[], attempt: number) => BatchAnswer | Promise<BatchAnswer>,
  spec: Partial<BatchSpec<string, Options, string>> = {},
) => {
  const requests: string[][] = []
  const sendBatch = batchSender<string, Options, string>({
    label: 'prod.jobs->queue',
    limits: { entries: 10, bytes: 1_000 },
    ordered: false,
    prepare: (message, options = {}) => ({ entry: message, size: options.size ?? 1, group: options.group }),
    send: async (entries: readonly BatchRequestEntry<string>[]) => {
      const ids = entries.map((entry) => entry.id)
      requests.push(ids)
      return answer(ids, requests.length)
    },
    ...spec,
  })
  return { sendBatch, requests }
}

const accept = (ids: string[]): BatchAnswer => ({ successful: ids.map((id) => ({ id, messageId: `m-${id}` })), failed: [] })
const messages = (count: number) => Array.from({ length: count }, (_, i) => `message ${i}`)

afterEach(() => {
  jest.useRealTimers()
})

describe('Function: batchSender', () => {
  it('It should send 23 messages in requests of 10, 10 and 3, ids aligned with the input', async () => {
    // Prepare
    const { sendBatch, requests } = senderFor(accept)

    // Act
    const result = await sendBatch(messages(23))

    // Assess
    expect(requests.map((ids) => ids.length)).toEqual([10, 10, 3])
    expect(requests.flat()).toEqual(messages(23).map((_, i) => String(i)))
    expect(result.messageIds).toEqual(messages(23).map((_, i) => `m-${i}`))
    expect(Object.isFrozen(result.messageIds)).toBe(true)
  })

  it('It should close a request before it would go over the byte limit', async () => {
    // Prepare
    const sizes = [600, 300, 200, 900, 100]
    const { sendBatch, requests } = senderFor(accept)

    // Act
    await sendBatch(messages(5), (_, index) => ({ size: sizes[index] ?? 0 }))

    // Assess
    expect(requests).toEqual([['0', '1'], ['2'], ['3', '4']])
  })

  it('It should send nothing when a message is bad, naming the lowest bad index', async () => {
    // Prepare
    const { sendBatch, requests } = senderFor(accept, {
      prepare: async (message, _, what) => {
        if (message.endsWith('bad')) throw new PayloadValidationError('prod.jobs->queue', what, [{ path: [], message: 'bad' }])
        return { entry: message, size: 1 }
      },
    })

    // Act
    const error = await sendBatch(['ok', 'bad', 'ok', 'also bad']).catch((caught: unknown) => caught)

    // Assess
    expect(error).toBeInstanceOf(PayloadValidationError)
    expect((error as PayloadValidationError).what).toBe('message #1')
    expect(requests).toHaveLength(0)
  })

  it('It should retry what may pass, then report the rest by index, never resending an entry without a result', async () => {
    // Prepare: #1 fails once on the service side; #2 is the sender's fault; #3 is throttled every time; #4 gets no answer.
    const { sendBatch, requests } = senderFor((ids, attempt) => ({
      successful: ids.filter((id) => id === '0' || (id === '1' && attempt > 1)).map((id) => ({ id, messageId: `m-${id}` })),
      failed: [
        ...ids
          .filter((id) => id === '1' && attempt === 1)
          .map((id) => ({ id, code: 'InternalError', message: 'again', senderFault: false })),
        ...ids.filter((id) => id === '2').map((id) => ({ id, code: 'InvalidParameterValue', message: 'bad', senderFault: true })),
        ...ids.filter((id) => id === '3').map((id) => ({ id, code: 'ThrottlingException', message: 'slow down', senderFault: true })),
      ],
    }))

    // Act
    const error = (await sendBatch(messages(5)).catch((caught: unknown) => caught)) as BatchSendError

    // Assess
    expect(requests).toEqual([['0', '1', '2', '3', '4'], ['1', '3'], ['3'], ['3']])
    expect(error).toBeInstanceOf(BatchSendError)
    expect(error.failures).toEqual([
      { index: 2, code: 'InvalidParameterValue', message: 'bad', senderFault: true },
      { index: 3, code: 'ThrottlingException', message: 'slow down', senderFault: true },
      { index: 4, code: 'NoResult', message: expect.any(String), senderFault: false },
    ])
    expect(error.sent).toEqual([0, 1])
  })

  it('It should count a request that threw for every entry, retrying only a transient error, and account for every index', async () => {
    // Prepare: the first request is throttled once; the second is denied every time.
    const { sendBatch, requests } = senderFor((ids, attempt) => {
      if (ids[0] === '10') throw Object.assign(new Error('no access'), { name: 'AccessDenied', $fault: 'client' })
      if (attempt === 1) throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' })
      return accept(ids)
    })

    // Act
    const error = (await sendBatch(messages(14)).catch((caught: unknown) => caught)) as BatchSendError

    // Assess
    expect(requests.map((ids) => ids[0])).toEqual(['0', '10', '0'])
    expect(error.failures).toEqual(
      [10, 11, 12, 13].map((index) => ({ index, code: 'AccessDenied', message: 'no access', senderFault: true })),
    )
    expect([...error.sent, ...error.failures.map((failure) => failure.index)].sort((a, b) => a - b)).toEqual(messages(14).map((_, i) => i))
  })

  it('It should wait 50, 100 then 200 ms before the retries, and stop after the third', async () => {
    // Prepare
    jest.useFakeTimers({ now: 0 })
    const times: number[] = []
    const { sendBatch } = senderFor((ids) => {
      times.push(Date.now())
      return { successful: [], failed: ids.map((id) => ({ id, code: 'InternalError', message: '', senderFault: false })) }
    })

    // Act
    const sending = sendBatch(['a']).catch((caught: unknown) => caught)
    await jest.runAllTimersAsync()
    const error = (await sending) as BatchSendError

    // Assess
    expect(times).toEqual([0, 50, 150, 350])
    expect(error.failures.map((failure) => failure.index)).toEqual([0])
  })

  it('It should send the chunks of an ordered batch one after the other, retries included', async () => {
    // Prepare: #0 (alone in its group) fails once; the next chunk must wait until it passed. Each request takes 5 ms.
    jest.useFakeTimers({ now: 0 })
    let inFlight = 0
    let most = 0
    const { sendBatch, requests } = senderFor(
      async (ids, attempt) => {
        inFlight += 1
        most = Math.max(most, inFlight)
        await new Promise((resolve) => setTimeout(resolve, 5))
        inFlight -= 1
        if (attempt === 1) {
          return { ...accept(ids.slice(1)), failed: [{ id: '0', code: 'InternalError', message: '', senderFault: false }] }
        }
        return accept(ids)
      },
      { ordered: true },
    )

    // Act
    const sending = sendBatch(messages(12), (_, index) => ({ group: index === 0 ? 'first' : 'rest' }))
    await jest.runAllTimersAsync()
    const result = await sending

    // Assess
    expect(requests.map((ids) => ids.length)).toEqual([10, 1, 2])
    expect(most).toBe(1)
    expect(result.messageIds).toEqual(messages(12).map((_, i) => `m-${i}`))
  })

  it('It should not send the chunks behind a lost message of an ordered batch, reporting them as not sent', async () => {
    const { sendBatch, requests } = senderFor(
      (ids) => ({
        successful: ids.filter((id) => id !== '3').map((id) => ({ id, messageId: `m-${id}` })),
        failed: ids.includes('3') ? [{ id: '3', code: 'InvalidParameterValue', message: 'bad', senderFault: true }] : [],
      }),
      { ordered: true },
    )

    const error = (await sendBatch(messages(25)).catch((e: unknown) => e)) as BatchSendError

    expect(requests).toHaveLength(1)
    expect(error.failures.map((f) => [f.index, f.code])).toEqual([
      [3, 'InvalidParameterValue'],
      ...Array.from({ length: 15 }, (_, i) => [10 + i, 'NotSent']),
    ])
    expect([...error.sent, ...error.failures.map((f) => f.index)].sort((a, b) => a - b)).toEqual(Array.from({ length: 25 }, (_, i) => i))
  })

  it('It should not resend a FIFO entry behind a later accepted message of its group, holding back the rest of that group only', async () => {
    // Prepare: groups a (#0 #1 #3 #5) and b (#2 #4 #6), 5 entries a request. The first answer
    // accepts #1 around #0, #2, #3 and #4, which fail on the service side (listed in reverse).
    const groups = ['a', 'a', 'b', 'a', 'b', 'a', 'b']
    const { sendBatch, requests } = senderFor(
      (ids, attempt) =>
        attempt === 1
          ? {
              successful: [{ id: '1', messageId: 'm-1' }],
              failed: ['4', '3', '2', '0'].map((id) => ({ id, code: 'InternalError', message: 'again', senderFault: false })),
            }
          : accept(ids),
      { ordered: true, limits: { entries: 5, bytes: 1_000 } },
    )

    // Act
    const error = (await sendBatch(messages(7), (_, index) => ({ group: groups[index] as string })).catch(
      (caught: unknown) => caught,
    )) as BatchSendError

    // Assess: #0 would land behind #1; #3 and #5 must not overtake #0; group b is retried in its order.
    expect(requests).toEqual([['0', '1', '2', '3', '4'], ['2', '4'], ['6']])
    expect(error).toBeInstanceOf(BatchSendError)
    expect(error.failures.map((failure) => [failure.index, failure.code])).toEqual([
      [0, 'OutOfOrder'],
      [3, 'NotSent'],
      [5, 'NotSent'],
    ])
    expect(error.failures[0]?.message).toMatch(/#1 of its FIFO group was accepted.*InternalError/)
    expect(error.failures[1]?.message).toMatch(/#0 of its FIFO group was not sent/)
    expect(error.sent).toEqual([1, 2, 4, 6])
  })

  it('It should keep an ordered batch whose entries name no group in order as a whole', async () => {
    // Prepare: #1 fails once while the rest of its request is accepted.
    const { sendBatch, requests } = senderFor(
      (ids, attempt) =>
        attempt === 1
          ? {
              ...accept(ids.filter((id) => id !== '1')),
              failed: [{ id: '1', code: 'ThrottlingException', message: '', senderFault: true }],
            }
          : accept(ids),
      { ordered: true },
    )

    // Act
    const error = (await sendBatch(messages(12)).catch((caught: unknown) => caught)) as BatchSendError

    // Assess
    expect(requests).toHaveLength(1)
    expect(error.failures.map((failure) => [failure.index, failure.code])).toEqual([
      [1, 'OutOfOrder'],
      [10, 'NotSent'],
      [11, 'NotSent'],
    ])
    expect([...error.sent, ...error.failures.map((failure) => failure.index)].sort((a, b) => a - b)).toEqual(messages(12).map((_, i) => i))
  })

  it('It should send nothing for an empty batch', async () => {
    const { sendBatch, requests } = senderFor(accept)

    await expect(sendBatch([])).resolves.toEqual({ messageIds: [] })
    expect(requests).toHaveLength(0)
  })
})

describe('Function: toBatchAnswer', () => {
  it('It should map an AWS batch answer, with the defaults for missing fields', () => {
    expect(
      toBatchAnswer({
        Successful: [{ Id: '0', MessageId: 'm-0' }],
        Failed: [
          { Id: '1', SenderFault: true },
          { Id: '2', Code: 'InternalError', Message: 'again' },
        ],
      }),
    ).toEqual({
      successful: [{ id: '0', messageId: 'm-0' }],
      failed: [
        { id: '1', code: 'Unknown', message: '', senderFault: true },
        { id: '2', code: 'InternalError', message: 'again', senderFault: false },
      ],
    })
    expect(toBatchAnswer({})).toEqual({ successful: [], failed: [] })
  })
})
