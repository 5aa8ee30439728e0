// A fake Lambda Extensions API on loopback: registrations and event requests are recorded,
// and each /event/next is held until the test sends it an event.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface HeldNext {
  readonly extensionId: string
  send(event: Record<string, unknown>): void
  /** Answers 200 with `body` as it is (an event Lambda would never send). */
  sendRaw(body: string): void
}

export interface FakeExtensionsApi {
  /** host:port, as AWS_LAMBDA_RUNTIME_API gives it. */
  readonly address: string
  readonly registrations: Array<{ name: string; events: unknown }>
  /** Resolves with the next /event/next request (in arrival order), held until `send`. */
  nextRequest(): Promise<HeldNext>
  /** How many /event/next requests arrived so far. */
  readonly nexts: number
  close(): Promise<void>
}

export async function startFakeExtensionsApi(options: { refuse?: number; failNext?: number } = {}): Promise<FakeExtensionsApi> {
  const registrations: Array<{ name: string; events: unknown }> = []
  const arrived: HeldNext[] = []
  const takers: Array<(held: HeldNext) => void> = []
  let nexts = 0
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      if (request.method === 'POST' && request.url === '/2020-01-01/extension/register') {
        if (options.refuse) {
          response.writeHead(options.refuse, { 'content-type': 'application/json' })
          response.end('{"errorMessage":"Extensions can only be registered during init","errorType":"Extension.InvalidExtensionState"}')
          return
        }
        registrations.push({
          name: String(request.headers['lambda-extension-name']),
          events: JSON.parse(Buffer.concat(chunks).toString('utf8')).events,
        })
        response.writeHead(200, { 'lambda-extension-identifier': `ext-${registrations.length}`, 'content-type': 'application/json' })
        response.end('{"functionName":"test","functionVersion":"$LATEST","handler":"index.handler"}')
        return
      }
      if (request.method === 'GET' && request.url === '/2020-01-01/extension/event/next') {
        nexts++
        if (options.failNext) {
          response.writeHead(options.failNext).end('{"errorType":"Extension.Unknown"}')
          return
        }
        const held: HeldNext = {
          extensionId: String(request.headers['lambda-extension-identifier']),
          send: (event) => held.sendRaw(JSON.stringify(event)),
          sendRaw: (body) => {
            response.writeHead(200, { 'content-type': 'application/json', 'lambda-extension-event-identifier': 'e' })
            response.end(body)
          },
        }
        const take = takers.shift()
        if (take) take(held)
        else arrived.push(held)
        return
      }
      response.writeHead(404).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    address: `127.0.0.1:${port}`,
    registrations,
    get nexts() {
      return nexts
    },
    nextRequest: () => {
      const held = arrived.shift()
      return held ? Promise.resolve(held) : new Promise((resolve) => takers.push(resolve))
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
