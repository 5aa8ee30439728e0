// Loads each function's handler module in a process of its own, confined (see isolation.ts), and
// collects what it declares. The child only reports: this process reads each message strictly,
// picks the instances to bind, asks Cloud Map itself (`--live`), and judges.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import type { Duplex } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { cloudMapRegistry, describeAddress, type RegisteredInstance, toAddress } from '@cloudmap-middy/core'
import { type Isolation, isolatedCommand } from './isolation.js'
import type { HandlerLocation, TemplateFunction, TemplateModel } from './model.js'
import {
  type Binding,
  type BindRequest,
  type BindSet,
  type DeclaredDependency,
  MAX_CHILD_BYTES,
  ProtocolError,
  readBound,
  readDeclared,
} from './protocol.js'

export type { Binding } from './protocol.js'

/** A dependency the handler module declared, and how the instances registered for it bind. */
export interface CollectedDependency extends Omit<DeclaredDependency, 'healthStatus'> {
  /** The address as text. */
  readonly label: string
  /** The template's instances at its address (and matching its query parameters). */
  readonly bindings: readonly Binding[]
  /** With `--live`: Cloud Map's instances, or why they could not be had. */
  readonly live?:
    | {
        /** Cloud Map's instances, bound. */
        readonly bindings: readonly Binding[]
      }
    | {
        /** Why Cloud Map could not be asked (the error's name and message). */
        readonly error: string
      }
}

/** What loading one handler module gave. */
export type CollectResult = (
  | {
      readonly loaded: true /** Is `exportName` a function? */
      readonly exported: boolean
      readonly dependencies: readonly CollectedDependency[]
    }
  | { readonly loaded: false; readonly error: string }
) & {
  /** How the module's process was confined. */
  readonly isolation: Isolation
}

/** Options of {@link collect}. */
export interface CollectOptions {
  /** Also resolve against Cloud Map: this process asks it, with the caller's AWS environment. */
  readonly live?: boolean
  /** How long a module may take to load. Default 30 000 ms. */
  readonly timeoutMs?: number
  /** How long the module's process has between SIGTERM and SIGKILL. Default 1 000 ms. */
  readonly graceMs?: number
}

const require = createRequire(import.meta.url)

/** The check's compiled file `name`: next to this one, or (running from source) in the package's dist. */
function compiled(name: string): string {
  const beside = fileURLToPath(new URL(`./${name}`, import.meta.url))
  if (existsSync(beside)) return beside
  const built = fileURLToPath(new URL(`../dist/${name}`, import.meta.url))
  if (existsSync(built)) return built
  throw new Error(`${built} is missing: build @cloudmap-middy/check first`)
}

// What a handler module is loaded with besides its own environment, with --live too: nothing of
// the caller's AWS configuration, credentials that are not, and an endpoint nobody listens on.
const OFFLINE = {
  AWS_ACCESS_KEY_ID: 'cloudmap-middy-check',
  AWS_SECRET_ACCESS_KEY: 'cloudmap-middy-check',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_EC2_METADATA_DISABLED: 'true',
}
const KEPT = ['PATH', 'LANG', 'TZ', 'SystemRoot']

// What the template's environment may not set in the function's process: what steers Node.js, the
// dynamic loader, TLS, the TypeScript loader (NODE_OPTIONS=--import=data:… would run code before
// the guard), where AWS calls go and with which credentials (Lambda lets a function set
// AWS_ENDPOINT_URL_*; the check decides), and the paths the check itself sets.
const STEERING =
  /^(NODE_|NODEJS_|LD_|DYLD_|UV_|OPENSSL_|SSL_CERT_|TSX_|ESBUILD_|npm_|COREPACK_|PATH$|HOME$|TMPDIR$|TEMP$|TMP$|AWS_(ENDPOINT_URL|PROFILE$|DEFAULT_PROFILE$|CONFIG_FILE$|SHARED_CREDENTIALS_FILE$|ACCESS_KEY_ID$|SECRET_ACCESS_KEY$|SESSION_TOKEN$|SECURITY_TOKEN$|CREDENTIAL_|CONTAINER_|WEB_IDENTITY_TOKEN_FILE$|ROLE_|EC2_METADATA|CA_BUNDLE$|SDK_LOAD_CONFIG$|LAMBDA_RUNTIME_API$))/i

/** The environment of the function's process: as Lambda would give it, less what steers the runtime, plus what the check needs. */
function environmentOf(fn: TemplateFunction, model: TemplateModel, home: string, temp: string): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {}
  for (const key of KEPT) if (process.env[key] !== undefined) base[key] = process.env[key]
  const own = Object.fromEntries(Object.entries(fn.environment).filter(([key]) => !STEERING.test(key)))
  return {
    ...base,
    ...own,
    ...OFFLINE,
    // An empty home: no ~/.aws, no profile of this machine (its endpoints, its credential processes).
    HOME: home,
    TMPDIR: temp,
    AWS_CONFIG_FILE: join(home, '.aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(home, '.aws', 'credentials'),
    AWS_REGION: model.pseudo.region,
    AWS_DEFAULT_REGION: model.pseudo.region,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    // Set by Lambda: http() refuses a target at this address.
    AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001',
  }
}

/** Does the instance have every attribute the query parameters ask for? */
function matchesQuery(query: Readonly<Record<string, string>> | undefined, instance: RegisteredInstance): boolean {
  return Object.entries(query ?? {}).every(([key, value]) => instance.attributes[key] === value)
}

/** The instances of `dependency` among `instances`: at its address, matching its query parameters. */
function at(dependency: DeclaredDependency, instances: readonly RegisteredInstance[]): RegisteredInstance[] {
  return instances
    .filter((instance) => dependency.instance === undefined || instance.instanceId === dependency.instance)
    .filter((instance) => matchesQuery(dependency.queryParameters, instance))
    .map(({ instanceId, attributes }) => ({ instanceId, attributes }))
}

/** The address of a declaration, checked as core checks one, and its label. */
function addressOf(dependency: DeclaredDependency, index: number): string {
  const { namespace, service, instance, account } = dependency
  try {
    return describeAddress(
      toAddress({ namespace, service, ...(instance === undefined ? {} : { instance }), ...(account === undefined ? {} : { account }) }),
    )
  } catch (error) {
    throw new ProtocolError(`declared.dependencies[${index}]: ${(error as Error).message}`)
  }
}

/**
 * Cloud Map's instances for each declared service, asked by this process, once per namespace,
 * service and owner account, with the caller's AWS environment.
 */
type LiveAnswer = { readonly instances: readonly RegisteredInstance[] } | { readonly error: string }

async function liveInstances(dependencies: readonly DeclaredDependency[], region: string): Promise<Map<string, LiveAnswer>> {
  const registry = cloudMapRegistry({ clientConfig: { region } })
  const keyOf = (d: DeclaredDependency) => JSON.stringify([d.namespace, d.service, d.account ?? ''])
  const first = new Map<string, DeclaredDependency>()
  for (const dependency of dependencies) if (!first.has(keyOf(dependency))) first.set(keyOf(dependency), dependency)
  const answers = await Promise.all(
    [...first].map(async ([key, { namespace, service, account }]): Promise<[string, LiveAnswer]> => {
      try {
        const { instances } = await registry.discover({
          namespace,
          service,
          healthStatus: 'ALL',
          ...(account === undefined ? {} : { account }),
        })
        return [key, { instances }]
      } catch (error) {
        return [key, { error: error instanceof Error ? `${error.name}: ${error.message}` : 'the request failed' }]
      }
    }),
  )
  const byKey = new Map(answers)
  return new Map(dependencies.map((d): [string, LiveAnswer] => [JSON.stringify(d), byKey.get(keyOf(d)) ?? { error: 'no answer' }]))
}

/** Kills the child's whole process group (it leads one: spawned detached), ignoring one that is gone. */
function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {}
}

/**
 * Loads a function's handler module in a confined child process with the function's environment,
 * records every dependency it declares, and binds each to the template's instances (and, with
 * `live`, to Cloud Map's, asked by this process).
 *
 * @example
 * ```ts
 * const fn = model.functions[0]
 * const result = 'module' in fn.handler ? await collect(fn, fn.handler, model) : undefined
 * if (result.loaded) console.log(result.dependencies.map((d) => d.label))
 * ```
 */
export function collect(
  fn: TemplateFunction,
  handler: HandlerLocation,
  model: TemplateModel,
  options: CollectOptions = {},
): Promise<CollectResult> {
  const { module, exportName } = handler
  const live = options.live ?? false
  const plan = isolatedCommand(module, {
    script: compiled('collect-child.js'),
    guard: compiled('guard.js'),
    typescriptHooks: compiled('ts-hooks.js'),
    tsxLoader: require.resolve('tsx/esm'),
  })
  const { isolation } = plan
  mkdirSync(plan.home)
  // Detached: the child leads a process group of its own, which is ended whole. No stdio is shared
  // with this process: what the module prints is not the check's output (and may hold anything).
  const child = spawn(plan.command, [...plan.args, module, exportName], {
    env: environmentOf(fn, model, plan.home, plan.temp),
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    detached: true,
  })
  child.stdout?.resume()
  child.stderr?.resume()
  const channel = child.stdio[3] as Duplex
  const timeoutMs = options.timeoutMs ?? 30_000
  const graceMs = options.graceMs ?? 1_000
  const late = `the module did not load within ${timeoutMs} ms`

  return new Promise((resolve) => {
    let settled = false
    // What the child may say next: its declarations, nothing while Cloud Map is asked, then its bindings.
    let phase: 'declare' | 'wait' | 'bind' = 'declare'
    let declared: readonly DeclaredDependency[] = []
    let labels: readonly string[] = []
    let exported = false
    let request: BindRequest | undefined
    let answers: Awaited<ReturnType<typeof liveInstances>> | undefined
    let received = 0
    let buffer = ''
    let timedOut = false
    const timers: NodeJS.Timeout[] = []

    const finish = (
      result: { loaded: true; exported: boolean; dependencies: CollectedDependency[] } | { loaded: false; error: string },
    ) => {
      if (settled) return
      settled = true
      for (const timer of timers) clearTimeout(timer)
      // Whatever is left of the group (the module's process, anything it started) ends now.
      killGroup(child.pid, 'SIGKILL')
      for (const stream of [channel, child.stdout, child.stderr]) stream?.destroy()
      child.unref()
      rmSync(plan.temp, { recursive: true, force: true })
      resolve({ ...result, isolation })
    }
    const fail = (error: string) => finish({ loaded: false, error })
    const reject = (error: unknown) =>
      fail(
        error instanceof ProtocolError
          ? `the module's process sent what the check does not accept (${error.message})`
          : `the check could not read the module's declarations: ${(error as Error).message}`,
      )

    const onDeclared = async (message: unknown) => {
      const outcome = readDeclared(message)
      if ('error' in outcome) return fail(outcome.error)
      labels = outcome.dependencies.map(addressOf)
      declared = outcome.dependencies
      exported = outcome.exported
      answers = live ? await liveInstances(declared, model.pseudo.region) : undefined
      if (settled) return
      const sets = declared.map((dependency): BindSet => {
        const template = at(
          dependency,
          model.instances.filter((i) => i.namespace === dependency.namespace && i.service === dependency.service),
        )
        const answer = answers?.get(JSON.stringify(dependency))
        return { template, ...(answer !== undefined && 'instances' in answer ? { live: at(dependency, answer.instances) } : {}) }
      })
      // The endpoint the caller's environment gives SQS, as the SDK reads it: a queue URL Cloud Map holds may be on it (moto, LocalStack).
      const liveSqsEndpoint = live ? process.env.AWS_ENDPOINT_URL_SQS || process.env.AWS_ENDPOINT_URL || undefined : undefined
      request = { type: 'bind', pseudo: model.pseudo, ...(liveSqsEndpoint === undefined ? {} : { liveSqsEndpoint }), sets }
      phase = 'bind'
      channel.write(`${JSON.stringify(request)}\n`)
    }

    const onBound = (message: unknown, asked: BindRequest) => {
      const bound = readBound(message, asked)
      const dependencies = declared.map((dependency, index): CollectedDependency => {
        const { healthStatus: _, ...rest } = dependency
        const set = bound[index] ?? { template: [] }
        const answer = answers?.get(JSON.stringify(dependency))
        const liveResult: CollectedDependency['live'] | undefined = !live
          ? undefined
          : set.live !== undefined
            ? { bindings: set.live }
            : { error: answer !== undefined && 'error' in answer ? answer.error : 'no answer' }
        return { ...rest, label: labels[index] ?? '', bindings: set.template, ...(liveResult === undefined ? {} : { live: liveResult }) }
      })
      finish({ loaded: true, exported, dependencies })
    }

    const onLine = (line: string) => {
      let message: unknown
      try {
        message = JSON.parse(line)
      } catch {
        throw new ProtocolError('a message that is not JSON')
      }
      if (phase === 'declare') {
        phase = 'wait'
        onDeclared(message).catch(reject)
      } else if (phase === 'bind' && request !== undefined) onBound(message, request)
      else throw new ProtocolError('a message before the check asked for one')
    }

    channel.setEncoding('utf8')
    channel.on('data', (chunk: string) => {
      if (settled) return
      received += Buffer.byteLength(chunk)
      if (received > MAX_CHILD_BYTES) return fail(`the module's process sent more than ${MAX_CHILD_BYTES} bytes`)
      buffer += chunk
      for (let cut = buffer.indexOf('\n'); cut !== -1 && !settled; cut = buffer.indexOf('\n')) {
        const line = buffer.slice(0, cut)
        buffer = buffer.slice(cut + 1)
        try {
          onLine(line)
        } catch (error) {
          reject(error)
        }
      }
    })
    channel.on('error', () => undefined)

    // On time: SIGTERM to the group, then SIGKILL after the grace period; the report never waits on the module.
    timers.push(
      setTimeout(() => {
        timedOut = true
        killGroup(child.pid, 'SIGTERM')
        timers.push(setTimeout(() => fail(late), graceMs))
      }, timeoutMs),
    )
    child.once('error', (error) => fail(`the module could not be loaded: ${error.message}`))
    // 'exit', not 'close': a process the module started may hold a copy of its pipes. What the child
    // wrote before it ended is read first (its channel ends, or the grace period passes).
    child.once('exit', (code, signal) => {
      const ended = () => fail(timedOut ? late : `the module's process ended (${signal ?? `exit code ${code}`}) before it had loaded`)
      if (channel.readableEnded) ended()
      else {
        channel.once('end', ended)
        timers.push(setTimeout(ended, graceMs))
      }
    })
  })
}
