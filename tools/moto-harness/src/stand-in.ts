import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** One request a stand-in host received. */
export interface RecordedRequest {
  readonly method: string
  readonly path: string
  readonly body: string
}

/** A host on loopback that answers 200 to everything and records what reaches it. */
export interface StandIn {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string
  readonly port: number
  readonly requests: readonly RecordedRequest[]
  close(): Promise<void>
}

/**
 * Starts a stand-in host on 127.0.0.1 (a free port): a target registry data might point a
 * handler at, so a test can assert that nothing (no request, no body) reached it.
 */
export async function startStandIn(): Promise<StandIn> {
  const requests: RecordedRequest[] = []
  const server = createServer((request, response) => {
    const chunks: Buffer[] = []
    request.on('data', (chunk: Buffer) => chunks.push(chunk))
    request.on('end', () => {
      requests.push({ method: request.method ?? '', path: request.url ?? '', body: Buffer.concat(chunks).toString('utf8') })
      response.setHeader('content-type', 'application/json')
      response.end(JSON.stringify({ path: request.url }))
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
