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

/** The body of a chunked response: each chunk's size line, the chunk, CRLF; a zero-size chunk ends it. */
function dechunk(raw: Buffer): Buffer {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const lineEnd = raw.indexOf('\r\n', at)
    if (lineEnd < 0) throw new Error('truncated chunked body')
    const size = Number.parseInt(raw.toString('latin1', at, lineEnd), 16)
    if (!Number.isInteger(size) || size < 0) throw new Error('malformed chunk size')
    if (size === 0) return Buffer.concat(parts)
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size))
    at = lineEnd + 2 + size + 2
  }
}

/** Parses a whole response (the connection closed after it). */
function parse(raw: Buffer): ApiResponse {
  const headEnd = raw.indexOf('\r\n\r\n')
  if (headEnd < 0) throw new Error('the connection closed before a whole response head')
  const [statusLine = '', ...lines] = raw.toString('latin1', 0, headEnd).split('\r\n')
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1])
  if (!Number.isInteger(status)) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine.slice(0, 40))}`)
  const headers = new Map<string, string>()
  for (const line of lines) {
    const colon = line.indexOf(':')
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim())
  }
  let body = raw.subarray(headEnd + 4)
  if (/chunked/i.test(headers.get('transfer-encoding') ?? '')) body = dechunk(body)
  else if (headers.has('content-length')) {
    const length = Number(headers.get('content-length'))
    if (body.length < length) throw new Error(`the connection closed ${length - body.length} bytes into the body`)
    body = body.subarray(0, length)
  }
  return { status, headers, body: body.toString('utf8') }
}

/**
 * Sends one request on its own connection (`Connection: close`) and resolves with the whole
 * answer once the server closes it. Rejects on any socket error, a malformed answer or the timeout.
 */
export function request(address: string, options: RequestOptions): Promise<ApiResponse> {
  return new Promise((resolve, reject) => {
    let target: { host: string; port: number }
    try {
      target = hostAndPort(address)
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
    const socket = connect(target)
    if (!options.keepsAlive) socket.unref()
    if (options.timeoutMs !== undefined) {
      socket.setTimeout(options.timeoutMs, () => socket.destroy(new Error(`no answer within ${options.timeoutMs} ms`)))
    }
    socket.on('connect', () => {
      socket.write(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]))
    })
    socket.on('data', (chunk: Buffer) => chunks.push(chunk))
    socket.on('error', reject)
    socket.on('close', (hadError) => {
      if (hadError) return
      try {
        resolve(parse(Buffer.concat(chunks)))
      } catch (error) {
        reject(error)
      }
    })
  })
}
