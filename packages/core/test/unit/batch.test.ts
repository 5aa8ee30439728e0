import { afterEach, describe, expect, it, jest } from '@jest/globals'
import fc from 'fast-check'
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
      { index: 4, code: 'NoResult', message: expect.any(String), senderFault: false, mayHaveBeenSent: true },
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

  it('It should say that a FIFO message may have been sent when its first answer was lost, though a retry was refused', async () => {
    // Prepare: the first request's answer is lost (the service may have taken both); the retry is refused.
    const { sendBatch, requests } = senderFor(
      (ids, attempt) => {
        if (attempt === 1) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
        return { successful: [], failed: ids.map((id) => ({ id, code: 'AccessDenied', message: 'expired token', senderFault: true })) }
      },
      { ordered: true },
    )

    // Act
    const error = (await sendBatch(messages(3), (_, index) => ({ group: index === 2 ? 'other' : 'g' })).catch(
      (caught: unknown) => caught,
    )) as BatchSendError

    // Assess: #0 and #2 were in the lost request; #1 never left (held behind #0).
    expect(requests).toEqual([
      ['0', '2'],
      ['0', '2'],
    ])
    expect(error.failures).toEqual([
      {
        index: 0,
        code: 'AccessDenied',
        message: 'expired token; an attempt got no answer, so it may have been sent',
        senderFault: true,
        mayHaveBeenSent: true,
      },
      { index: 1, code: 'NotSent', message: expect.any(String), senderFault: false },
      expect.objectContaining({ index: 2, code: 'AccessDenied', mayHaveBeenSent: true }),
    ])
  })

  it('It should not say that a message may have been sent when the service refused every request', async () => {
    // Prepare
    const { sendBatch } = senderFor(() => {
      throw Object.assign(new Error('denied'), { name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 } })
    })

    // Act
    const error = (await sendBatch(messages(1)).catch((caught: unknown) => caught)) as BatchSendError

    // Assess
    expect(error.failures).toEqual([{ index: 0, code: 'AccessDenied', message: 'denied', senderFault: true }])
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

  it('It should send an ordered batch one request at a time, one entry per group, the next of a group once the one before is confirmed', async () => {
    // Prepare: groups a (#0 #2 #4), b (#1 #3) and c (#5); #0 fails once on the service side.
    jest.useFakeTimers({ now: 0 })
    const groups = ['a', 'b', 'a', 'b', 'a', 'c']
    let inFlight = 0
    let most = 0
    const { sendBatch, requests } = senderFor(
      async (ids, attempt) => {
        inFlight += 1
        most = Math.max(most, inFlight)
        await Promise.resolve()
        inFlight -= 1
        if (attempt === 1) return { ...accept(ids.slice(1)), failed: [{ id: '0', code: 'InternalError', message: '', senderFault: false }] }
        return accept(ids)
      },
      { ordered: true },
    )

    // Act
    const sending = sendBatch(messages(6), (_, index) => ({ group: groups[index] as string }))
    await jest.runAllTimersAsync()
    const result = await sending

    // Assess: #0 is retried before #2 and #4 of its group go; b and c fill the requests.
    expect(requests).toEqual([['0', '1', '5'], ['0', '3'], ['2'], ['4']])
    expect(most).toBe(1)
    expect(result.messageIds).toEqual(messages(6).map((_, i) => `m-${i}`))
  })

  it('It should not send the messages of a group behind one lost for good, reporting them as not sent, while other groups go on', async () => {
    // Prepare: #3 (group a) is refused; group b goes on.
    const { sendBatch, requests } = senderFor(
      (ids) => ({
        successful: ids.filter((id) => id !== '3').map((id) => ({ id, messageId: `m-${id}` })),
        failed: ids.includes('3') ? [{ id: '3', code: 'InvalidParameterValue', message: 'bad', senderFault: true }] : [],
      }),
      { ordered: true },
    )

    // Act
    const error = (await sendBatch(messages(8), (_, index) => ({ group: index < 6 ? 'a' : 'b' })).catch(
      (caught: unknown) => caught,
    )) as BatchSendError

    // Assess
    expect(requests).toEqual([['0', '6'], ['1', '7'], ['2'], ['3']])
    expect(error.failures.map((failure) => [failure.index, failure.code])).toEqual([
      [3, 'InvalidParameterValue'],
      [4, 'NotSent'],
      [5, 'NotSent'],
    ])
    expect(error.failures[1]?.message).toMatch(/#3 of its FIFO group was not sent/)
    expect(error.sent).toEqual([0, 1, 2, 6, 7])
  })

  it('It should resend a request whose answer was lost as it was, so the queue deduplicates what it had taken and the order holds', async () => {
    // Prepare: a FIFO queue that deduplicates by entry id. The first request fails #2 and takes
    // #0, and its answer is lost (a reset connection).
    jest.useFakeTimers({ now: 0 })
    const received: string[] = []
    const { sendBatch, requests } = senderFor(
      (ids, attempt) => {
        for (const id of ids) if (!(attempt === 1 && id === '2') && !received.includes(id)) received.push(id)
        if (attempt === 1) throw Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' })
        return accept(ids)
      },
      { ordered: true },
    )

    // Act
    const sending = sendBatch(messages(4), (_, index) => ({ group: index < 2 ? 'a' : 'b' }))
    await jest.runAllTimersAsync()
    const result = await sending

    // Assess
    expect(requests).toEqual([
      ['0', '2'],
      ['0', '2'],
      ['1', '3'],
    ])
    expect(received).toEqual(['0', '2', '1', '3'])
    expect(result.messageIds).toHaveLength(4)
  })

  it('It should keep an ordered batch whose entries name no group in order as a whole', async () => {
    // Prepare: #1 is throttled once.
    jest.useFakeTimers({ now: 0 })
    const { sendBatch, requests } = senderFor(
      (ids, attempt) =>
        attempt === 2
          ? { successful: [], failed: [{ id: '1', code: 'ThrottlingException', message: '', senderFault: true }] }
          : accept(ids),
      { ordered: true },
    )

    // Act
    const sending = sendBatch(messages(4))
    await jest.runAllTimersAsync()
    const result = await sending

    // Assess
    expect(requests).toEqual([['0'], ['1'], ['1'], ['2'], ['3']])
    expect(result.messageIds).toEqual(messages(4).map((_, i) => `m-${i}`))
  })

  it('It should keep every FIFO group in order and account for every message, whatever mix of failures and lost answers', async () => {
    // Prepare: a model of a FIFO queue. Each request is answered by a plan: per entry, taken
    // or failed (retriable or not) or left out of the answer (taken or not); then the
    // answer comes back, or is lost after the queue took what it took, or the request
    // fails before reaching the queue. The queue deduplicates by message (its
    // MessageDeduplicationId); a request past the plans is answered in full.
    jest.useFakeTimers({ now: 0 })
    const entryFate = fc.constantFrom('take', 'take', 'take', 'retriable', 'refused', 'omit-taken', 'omit-lost')
    const requestFate = fc.constantFrom('answer', 'answer', 'lost-after', 'lost-before', 'denied')
    const plan = fc.record({ entries: fc.array(entryFate, { minLength: 10, maxLength: 10 }), request: requestFate })
    const scenario = fc.record({
      groups: fc.array(fc.constantFrom('a', 'b', 'c', 'd'), { minLength: 1, maxLength: 40 }),
      plans: fc.array(plan, { maxLength: 30 }),
    })

    await fc.assert(
      fc.asyncProperty(scenario, async ({ groups, plans }) => {
        const received: number[] = []
        const take = (id: string) => {
          if (!received.includes(Number(id))) received.push(Number(id))
        }
        const { sendBatch } = senderFor(
          (ids, attempt) => {
            const fate = plans[attempt - 1]
            if (!fate) {
              ids.forEach(take)
              return accept(ids)
            }
            if (fate.request === 'lost-before') throw Object.assign(new Error('timed out'), { name: 'TimeoutError' })
            if (fate.request === 'denied') throw Object.assign(new Error('no access'), { name: 'AccessDenied', $fault: 'client' })
            const answer: { successful: { id: string; messageId: string }[]; failed: BatchAnswer['failed'][number][] } = {
              successful: [],
              failed: [],
            }
            ids.forEach((id, position) => {
              const entry = fate.entries[position]
              if (entry === 'take' || entry === 'omit-taken') take(id)
              if (entry === 'take') answer.successful.push({ id, messageId: `m-${id}` })
              if (entry === 'retriable') answer.failed.push({ id, code: 'InternalError', message: '', senderFault: false })
              if (entry === 'refused') answer.failed.push({ id, code: 'InvalidParameterValue', message: '', senderFault: true })
            })
            if (fate.request === 'lost-after') throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
            return answer
          },
          { ordered: true },
        )

        const sending = sendBatch(
          groups.map((_, index) => `message ${index}`),
          (_, index) => ({ group: groups[index] as string }),
        ).catch((caught: unknown) => caught)
        await jest.runAllTimersAsync()
        const outcome = await sending

        // Every message is sent or failed, once.
        const sent = outcome instanceof BatchSendError ? outcome.sent : groups.map((_, index) => index)
        const failed = outcome instanceof BatchSendError ? outcome.failures.map((failure) => failure.index) : []
        expect([...sent, ...failed].sort((a, b) => a - b)).toEqual(groups.map((_, index) => index))
        // What is reported sent is in the queue: nothing is dropped silently.
        for (const index of sent) expect(received).toContain(index)
        // Per group, the queue holds the group's first messages in their order, with no gap:
        // nothing landed behind a later message of its group.
        for (const group of new Set(groups)) {
          const members = groups.flatMap((g, index) => (g === group ? [index] : []))
          const landed = received.filter((index) => groups[index] === group)
          expect(landed).toEqual(members.slice(0, landed.length))
        }
      }),
      { numRuns: 200 },
    )
  }, 30_000)

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
