import { type AddressInfo, createServer as createNetServer } from 'node:net'
import { setImmediate as nextTurn } from 'node:timers/promises'
import { afterEach, describe, expect, it, jest } from '@jest/globals'
import {
  forgetLambdaExtension,
  invocationBegan,
  invocationEnded,
  lambdaExtensionActive,
  registerLambdaExtension,
  signalsInvocationEnds,
} from '../../src/extension/extension.js'
import { request } from '../../src/extension/http.js'
import { pendingRefreshes, track } from '../../src/resolver/cache.js'
import { gate } from '../events.js'
import { type FakeExtensionsApi, startFakeExtensionsApi } from '../fake-extensions-api.js'

const logger = { warn: jest.fn(), debug: jest.fn() }
let api: FakeExtensionsApi | undefined

afterEach(async () => {
  forgetLambdaExtension()
  await api?.close()
  api = undefined
  logger.warn.mockReset()
  logger.debug.mockReset()
})

/** A few turns of the event loop: time for a request the extension should not make to arrive. */
async function turns(count = 50): Promise<void> {
  for (let i = 0; i < count; i++) await nextTurn()
}

const invoke = (requestId: string) => ({ eventType: 'INVOKE', requestId, deadlineMs: Date.now() + 60_000 })

describe('Function: registerLambdaExtension', () => {
  it('It should not register without a Runtime API (outside Lambda)', async () => {
    const saved = process.env.AWS_LAMBDA_RUNTIME_API
    delete process.env.AWS_LAMBDA_RUNTIME_API
    try {
      expect(await registerLambdaExtension({ logger })).toBe(false)
      expect(lambdaExtensionActive()).toBe(false)
    } finally {
      if (saved !== undefined) process.env.AWS_LAMBDA_RUNTIME_API = saved
    }
  })

  it('It should register for INVOKE only, as an internal extension, and report it in a debug line', async () => {
    api = await startFakeExtensionsApi()

    const registered = await registerLambdaExtension({ runtimeApi: api.address, logger })
    const first = await api.nextRequest()

    expect(registered).toBe(true)
    expect(lambdaExtensionActive()).toBe(true)
    expect(api.registrations).toEqual([{ name: 'cloudmap-middy', events: ['INVOKE'] }])
    expect(first.extensionId).toBe('ext-1')
    expect(logger.debug).toHaveBeenCalledWith(expect.stringContaining('registered as the internal Lambda extension'), expect.anything())
  })

  it('It should fall back (not active, no throw) when Lambda refuses the registration', async () => {
    api = await startFakeExtensionsApi({ refuse: 403 })

    const registered = await registerLambdaExtension({ runtimeApi: api.address, logger })

    expect(registered).toBe(false)
    expect(lambdaExtensionActive()).toBe(false)
    expect(logger.debug).toHaveBeenCalledWith(expect.stringContaining('not registered'), expect.objectContaining({ status: 403 }))
  })

  it('It should fall back when the API cannot be reached or the address is malformed', async () => {
    api = await startFakeExtensionsApi()
    const unreachable = api.address
    await api.close()
    api = undefined

    expect(await registerLambdaExtension({ runtimeApi: unreachable, logger })).toBe(false)
    forgetLambdaExtension()
    expect(await registerLambdaExtension({ runtimeApi: 'no-port', logger })).toBe(false)
    expect(lambdaExtensionActive()).toBe(false)
  })

  it('It should ask for the next event only once the handler ended and the refreshes settled', async () => {
    api = await startFakeExtensionsApi()
    signalsInvocationEnds()
    await registerLambdaExtension({ runtimeApi: api.address, logger })
    const refresh = gate()
    const order: string[] = []

    const first = await api.nextRequest()
    const held = invocationBegan('req-1')
    first.send(invoke('req-1'))
    track(refresh.opened)
    const second = api.nextRequest().then(() => order.push('next'))
    await turns()
    order.push('handler ended')
    const ended = invocationEnded('req-1', 5_000)
    await turns()
    order.push('refresh settled')
    refresh.open()
    await second

    expect(held).toBe(true)
    expect(ended).toBe(true)
    expect(order).toEqual(['handler ended', 'refresh settled', 'next'])
    expect(pendingRefreshes()).toBe(0)
  })

  it('It should take an end reported before its INVOKE event arrived', async () => {
    api = await startFakeExtensionsApi()
    signalsInvocationEnds()
    await registerLambdaExtension({ runtimeApi: api.address, logger })
    const first = await api.nextRequest()

    invocationBegan('req-2')
    invocationEnded('req-2', 5_000)
    first.send(invoke('req-2'))
    const second = await api.nextRequest()

    expect(second.extensionId).toBe('ext-1')
    expect(api.nexts).toBe(2)
  })

  it('It should not wait for an end when no middleware reports one', async () => {
    api = await startFakeExtensionsApi()
    await registerLambdaExtension({ runtimeApi: api.address, logger })

    ;(await api.nextRequest()).send(invoke('req-3'))
    await api.nextRequest()

    expect(api.nexts).toBe(2)
  })

  it('It should let the environment freeze at the deadline when no end is reported', async () => {
    api = await startFakeExtensionsApi()
    signalsInvocationEnds()
    await registerLambdaExtension({ runtimeApi: api.address, logger })

    invocationBegan('req-4')
    ;(await api.nextRequest()).send({ eventType: 'INVOKE', requestId: 'req-4', deadlineMs: Date.now() })
    await api.nextRequest()

    expect(api.nexts).toBe(2)
  })

  it('It should ask again after an event other than INVOKE, and not wait on an INVOKE without a request id', async () => {
    api = await startFakeExtensionsApi()
    signalsInvocationEnds()
    await registerLambdaExtension({ runtimeApi: api.address, logger })

    ;(await api.nextRequest()).send({ eventType: 'SHUTDOWN' })
    ;(await api.nextRequest()).send({ eventType: 'INVOKE' })
    await api.nextRequest()

    expect(api.nexts).toBe(3)
  })

  it('It should keep only a bounded number of ends reported early, and ignore ends while inactive', async () => {
    const inactive = [invocationBegan('while-inactive'), invocationEnded('while-inactive', 1_000)]
    api = await startFakeExtensionsApi()
    signalsInvocationEnds()
    await registerLambdaExtension({ runtimeApi: api.address, logger })
    const first = await api.nextRequest()

    invocationEnded(undefined, 1_000)
    for (let i = 0; i < 17; i++) {
      invocationBegan(`early-${i}`)
      invocationEnded(`early-${i}`, 1_000)
    }
    first.send(invoke('early-16'))
    await api.nextRequest()

    expect(inactive).toEqual([false, false])
    expect(api.nexts).toBe(2)
  })

  it('It should let go of an invocation no middleware begins (an early response), and leave a late one to await', async () => {
    api = await startFakeExtensionsApi()
    signalsInvocationEnds()
    await registerLambdaExtension({ runtimeApi: api.address, logger })

    ;(await api.nextRequest()).send(invoke('warmup'))
    await api.nextRequest()
    const late = [invocationBegan('warmup'), invocationEnded('warmup', 1_000)]

    expect(api.nexts).toBe(2)
    expect(late).toEqual([false, false])
  })

  it('It should stop when the API answers an event request with an error', async () => {
    api = await startFakeExtensionsApi({ failNext: 500 })
    await registerLambdaExtension({ runtimeApi: api.address, logger })
    for (let i = 0; i < 1_000 && lambdaExtensionActive(); i++) await nextTurn()

    expect(lambdaExtensionActive()).toBe(false)
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('stopped'), { error: expect.stringContaining('status 500') })
  })

  it.each([
    ['not JSON', '{"eventType":'],
    ['null', 'null'],
    ['an array', '[]'],
  ])('It should ask for the next event, without crashing, after an answer whose event is %s', async (_name, body) => {
    api = await startFakeExtensionsApi()
    await registerLambdaExtension({ runtimeApi: api.address, logger })

    ;(await api.nextRequest()).sendRaw(body)
    const next = await api.nextRequest()

    expect(lambdaExtensionActive()).toBe(true)
    expect(next.extensionId).toBe('ext-1')
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('could not read an event'), {
      error: expect.stringContaining(`${body.length} characters`),
    })
  })

  it('It should stop after a few unreadable events in a row', async () => {
    api = await startFakeExtensionsApi()
    await registerLambdaExtension({ runtimeApi: api.address, logger })

    for (let i = 0; i < 4; i++) (await api.nextRequest()).sendRaw('nope')
    for (let i = 0; i < 1_000 && lambdaExtensionActive(); i++) await nextTurn()

    expect(lambdaExtensionActive()).toBe(false)
    expect(logger.warn).toHaveBeenLastCalledWith(expect.stringContaining('stopped'), {
      error: expect.stringContaining('4 events in a row'),
    })
  })

  it('It should stop, and let invocations await their refreshes again, when the API fails', async () => {
    api = await startFakeExtensionsApi()
    await registerLambdaExtension({ runtimeApi: api.address, logger })
    await api.nextRequest()

    await api.close()
    api = undefined
    for (let i = 0; i < 1_000 && lambdaExtensionActive(); i++) await nextTurn()

    expect(lambdaExtensionActive()).toBe(false)
    expect(logger.warn).toHaveBeenCalledWith(expect.stringContaining('the Lambda extension stopped'), expect.anything())
  })
})

describe('Function: request (the Extensions API client)', () => {
  /** A server that answers every connection with `raw`, then closes it. */
  async function answering(raw: string): Promise<{ address: string; close: () => void }> {
    const server = createNetServer((socket) => {
      // The client may hang up first (an oversized answer).
      socket.on('error', () => undefined)
      socket.once('data', () => socket.end(raw))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() }
  }

  it('It should read a body by its Content-Length', async () => {
    const server = await answering('HTTP/1.1 403 Forbidden\r\nContent-Length: 2\r\nno-colon-line\r\n\r\nno')
    try {
      const answer = await request(server.address, { method: 'POST', path: '/', keepsAlive: true })
      expect(answer).toEqual({ status: 403, headers: new Map([['content-length', '2']]), body: 'no' })
    } finally {
      server.close()
    }
  })

  it('It should read a chunked body', async () => {
    const server = await answering('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n')
    try {
      const answer = await request(server.address, { method: 'GET', path: '/', keepsAlive: false })
      expect(answer).toEqual({
        status: 200,
        headers: new Map([
          ['transfer-encoding', 'chunked'],
          ['x-a', '1'],
        ]),
        body: 'hello world',
      })
    } finally {
      server.close()
    }
  })

  it.each([
    ['a body shorter than its Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort', /5 bytes into the body/],
    ['no whole head', 'HTTP/1.1 200 OK\r\nContent-', /before a whole response head/],
    ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n', /not an HTTP response/],
    ['a truncated chunked body', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel', /truncated chunked body|malformed/],
    ['a malformed chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /malformed chunk size/],
    ['a malformed Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /malformed Content-Length/],
  ])('It should reject %s', async (_name, raw, error) => {
    const server = await answering(raw)
    try {
      await expect(request(server.address, { method: 'GET', path: '/', keepsAlive: false })).rejects.toThrow(error)
    } finally {
      server.close()
    }
  })

  it('It should resolve once the answer is whole, when the server keeps the connection open', async () => {
    const server = createNetServer((socket) => {
      socket.once('data', () => socket.write('HTTP/1.1 200 OK\r\nLambda-Extension-Identifier: id-1\r\nContent-Length: 2\r\n\r\n{}'))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = `127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      const answer = await request(address, { method: 'POST', path: '/', keepsAlive: true, timeoutMs: 60_000 })
      expect(answer).toMatchObject({ status: 200, body: '{}' })
      expect(answer.headers.get('lambda-extension-identifier')).toBe('id-1')
    } finally {
      server.close()
    }
  })

  it('It should count its timeout for the whole answer, not per packet: a server answering byte by byte does not hold it', async () => {
    const raw = 'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n'
    const server = createNetServer((socket) => {
      let at = 0
      const drip = setInterval(() => {
        if (socket.destroyed) clearInterval(drip)
        else socket.write(raw[at++ % raw.length] as string)
      }, 5)
      socket.on('close', () => clearInterval(drip))
      socket.on('error', () => clearInterval(drip))
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = `127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      await expect(request(address, { method: 'POST', path: '/', keepsAlive: true, timeoutMs: 100 })).rejects.toThrow(
        /no answer within 100 ms/,
      )
    } finally {
      server.close()
    }
  })

  it('It should refuse an oversized answer', async () => {
    const server = await answering(`HTTP/1.1 200 OK\r\n\r\n${'x'.repeat(100_000)}`)
    try {
      await expect(request(server.address, { method: 'GET', path: '/', keepsAlive: false })).rejects.toThrow(/larger than 16384 bytes/)
    } finally {
      server.close()
    }
  })

  it.each([
    ['a header value', { headers: { 'Lambda-Extension-Identifier': 'id\nX-Injected: 1' } }],
    ['a header value (CRLF)', { headers: { 'Lambda-Extension-Identifier': 'id\r\nX-Injected: 1' } }],
    ['the path', { path: '/next HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET /' }],
  ])('It should send nothing when %s would break the request head', async (_name, overrides) => {
    const received: Buffer[] = []
    const server = createNetServer((socket) => socket.on('data', (chunk: Buffer) => received.push(chunk)))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = `127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      await expect(request(address, { method: 'GET', path: '/', keepsAlive: false, ...overrides })).rejects.toThrow(/line break or NUL/)
      expect(received).toEqual([])
    } finally {
      server.close()
    }
  })

  it('It should give up after its timeout', async () => {
    const server = createNetServer(() => undefined)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = `127.0.0.1:${(server.address() as AddressInfo).port}`
    try {
      await expect(request(address, { method: 'POST', path: '/', body: '{}', keepsAlive: true, timeoutMs: 1 })).rejects.toThrow(
        /no answer within 1 ms/,
      )
    } finally {
      server.close()
    }
  })
})
