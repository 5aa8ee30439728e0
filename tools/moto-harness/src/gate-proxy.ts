import { createServer, request as forward, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A loopback proxy in front of moto that can hold requests and add latency, and knows which are open. */
export interface GateProxy {
  readonly endpoint: string
  /** Requests received and not yet fully answered (a request half-sent counts from its first byte). */
  readonly open: number
  /** Requests held so far (matching `hold`), released or not. */
  readonly held: number
  /** Resolves when the next request to hold arrives (at once if one is held and unreleased). */
  holding(): Promise<void>
  /** Lets every held request through, and those held later too. */
  release(): void
  /** Sets where requests go; those that arrived before are sent now. */
  setTarget(target: string): void
  close(): Promise<void>
}

/**
 * Starts a proxy on 127.0.0.1 forwarding to `target` (or, until `setTarget`, queueing). A
 * request for which `hold(request)` is true waits until `release()`; every request is
 * delayed by `delayMs` first.
 */
export async function startGateProxy(
  target: string | undefined,
  options: { hold?: (request: IncomingMessage) => boolean; delayMs?: number } = {},
): Promise<GateProxy> {
  let upstream = target === undefined ? undefined : new URL(target)
  const early: Array<() => void> = []
  let open = 0
  let held = 0
  let released = false
  let unreleased = 0
  const waiting: Array<() => void> = []
  let holders: Array<() => void> = []
  const server = createServer((request, response) => {
    response.on('close', () => {
      open--
    })
    const send = (): void => {
      if (!upstream) {
        early.push(send)
        return
      }
      const outbound = forward(
        { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(response)
        },
      )
      outbound.on('error', (error) => response.destroy(error))
      request.pipe(outbound)
    }
    const go = () => (options.delayMs ? setTimeout(send, options.delayMs) : send())
    if (!released && options.hold?.(request)) {
      held++
      unreleased++
      waiting.push(go)
      for (const resolve of holders) resolve()
      holders = []
      return
    }
    go()
  })
  server.on('request', () => {
    open++
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get open() {
      return open
    },
    get held() {
      return held
    },
    holding: () => (unreleased > 0 ? Promise.resolve() : new Promise((resolve) => holders.push(resolve))),
    setTarget(url) {
      upstream = new URL(url)
      for (const send of early.splice(0)) send()
    },
    release() {
      released = true
      unreleased = 0
      for (const go of waiting.splice(0)) go()
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
