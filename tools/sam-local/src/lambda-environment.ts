// One Lambda execution environment: a child process running the handler through a bootstrap
// that behaves as the Node.js runtime interface client, and the Runtime and Extensions APIs
// it talks to (AWS_LAMBDA_RUNTIME_API). As in Lambda: extensions register only before the
// runtime's first /invocation/next; the caller gets the response as soon as the runtime posts
// it; the process is frozen (SIGSTOP) only once the runtime and every registered extension
// have asked for the next event, and thawed (SIGCONT) when the next invocation arrives.
import { type ChildProcess, spawn } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { dirname, join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/** What the runtime posts for a failed invocation or init: Lambda's Unhandled FunctionError payload. */
export interface ErrorPayload {
  errorType: string
  errorMessage: string
  trace?: string[]
}

/** Thrown by an invocation whose handler failed (or whose environment did). */
export class FunctionFailure extends Error {
  readonly payload: ErrorPayload
  constructor(payload: ErrorPayload) {
    super(payload.errorMessage)
    this.payload = payload
  }
}

/**
 * What the environment reports: `init` (the runtime asked for its first invocation: init is over,
 * again after a replaced process's init), `freeze` and `thaw` (SIGSTOP / SIGCONT), `extension`
 * (a registration accepted).
 */
export interface EnvironmentEvents {
  init: []
  freeze: []
  thaw: []
  extension: [name: string, events: string[]]
}

export interface EnvironmentOptions {
  readonly entry: string
  readonly exportName: string
  readonly functionName: string
  readonly arn: string
  readonly timeoutMs: number
  readonly env: Record<string, string>
  readonly log: (line: string) => void
  /** A module the bootstrap imports before the handler module, as `--import` does in Lambda (an OpenTelemetry setup). */
  readonly preload?: string
  /** The function's `TracingConfig.Mode`: `Active` samples every invocation's trace (default `PassThrough`: none sampled). */
  readonly tracing?: 'Active' | 'PassThrough'
}

interface Invocation {
  readonly id: string
  readonly event: unknown
  readonly deadlineMs: number
  readonly resolve: (value: unknown) => void
  readonly reject: (error: Error) => void
  answered: boolean
}

interface Extension {
  readonly id: string
  readonly name: string
  readonly events: readonly string[]
  waiting: ServerResponse | undefined
  queued: Record<string, unknown>[]
}

const here = dirname(fileURLToPath(import.meta.url))
const RUNTIME = '/2018-06-01/runtime'
const EXTENSION = '/2020-01-01/extension'

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of request) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body))
}

/** A function's execution environment, started at once (its init runs as the process starts). */
export class LambdaEnvironment extends EventEmitter<EnvironmentEvents> {
  readonly #options: EnvironmentOptions
  readonly #server: Server
  readonly #queue: Invocation[] = []
  readonly #extensions = new Map<string, Extension>()
  #child: ChildProcess | undefined
  #runtimeWaiting: ServerResponse | undefined
  #runtimeAskedOnce = false
  #current: Invocation | undefined
  #timer: NodeJS.Timeout | undefined
  #frozen = false
  #initError: ErrorPayload | undefined
  #stopped = false
  #address = ''

  private constructor(options: EnvironmentOptions) {
    super()
    this.#options = options
    this.#server = createServer((request, response) => {
      this.#route(request, response).catch((error: Error) => json(response, 500, { errorMessage: error.message }))
    })
    // The runtime keeps one connection alive across invocations and freezes: never closed as idle,
    // or its next call could meet a connection closing under it.
    this.#server.keepAliveTimeout = 0
  }

  /** Starts the API server and the child process; the child's init runs in the background. */
  static async start(options: EnvironmentOptions): Promise<LambdaEnvironment> {
    const environment = new LambdaEnvironment(options)
    await new Promise<void>((resolve) => environment.#server.listen(0, '127.0.0.1', resolve))
    environment.#address = `127.0.0.1:${(environment.#server.address() as AddressInfo).port}`
    environment.#spawn()
    return environment
  }

  /** Whether the process is frozen now. */
  get frozen(): boolean {
    return this.#frozen
  }

  /** The extensions registered in this environment, by name. */
  get extensions(): string[] {
    return [...this.#extensions.values()].map((extension) => extension.name)
  }

  /** Invokes the function: resolves with the response as soon as the runtime posts it. */
  invoke(event: unknown): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: randomUUID(), event, deadlineMs: 0, resolve, reject, answered: false })
      this.#dispatch()
    })
  }

  async stop(): Promise<void> {
    this.#stopped = true
    // An invocation answered but not yet followed by the runtime's next request still has its timeout armed.
    clearTimeout(this.#timer)
    const child = this.#child
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve))
      if (this.#frozen) child.kill('SIGCONT')
      child.kill('SIGKILL')
      await exited
    }
    await new Promise<void>((resolve) => {
      this.#server.closeAllConnections()
      this.#server.close(() => resolve())
    })
  }

  #spawn(): void {
    const { entry, exportName, env, log, preload } = this.#options
    this.#runtimeAskedOnce = false
    this.#runtimeWaiting = undefined
    this.#extensions.clear()
    this.#initError = undefined
    this.#frozen = false
    const args = [join(here, 'function-child.mjs'), entry, exportName, ...(preload === undefined ? [] : [preload])]
    const child = spawn(process.execPath, args, {
      // LAMBDA_TASK_ROOT as Lambda sets it (the function's code directory), unless the caller sets it.
      env: { LAMBDA_TASK_ROOT: dirname(entry), ...env, AWS_LAMBDA_RUNTIME_API: this.#address },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    this.#child = child
    for (const stream of [child.stdout, child.stderr]) createInterface({ input: stream }).on('line', log)
    child.on('exit', (code, signal) => {
      if (this.#child !== child) return
      this.#child = undefined
      if (this.#stopped) return
      const failure = this.#initError ?? {
        errorType: 'Runtime.ExitError',
        errorMessage: `RequestId: exited with ${signal ?? `code ${code}`}`,
      }
      this.#fail(failure)
    })
  }

  /** Fails the current invocation and everything queued (a crashed or timed-out environment). */
  #fail(payload: ErrorPayload): void {
    clearTimeout(this.#timer)
    const failed = [...(this.#current && !this.#current.answered ? [this.#current] : []), ...this.#queue.splice(0)]
    this.#current = undefined
    for (const invocation of failed) invocation.reject(new FunctionFailure(payload))
  }

  /** Every registered extension is waiting for its next event. */
  #extensionsWaiting(): boolean {
    for (const extension of this.#extensions.values()) if (!extension.waiting) return false
    return true
  }

  /** Runs the next invocation, or freezes the process, once the runtime and every extension asked for the next event. */
  #dispatch(): void {
    if (this.#stopped || !this.#runtimeWaiting || !this.#extensionsWaiting()) return
    if (this.#current) {
      if (!this.#current.answered) return
      this.#current = undefined
      clearTimeout(this.#timer)
    }
    const invocation = this.#queue.shift()
    if (!invocation) {
      if (!this.#frozen && this.#child) {
        this.#frozen = true
        this.#child.kill('SIGSTOP')
        this.emit('freeze')
      }
      return
    }
    if (this.#frozen && this.#child) {
      this.#frozen = false
      this.#child.kill('SIGCONT')
      this.emit('thaw')
    }
    const deadlineMs = Date.now() + this.#options.timeoutMs
    const current: Invocation = { ...invocation, deadlineMs }
    this.#current = current
    this.#timer = setTimeout(() => this.#timeOut(current), this.#options.timeoutMs)
    const runtime = this.#runtimeWaiting
    this.#runtimeWaiting = undefined
    runtime.writeHead(200, {
      'content-type': 'application/json',
      'lambda-runtime-aws-request-id': current.id,
      'lambda-runtime-deadline-ms': String(deadlineMs),
      'lambda-runtime-invoked-function-arn': this.#options.arn,
      // Lambda's form (the X-Ray SDK refuses a header without Parent); sampled only with `tracing: 'Active'`.
      'lambda-runtime-trace-id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replaceAll('-', '').slice(0, 24)};Parent=${randomUUID().replaceAll('-', '').slice(0, 16)};Sampled=${this.#options.tracing === 'Active' ? 1 : 0}`,
    })
    runtime.end(JSON.stringify(current.event ?? {}))
    for (const extension of this.#extensions.values()) {
      if (!extension.events.includes('INVOKE')) continue
      this.#deliver(extension, {
        eventType: 'INVOKE',
        deadlineMs,
        requestId: current.id,
        invokedFunctionArn: this.#options.arn,
        tracing: { type: 'X-Amzn-Trace-Id', value: '' },
      })
    }
  }

  #deliver(extension: Extension, event: Record<string, unknown>): void {
    const waiting = extension.waiting
    if (!waiting) {
      extension.queued.push(event)
      return
    }
    extension.waiting = undefined
    json(waiting, 200, event, { 'lambda-extension-event-identifier': randomUUID() })
  }

  /** As Lambda: the invocation fails with a timeout and the environment is replaced. */
  #timeOut(invocation: Invocation): void {
    if (this.#current !== invocation) return
    const seconds = (this.#options.timeoutMs / 1000).toFixed(2)
    this.#fail({ errorType: 'Sandbox.Timedout', errorMessage: `${invocation.id} Task timed out after ${seconds} seconds` })
    const child = this.#child
    this.#child = undefined
    if (child) {
      if (this.#frozen) child.kill('SIGCONT')
      child.kill('SIGKILL')
    }
    if (!this.#stopped) this.#spawn()
  }

  async #route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = request.url ?? ''
    const body = await readBody(request)
    if (request.method === 'GET' && path === `${RUNTIME}/invocation/next`) {
      if (!this.#runtimeAskedOnce) this.emit('init')
      this.#runtimeAskedOnce = true
      this.#runtimeWaiting = response
      this.#dispatch()
      return
    }
    const answer = new RegExp(`^${RUNTIME}/invocation/([^/]+)/(response|error)$`).exec(path)
    if (request.method === 'POST' && answer) {
      const invocation = this.#current
      if (!invocation || invocation.id !== answer[1] || invocation.answered) {
        json(response, 400, { errorType: 'InvalidRequestID', errorMessage: `no invocation ${answer[1]} in progress` })
        return
      }
      invocation.answered = true
      json(response, 202, { status: 'OK' })
      if (answer[2] === 'response') invocation.resolve(body === '' ? null : JSON.parse(body))
      else invocation.reject(new FunctionFailure(JSON.parse(body) as ErrorPayload))
      return
    }
    if (request.method === 'POST' && path === `${RUNTIME}/init/error`) {
      this.#initError = JSON.parse(body) as ErrorPayload
      this.#options.log(`init failed: ${this.#initError.errorType}: ${this.#initError.errorMessage}`)
      json(response, 202, { status: 'OK' })
      return
    }
    if (request.method === 'POST' && path === `${EXTENSION}/register`) {
      const name = String(request.headers['lambda-extension-name'] ?? '')
      if (this.#runtimeAskedOnce) {
        json(response, 403, {
          errorType: 'Extension.InvalidExtensionState',
          errorMessage: 'extensions register during init, before the runtime asks for its first invocation',
        })
        return
      }
      const events = (JSON.parse(body || '{}') as { events?: unknown }).events
      const list = Array.isArray(events) ? events.map(String) : []
      // Internal extensions (ours run in the runtime process) cannot take SHUTDOWN.
      if (name === '' || list.some((event) => event !== 'INVOKE')) {
        json(response, 400, {
          errorType: 'Extension.InvalidRequest',
          errorMessage: `cannot register ${name || 'an unnamed extension'} for ${list}`,
        })
        return
      }
      const id = randomUUID()
      this.#extensions.set(id, { id, name, events: list, waiting: undefined, queued: [] })
      this.emit('extension', name, list)
      json(
        response,
        200,
        { functionName: this.#options.functionName, functionVersion: '$LATEST', handler: this.#options.exportName },
        {
          'lambda-extension-identifier': id,
        },
      )
      return
    }
    if (request.method === 'GET' && path === `${EXTENSION}/event/next`) {
      const extension = this.#extensions.get(String(request.headers['lambda-extension-identifier'] ?? ''))
      if (!extension) {
        json(response, 403, { errorType: 'Extension.Forbidden', errorMessage: 'unknown Lambda-Extension-Identifier' })
        return
      }
      extension.waiting = response
      const queued = extension.queued.shift()
      if (queued) this.#deliver(extension, queued)
      else this.#dispatch()
      return
    }
    json(response, 404, { errorType: 'NotFound', errorMessage: `${request.method} ${path}` })
  }
}
