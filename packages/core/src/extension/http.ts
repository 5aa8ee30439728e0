// A minimal HTTP/1.1 client on a plain socket, for the Lambda Extensions API only. Not
// node:http: X-Ray patches http/https and OpenTelemetry instruments them, and neither
// should trace (or break) the calls that hold the environment's freeze.
import { connect } from 'node:net'

/** An answer of the Extensions API: status, headers (lower-case names) and body. */
export interface ApiResponse {
  readonly status: number
  readonly headers: ReadonlyMap<string, string>
  readonly body: string
}

/** How one request runs: `keepsAlive` false unrefs the socket, so a long poll keeps no process alive. */
export interface RequestOptions {
  readonly method: 'GET' | 'POST'
  readonly path: string
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
  readonly keepsAlive: boolean
  /** Gives up (rejects) after this long without an answer; none for a long poll. */
  readonly timeoutMs?: number
}

/** `host:port` as `AWS_LAMBDA_RUNTIME_API` gives it (an IPv6 host in brackets). */
function hostAndPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':')
  const port = Number(address.slice(colon + 1))
  if (colon <= 0 || !Number.isInteger(port) || port <= 0 || port > 65_535) {
    throw new Error(`AWS_LAMBDA_RUNTIME_API=${JSON.stringify(address)} is not host:port`)
  }
  return { host: address.slice(0, colon).replace(/^\[(.*)\]$/, '$1'), port }
}

// The Extensions API answers in a few hundred bytes; anything much larger is not its answer.
const MAX_ANSWER_BYTES = 16 * 1024
// What must never reach a request head from a value it sends: it would end a header and start another.
const HEAD_BREAK = /[\r\n\0]/

/** The body of a chunked response, or `undefined` while it is incomplete: each chunk's size line, the chunk, CRLF; a zero-size chunk ends it. */
function dechunk(raw: Buffer): Buffer | undefined {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at)
    if (lineEnd < 0) return undefined
    const size = Number.parseInt(raw.toString('latin1', at, lineEnd), 16)
    if (!Number.isInteger(size) || size < 0) throw new Error('malformed chunk size')
    if (size === 0) return Buffer.concat(parts)
    if (lineEnd + 2 + size + 2 > raw.length) return undefined
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
}

/**
 * Parses a response: the answer once it is whole (by its Content-Length, its last chunk, or the
 * connection closed after it), `undefined` while more may come, an error when `closed` and it is not.
 */
function parse(raw: Buffer, closed: boolean): ApiResponse | undefined {
  const headEnd = raw.indexOf('\r\n\r\n')
  if (headEnd < 0) {
    if (closed) throw new Error('the connection closed before a whole response head')
    return undefined
  }
  const [statusLine = '', ...lines] = raw.toString('latin1', 0, headEnd).split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1])
  if (!Number.isInteger(status)) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine.slice(0, 40))}`)
  const headers = new Map<string, string>()
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  let body: Buffer | undefined = raw.subarray(headEnd + 4)
  if (/chunked/i.test(headers.get('transfer-encoding') ?? '')) {
    body = dechunk(body)
    if (body === undefined) {
      if (closed) throw new Error('truncated chunked body')
      return undefined
    }
  } else if (headers.has('content-length')) {
    const length = Number(headers.get('content-length'))
    if (!Number.isInteger(length) || length < 0)
      throw new Error(`malformed Content-Length ${JSON.stringify(headers.get('content-length')?.slice(0, 20))}`)
    if (body.length < length) {
      if (closed) throw new Error(`the connection closed ${length - body.length} bytes into the body`)
      return undefined
    }
    body = body.subarray(0, length)
  } else if (!closed) return undefined
  return { status, headers, body: body.toString('utf8') }
}

/**
 * Sends one request on its own connection (`Connection: close`) and resolves with the whole
 * answer, as soon as it is whole (a server that keeps the connection open is not waited for).
 * Rejects on any socket error, a malformed or oversized answer, a value that would break the
 * request head, or the timeout (for the whole exchange, not per packet: a server that answers
 * byte by byte does not hold it).
 */
export function request(address: string, options: RequestOptions): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    let target: { host: string; port: number }
    const sent = [address, options.path, ...Object.entries(options.headers ?? {}).flat()]
    try {
      target = hostAndPort(address)
      const broken = sent.find((value) => HEAD_BREAK.test(value))
      if (broken !== undefined)
        throw new Error(`a line break or NUL in a value of the request head: ${JSON.stringify(broken.slice(0, 80))}`)
    } catch (error) {
      reject(error)
      return
    }
    const body = Buffer.from(options.body ?? '', 'utf8')
    const head = [
      `${options.method} ${options.path} HTTP/1.1`,
      `Host: ${address}`,
      'Connection: close',
      ...Object.entries(options.headers ?? {}).map(([name, value]) => `${name}: ${value}`),
      ...(options.method === 'POST' ? [`Content-Length: ${body.length}`] : []),
    ]
    const chunks: Buffer[] = []
    let received = 0
    let settled = false
    const socket = connect(target)
    if (!options.keepsAlive) socket.unref()
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => socket.destroy(new Error(`no answer within ${options.timeoutMs} ms`)), options.timeoutMs)
    if (!options.keepsAlive) timer?.unref()
    const settle = (closed: boolean) => {
      if (settled) return
      try {
        const answer = parse(Buffer.concat(chunks), closed)
        if (answer === undefined) return
        settled = true
        resolve(answer)
      } catch (error) {
        settled = true
        reject(error)
      }
      clearTimeout(timer)
      socket.destroy()
    }
    socket.on('connect', () => {
      socket.write(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]))
    })
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length
      if (received > MAX_ANSWER_BYTES) {
        socket.destroy(new Error(`an answer larger than ${MAX_ANSWER_BYTES} bytes`))
        return
      }
      chunks.push(chunk)
      settle(false)
    })
    socket.on('error', (error) => {
      clearTimeout(timer)
      settled = true
      reject(error)
    })
    socket.on('close', (hadError) => {
      clearTimeout(timer)
      if (!hadError) settle(true)
    })
  })
}
