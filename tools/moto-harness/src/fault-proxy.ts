import { createServer, request as forward, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { Socket } from 'node:net'

/**
 * What the proxy does with a request:
 * - `pass`: forwards it to the target;
 * - `throttle`: answers Cloud Map's `RequestLimitExceeded` (HTTP 400);
 * - `error500`: answers HTTP 500 `InternalFailure`;
 * - `hang`: accepts and never answers;
 * - `refuse`: stops listening, so connections are refused.
 */
export type FaultMode = 'pass' | 'throttle' | 'error500' | 'hang' | 'refuse'

/** A fault-injecting HTTP proxy on loopback in front of one target (moto). */
export interface FaultProxy {
  readonly endpoint: string
  readonly port: number
  /** Requests seen, by the mode they met. */
  readonly seen: Readonly<Record<FaultMode, number>>
  setMode(mode: FaultMode): Promise<void>
  close(): Promise<void>
}

function awsJsonError(response: ServerResponse, status: number, type: string, message: string): void {
  const body = JSON.stringify({ __type: type, message })
  response.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'x-amzn-errortype': type,
    'content-length': Buffer.byteLength(body),
  })
  response.end(body)
}

/**
 * Starts a proxy on 127.0.0.1 (a free port unless given) that forwards to `target`
 * (an http://127.0.0.1:PORT URL) or injects the current fault.
 */
export async function startFaultProxy(target: string, port = 0): Promise<FaultProxy> {
  const upstream = new URL(target)
  if (upstream.hostname !== '127.0.0.1' && upstream.hostname !== 'localhost') throw new Error('the fault proxy only forwards to loopback')
  let mode: FaultMode = 'pass'
  const seen: Record<FaultMode, number> = { pass: 0, throttle: 0, error500: 0, hang: 0, refuse: 0 }
  const sockets = new Set<Socket>()
  const hanging = new Set<ServerResponse>()

  const handle = (request: IncomingMessage, response: ServerResponse) => {
    seen[mode] += 1
    switch (mode) {
      case 'throttle':
        request.resume()
        return awsJsonError(response, 400, 'RequestLimitExceeded', 'Rate exceeded')
      case 'error500':
        request.resume()
        return awsJsonError(response, 500, 'InternalFailure', 'injected failure')
      case 'hang':
        request.resume()
        hanging.add(response)
        return
      default: {
        const outbound = forward(
          { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: request.headers },
          (answer) => {
            response.writeHead(answer.statusCode ?? 502, answer.headers)
            answer.pipe(response)
          },
        )
        outbound.on('error', (error) => {
          response.destroy(error)
        })
        request.pipe(outbound)
      }
    }
  }

  let server: Server = createServer(handle)
  const listen = (on: number) =>
    new Promise<number>((resolve, reject) => {
      server = createServer(handle)
      server.on('connection', (socket) => {
        sockets.add(socket)
        socket.on('close', () => sockets.delete(socket))
      })
      server.once('error', reject)
      server.listen(on, '127.0.0.1', () => {
        const address = server.address()
        resolve(typeof address === 'object' && address ? address.port : on)
      })
    })
  const dropConnections = () => {
    for (const response of hanging) response.destroy()
    hanging.clear()
    for (const socket of sockets) socket.destroy()
    sockets.clear()
  }
  const stopListening = () =>
    new Promise<void>((resolve) => {
      dropConnections()
      server.close(() => resolve())
    })

  const bound = await listen(port)
  let listening = true
  return {
    endpoint: `http://127.0.0.1:${bound}`,
    port: bound,
    seen,
    async setMode(next) {
      if (next === mode) return
      // Connections kept alive under the old mode would bypass the new one.
      dropConnections()
      if (next === 'refuse' && listening) {
        await stopListening()
        listening = false
      } else if (next !== 'refuse' && !listening) {
        await listen(bound)
        listening = true
      }
      mode = next
    },
    async close() {
      if (listening) await stopListening()
      listening = false
    },
  }
}
