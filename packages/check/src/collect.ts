// Loads each function's handler module in a process of its own (its environment from the
// template, no credentials, every AWS endpoint a closed port) and collects what it declares.
import { fork } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { cloudMapRegistry, type DiscoveryQuery, type RegisteredInstance } from '@cloudmap-middy/core'
import type { HandlerLocation, TemplateFunction, TemplateInstance, TemplateModel } from './model.js'
import type { Pseudo } from './sam-policies.js'

/** What the child is asked to do. */
export interface CollectJob {
  /** The handler module's file URL (what is imported). */
  readonly url: string
  /** The export Lambda calls. */
  readonly exportName: string
  /** Every instance the template registers. */
  readonly instances: readonly TemplateInstance[]
  /** The partition, region and account of the template (function names and bus names become ARNs in them). */
  readonly pseudo: Pseudo
  /** Also ask Cloud Map (`--live`). */
  readonly live: boolean
}

/** One instance bound to a dependency as the resolver would bind it. */
export type Binding = {
  /** The instance's id. */
  readonly instanceId: string
} & (
  | {
      /** It binds. */
      readonly ok: true
      /** The ARN its calls act on. */
      readonly target?: string
    }
  | {
      /** It does not bind. */
      readonly ok: false
      /** The error the kind threw: its name and message. */
      readonly error: string
      /** The error's class name (`InstanceTypeMismatchError`, `AttributeValidationError`, ...). */
      readonly errorName: string
      /** For a `DisallowedTargetError`, the rule that refused the target (`allowedAccounts`, ...). */
      readonly rule?: string
    }
)

/** A dependency the handler module declared, and how the instances registered for it bind. */
export interface CollectedDependency {
  /** Its name in the services given to the middleware (`context.services.<name>`). */
  readonly name?: string
  /** `cloudMap()`, or `module scope` for a dependency declared but given to no middleware. */
  readonly by: string
  /** `Dependency.kind`: `lambda`, `queue`, ... */
  readonly kind: string
  /** The address as text. */
  readonly label: string
  /** The address's namespace, service, instance and (shared namespace) owner account. */
  readonly namespace: string
  /** The address's service. */
  readonly service: string
  /** The address's instance, when it names one. */
  readonly instance?: string
  /** The owner of a namespace shared with the caller's account. */
  readonly account?: string
  /** Declared with `optional()`. */
  readonly optional: boolean
  /** At most this many instances are asked for (`maxResults`), when it says. */
  readonly maxResults?: number
  /** The attributes its instances must have (`queryParameters`), when it asks for some. */
  readonly queryParameters?: Readonly<Record<string, string>>
  /** How its resolver revalidates (`revision` also calls DiscoverInstancesRevision). */
  readonly revalidate: 'full' | 'revision'
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
export type CollectResult =
  | {
      readonly loaded: true /** Is `exportName` a function? */
      readonly exported: boolean
      readonly dependencies: readonly CollectedDependency[]
    }
  | { readonly loaded: false; readonly error: string }

/** What the child asks Cloud Map for, per dependency, with --live (the parent asks, with its credentials). */
export type LiveQuery = DiscoveryQuery

/** What Cloud Map answered to one {@link LiveQuery}: its instances, or the error (name and message). */
export type LiveAnswer =
  | {
      /** The instances, as Cloud Map returned them. */
      readonly instances: readonly RegisteredInstance[]
    }
  | {
      /** Why they could not be had. */
      readonly error: string
    }

/** A message from the parent to the child. */
export type ParentMessage =
  | {
      /** The job. */
      readonly type: 'job'
      /** What to load and check. */
      readonly job: CollectJob
    }
  | {
      /** Cloud Map's answers to the child's queries, in their order. */
      readonly type: 'live'
      /** One per query. */
      readonly answers: readonly LiveAnswer[]
    }

/** A message from the child to the parent. */
export type ChildMessage =
  | {
      /** With --live: what to ask Cloud Map. */
      readonly type: 'queries'
      /** One per declared dependency. */
      readonly queries: readonly LiveQuery[]
    }
  | {
      /** The outcome. */
      readonly type: 'result'
      /** What loading the module gave. */
      readonly result: CollectResult
    }

/** Asks Cloud Map, in this process, what the child's dependencies find there now. */
async function answer(queries: readonly LiveQuery[], region: string): Promise<LiveAnswer[]> {
  const registry = cloudMapRegistry({ clientConfig: { region } })
  return Promise.all(
    queries.map(async (query): Promise<LiveAnswer> => {
      try {
        return { instances: (await registry.discover(query)).instances }
      } catch (error) {
        return { error: error instanceof Error ? `${error.name}: ${error.message}` : 'the request failed' }
      }
    }),
  )
}

/** Options of {@link collect}. */
export interface CollectOptions {
  /** Also resolve against Cloud Map: this process asks it, with the caller's AWS environment. */
  readonly live?: boolean
  /** How long a module may take to load. Default 30 000 ms. */
  readonly timeoutMs?: number
}

const here = fileURLToPath(import.meta.url)
const require = createRequire(import.meta.url)

/** The child's entry: compiled next to this file, or (running from source) the TypeScript one. */
function childEntry(): string {
  const compiled = here.replace(/collect\.[jt]s$/, 'collect-child.js')
  return existsSync(compiled) ? compiled : here.replace(/collect\.[jt]s$/, 'collect-child.ts')
}

// What a handler module is loaded with besides its own environment, with --live too: nothing of
// the caller's AWS configuration, credentials that are not, and an endpoint nobody listens on (the
// child also refuses every connection). A module that calls AWS while it loads fails fast.
const OFFLINE = {
  AWS_ACCESS_KEY_ID: 'cloudmap-middy-check',
  AWS_SECRET_ACCESS_KEY: 'cloudmap-middy-check',
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_EC2_METADATA_DISABLED: 'true',
  // No profile of this machine either (its endpoints, its credential processes).
  AWS_CONFIG_FILE: join(tmpdir(), 'cloudmap-middy-check-no-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(tmpdir(), 'cloudmap-middy-check-no-credentials'),
}
const KEPT = ['PATH', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'SystemRoot', 'NODE_PATH', 'LANG', 'TZ']

// What the template's environment may not set in the function's process: where AWS calls go and
// with which credentials (Lambda lets a function set AWS_ENDPOINT_URL_*; the check decides).
const STEERING =
  /^AWS_(ENDPOINT_URL|PROFILE$|CONFIG_FILE$|SHARED_CREDENTIALS_FILE$|ACCESS_KEY_ID$|SECRET_ACCESS_KEY$|SESSION_TOKEN$|CONTAINER_|WEB_IDENTITY_TOKEN_FILE$|ROLE_ARN$|EC2_METADATA)/

/** The environment of the function's process: as Lambda would give it, plus what the check needs. */
function environmentOf(fn: TemplateFunction, model: TemplateModel): NodeJS.ProcessEnv {
  const base: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (KEPT.includes(key)) base[key] = value
  }
  const own = Object.fromEntries(Object.entries(fn.environment).filter(([key]) => !STEERING.test(key)))
  return {
    ...base,
    ...own,
    ...OFFLINE,
    AWS_REGION: model.pseudo.region,
    AWS_DEFAULT_REGION: model.pseudo.region,
    AWS_LAMBDA_FUNCTION_NAME: fn.name,
    // Set by Lambda: http() refuses a target at this address.
    AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001',
  }
}

/**
 * Loads a function's handler module in a child process with the function's environment,
 * records every dependency it declares, and binds each to the template's instances.
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
  const job: CollectJob = {
    url: pathToFileURL(module).href,
    exportName,
    instances: model.instances,
    pseudo: model.pseudo,
    live,
  }
  const child = fork(childEntry(), [], {
    execArgv: ['--no-warnings', '--import', pathToFileURL(require.resolve('tsx/esm')).href],
    env: environmentOf(fn, model),
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'advanced',
  })
  // What the module prints while it loads is not the check's output (and may hold anything).
  child.stdout?.resume()
  child.stderr?.resume()
  return new Promise((resolve) => {
    let settled = false
    const finish = (result: CollectResult) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      if (child.exitCode === null) child.kill()
      resolve(result)
    }
    const timeoutMs = options.timeoutMs ?? 30_000
    const timer = setTimeout(() => finish({ loaded: false, error: `the module did not load within ${timeoutMs} ms` }), timeoutMs)
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'result') finish(message.result)
      else if (message.type === 'queries') {
        answer(message.queries, model.pseudo.region).then((answers) => {
          if (!settled) child.send({ type: 'live', answers } satisfies ParentMessage)
        })
      }
    })
    child.once('error', (error) => finish({ loaded: false, error: `the module could not be loaded: ${error.message}` }))
    // What the module printed is not shown: it may hold anything.
    child.once('exit', (code, signal) => {
      finish({ loaded: false, error: `the module's process ended (${signal ?? `exit code ${code}`}) before it had loaded` })
    })
    child.send({ type: 'job', job } satisfies ParentMessage)
  })
}
