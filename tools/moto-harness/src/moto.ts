import { type ChildProcess, spawn, spawnSync } from 'node:child_process'
import { createServer } from 'node:net'

/** A running moto server on loopback. */
export interface MotoServer {
  readonly endpoint: string
  readonly port: number
  /** Process id of moto_server itself. */
  readonly pid: number
  /** Forgets every resource (POST /moto-api/reset) and turns Lambda's Docker use off again. */
  reset(): Promise<void>
  /** Stops moto by its PID; safe to call twice. */
  stop(): Promise<void>
}

const INSTALL_HINT = "install it with: pip install 'moto[server]'"

/** The moto_server command, or a clear error saying how to install it. */
export function motoCommand(): string {
  const command = process.env.MOTO_SERVER ?? 'moto_server'
  const probe = spawnSync(command, ['--help'], { stdio: 'ignore' })
  if (probe.error || probe.status !== 0) {
    throw new Error(`moto_server was not found or does not run (${command}): ${INSTALL_HINT}`)
  }
  return command
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))))
    })
  })
}

async function waitUntilReady(endpoint: string, child: ChildProcess, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`moto_server exited with code ${child.exitCode}:\n${log()}`)
    try {
      const response = await fetch(`${endpoint}/moto-api/`, { signal: AbortSignal.timeout(1_000) })
      if (response.ok) return
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`moto_server did not answer on ${endpoint} within ${timeoutMs} ms:\n${log()}`)
}

async function post(endpoint: string, path: string, body?: unknown): Promise<void> {
  const response = await fetch(`${endpoint}${path}`, {
    method: 'POST',
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  })
  if (!response.ok) throw new Error(`moto ${path} answered ${response.status}: ${await response.text()}`)
}

const running = new Set<ChildProcess>()
let cleanupInstalled = false

function installCleanup(): void {
  if (cleanupInstalled) return
  cleanupInstalled = true
  const killAll = () => {
    for (const child of running) child.kill('SIGKILL')
  }
  process.once('exit', killAll)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAll()
      process.exit(130)
    })
  }
}

/**
 * Starts moto_server on a free loopback port and waits until it answers. It is
 * stopped by its PID in `stop()`, when this process exits (normally or on a
 * signal), and by a watchdog if this process is killed outright.
 */
export async function startMoto(options: { readonly port?: number; readonly timeoutMs?: number } = {}): Promise<MotoServer> {
  const command = motoCommand()
  const port = options.port ?? (await freePort())
  const endpoint = `http://127.0.0.1:${port}`
  const child = spawn(command, ['-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] })
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4_000)
  })
  const pid = child.pid
  if (pid === undefined) throw new Error(`moto_server did not start: ${INSTALL_HINT}`)
  running.add(child)
  installCleanup()
  // The watchdog outlives a SIGKILLed parent and takes moto down with it.
  const watchdog = spawn('sh', ['-c', `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; kill -9 ${pid} 2>/dev/null`], {
    stdio: 'ignore',
    detached: true,
  })
  watchdog.unref()
  child.unref()
  ;(child.stderr as { unref?: () => void } | null)?.unref?.()

  try {
    await waitUntilReady(endpoint, child, options.timeoutMs ?? 20_000, () => stderr)
  } catch (error) {
    child.kill('SIGKILL')
    running.delete(child)
    throw error
  }
  const configure = () => post(endpoint, '/moto-api/config', { lambda: { use_docker: false } })
  await configure()

  let stopped = false
  return {
    endpoint,
    port,
    pid,
    async reset() {
      await post(endpoint, '/moto-api/reset')
      await configure()
    },
    async stop() {
      if (stopped) return
      stopped = true
      running.delete(child)
      watchdog.kill('SIGKILL')
      if (child.exitCode !== null) return
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
      process.kill(pid, 'SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** Queues results that moto's Lambda (Docker off) returns to the next Invoke calls, in order. */
export async function queueLambdaResults(endpoint: string, results: readonly unknown[], region = 'us-east-1'): Promise<void> {
  await post(endpoint, '/moto-api/static/lambda-simple/response', {
    results: results.map((result) => (typeof result === 'string' ? result : JSON.stringify(result))),
    region,
  })
}
