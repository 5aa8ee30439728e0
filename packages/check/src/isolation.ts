// How the process a handler module is loaded in is confined, built from what this Node.js and
// this OS offer: the Node.js permission model, an in-process socket guard, a network namespace.
import { spawnSync } from 'node:child_process'
import { type Dirent, existsSync, lstatSync, mkdtempSync, readdirSync, realpathSync } from 'node:fs'
import * as nodeModule from 'node:module'
import { homedir, tmpdir } from 'node:os'
import { dirname, extname, join, sep } from 'node:path'
import { pathToFileURL } from 'node:url'

/**
 * A layer of the isolation of the process a handler module is loaded in:
 * - `permission-model`: the Node.js permission model: reads limited to the project and its
 *   dependencies, writes to a temporary directory; no child processes, workers, addons, WASI or inspector.
 * - `network-permission`: the permission model also denies the network (Node.js versions that have network permissions).
 * - `socket-guard`: every socket kind (TCP, TLS, HTTP/2, UDP, DNS, `fetch`) refused in the process, before the module loads.
 * - `network-namespace`: a network namespace of its own, with no interface up (`unshare -rn`, where the OS grants it unprivileged).
 * - `pid-namespace`: a PID namespace of its own (`unshare -rp --fork`, where the OS grants it unprivileged):
 *   no other process, the check's included, can be signalled from it.
 */
export type IsolationLayer = 'permission-model' | 'network-permission' | 'socket-guard' | 'network-namespace' | 'pid-namespace'

/** A layer that did not apply, and why. */
export interface MissingLayer {
  /** The layer. */
  readonly layer: IsolationLayer
  /** Why it did not apply. */
  readonly reason: string
}

/** Which isolation layers applied to a handler module's process. */
export interface Isolation {
  /** The layers that applied. */
  readonly applied: readonly IsolationLayer[]
  /** The layers this platform offers (or the check requires) that did not apply, each with why. */
  readonly missing: readonly MissingLayer[]
}

/**
 * The check was asked to require every isolation layer (`--require-isolation`) and one is missing:
 * no handler module was loaded without it.
 *
 * @example
 * ```ts
 * try {
 *   await check('template.yaml', { requireIsolation: true })
 * } catch (error) {
 *   if (error instanceof IsolationError) console.error(error.missing.map((m) => m.layer))
 * }
 * ```
 */
export class IsolationError extends Error {
  /** `IsolationError`. */
  override readonly name = 'IsolationError'
  /** The layers that did not apply, each with why. */
  readonly missing: readonly MissingLayer[]

  constructor(module: string, missing: readonly MissingLayer[]) {
    super(`isolation required, but for ${module} ${missing.map((m) => `${m.layer} does not apply: ${m.reason}`).join('; ')}`)
    this.missing = missing
  }
}

/** How to start the process a handler module is loaded in. */
export interface IsolatedCommand {
  /** The program (`node`, or `unshare` in front of it). */
  readonly command: string
  /** Its arguments, the child's script last but for `args`. */
  readonly args: readonly string[]
  /** Its only writable directory, removed by the caller afterwards; its `home` is the empty `HOME`. */
  readonly temp: string
  /** The empty directory given as `HOME`. */
  readonly home: string
  /** Which layers apply. */
  readonly isolation: Isolation
}

/** The Node.js flag that turns the permission model on, when this version has one. */
function permissionFlag(): string | undefined {
  const flags = process.allowedNodeEnvironmentFlags
  if (flags.has('--permission')) return '--permission'
  return flags.has('--experimental-permission') ? '--experimental-permission' : undefined
}

/** Can TypeScript be loaded in the module's own thread (no loader worker, no esbuild process)? */
function inThreadTypeScript(): boolean {
  const module = nodeModule as { registerHooks?: unknown; stripTypeScriptTypes?: unknown }
  return typeof module.registerHooks === 'function' && typeof module.stripTypeScriptTypes === 'function'
}

const namespaceProbes = new Map<string, string | undefined>()
/**
 * Does the OS give this user the namespace `flags` asks for (`-rn`: network, `-rp --fork`: PID)?
 * `undefined` when it does, else why not. Asked once per kind.
 */
function namespaceRefusal(kind: 'network' | 'PID', flags: readonly string[]): string | undefined {
  if (namespaceProbes.has(kind)) return namespaceProbes.get(kind)
  let refusal: string | undefined
  if (process.platform !== 'linux') refusal = `${process.platform} has no ${kind} namespaces`
  else {
    const probe = spawnSync('unshare', [...flags, process.execPath, '-e', ''], { stdio: 'ignore', timeout: 10_000 })
    refusal =
      probe.status === 0
        ? undefined
        : probe.error !== undefined
          ? `unshare could not be run (${(probe.error as NodeJS.ErrnoException).code ?? probe.error.message})`
          : `the OS refused an unprivileged ${kind} namespace (unshare ${flags.join(' ')} failed)`
  }
  namespaceProbes.set(kind, refusal)
  return refusal
}

/** unshare's flags for each namespace layer. --kill-child: the module's process ends with unshare. */
const NAMESPACE_FLAGS = { network: ['-rn'], PID: ['-rp', '--fork', '--kill-child'] } as const

/** The nearest folder at or above `start` with a package.json, else `start`. */
function packageRoot(start: string): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir
    if (dirname(dir) === dir) return start
  }
}

/** Is `dir` the folder `path` or one above it? */
const contains = (dir: string, path: string) => path === dir || path.startsWith(dir.endsWith(sep) ? dir : `${dir}${sep}`)

/** `path` and, when it differs, where its links lead. */
function withReal(path: string): string[] {
  try {
    const real = realpathSync(path)
    return real === path ? [path] : [path, real]
  } catch {
    return [path]
  }
}

/**
 * What module resolution from `start` can read: every `node_modules` folder at or above it and
 * where each of its packages links to (pnpm links workspace packages and its store).
 */
function dependencyFolders(start: string): string[] {
  const out: string[] = []
  for (let dir = start; ; dir = dirname(dir)) {
    const folder = join(dir, 'node_modules')
    if (existsSync(folder)) {
      out.push(...withReal(folder))
      for (const entry of readdirSync(folder)) {
        const names = entry.startsWith('@') ? readdirSync(join(folder, entry)).map((name) => join(entry, name)) : [entry]
        for (const name of names) {
          const path = join(folder, name)
          if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink()) out.push(...withReal(path).slice(1))
        }
      }
    }
    if (dirname(dir) === dir) return out
  }
}

/**
 * The folder of the handler's project: its package root, unless that would hold the caller's home
 * directory (and so `~/.aws`), then the module's own folder, else the module file alone.
 */
function projectOf(module: string): string {
  const home = homedir()
  for (const candidate of [packageRoot(dirname(module)), dirname(module)]) {
    if (!contains(candidate, home)) return candidate
  }
  return module
}

/** How many files and folders of a handler's project {@link projectLinkProblem} looks at, at most. */
export const LINK_SCAN_LIMIT = 50_000

/**
 * Why the handler module at `module` may not be loaded under the permission model: a link in its
 * project (`node_modules` aside: pnpm links into its store, and those links are allowed one by one)
 * leads outside what its process may read (the permission model follows links, so it would read
 * through it); or the project is too large to look through. `undefined` when there is none.
 *
 * @example
 * ```ts
 * const problem = projectLinkProblem('/app/src/handler.ts')
 * if (problem !== undefined) throw new Error(problem)
 * ```
 */
export function projectLinkProblem(module: string): string | undefined {
  const project = projectOf(module)
  const readable = [...withReal(project), ...dependencyFolders(dirname(module))]
  const stack = [project]
  let seen = 0
  while (stack.length > 0) {
    const dir = stack.pop() as string
    let entries: Dirent[]
    try {
      entries = readdirSync(dir, { withFileTypes: true })
    } catch {
      continue
    }
    for (const entry of entries) {
      if (entry.name === 'node_modules') continue
      seen += 1
      if (seen > LINK_SCAN_LIMIT) {
        return `its project ${project} holds more than ${LINK_SCAN_LIMIT.toLocaleString('en-US')} files and folders (node_modules aside): the check cannot look through it for links that lead outside it`
      }
      const path = join(dir, entry.name)
      if (entry.isDirectory()) stack.push(path)
      else if (entry.isSymbolicLink()) {
        let target: string
        try {
          target = realpathSync(path)
        } catch {
          continue // A link to nothing reads nothing.
        }
        if (!readable.some((root) => contains(root, target))) {
          return `${path} links to ${target}, outside what a handler module may read (its project ${project} and its node_modules): remove the link`
        }
      }
    }
  }
  return undefined
}

/** Is the module TypeScript (loaded through hooks)? */
const isTypeScript = (module: string) => /^\.[cm]?ts$/.test(extname(module))

/**
 * Which isolation layers the process loading the handler module at `module` gets on this
 * Node.js and this OS, and why each missing one is: known before anything is loaded.
 *
 * @example
 * ```ts
 * const { missing } = isolationOf('/app/src/handler.ts')
 * if (missing.length > 0) throw new IsolationError('/app/src/handler.ts', missing)
 * ```
 */
export function isolationOf(module: string): Isolation {
  const missing: MissingLayer[] = []
  const applied: IsolationLayer[] = []
  if (isTypeScript(module) && !inThreadTypeScript()) {
    // tsx loads TypeScript in a loader worker and runs esbuild as a process: neither is allowed under the permission model.
    missing.push({
      layer: 'permission-model',
      reason: `a TypeScript handler on Node.js ${process.versions.node} needs a loader thread (Node.js 22.15 or later loads it in its own thread)`,
    })
  } else if (permissionFlag() === undefined) {
    missing.push({ layer: 'permission-model', reason: `Node.js ${process.versions.node} has no permission model` })
  } else {
    applied.push('permission-model')
    // Versions with network permissions deny the network unless --allow-net is given.
    if (process.allowedNodeEnvironmentFlags.has('--allow-net')) applied.push('network-permission')
  }
  applied.push('socket-guard')
  for (const [kind, layer] of [
    ['network', 'network-namespace'],
    ['PID', 'pid-namespace'],
  ] as const) {
    const refusal = namespaceRefusal(kind, NAMESPACE_FLAGS[kind])
    if (refusal === undefined) applied.push(layer)
    else missing.push({ layer, reason: refusal })
  }
  return { applied, missing }
}

/**
 * The command that loads `script` (the check's child entry) for the handler module at `module`,
 * confined as far as this platform allows (see {@link isolationOf}): `guard` is imported first,
 * then `typescriptHooks` (or, without the permission model, `tsxLoader`) for a TypeScript module.
 *
 * @example
 * ```ts
 * const plan = isolatedCommand('/app/src/handler.ts', { script, guard, typescriptHooks, tsxLoader })
 * spawn(plan.command, [...plan.args], { detached: true })
 * ```
 */
export function isolatedCommand(
  module: string,
  files: { readonly script: string; readonly guard: string; readonly typescriptHooks: string; readonly tsxLoader: string },
): IsolatedCommand {
  const isolation = isolationOf(module)
  const temp = realpathSync(mkdtempSync(join(tmpdir(), 'cloudmap-middy-check-')))
  const home = join(temp, 'home')
  const typescript = isTypeScript(module)
  const flag = permissionFlag()
  const preload: string[] = [files.guard]
  const args: string[] = ['--no-warnings']
  if (isolation.applied.includes('permission-model') && flag !== undefined) {
    if (typescript) preload.push(files.typescriptHooks)
    const checkRoot = packageRoot(dirname(files.script))
    const readable = new Set([
      ...withReal(projectOf(module)),
      ...dependencyFolders(dirname(module)),
      ...withReal(checkRoot),
      ...dependencyFolders(checkRoot),
      temp,
    ])
    // A path with a comma cannot be given (the flag's list separator on older versions): it stays unreadable.
    args.push(flag, ...[...readable].filter((path) => !path.includes(',')).map((path) => `--allow-fs-read=${path}`))
    args.push(`--allow-fs-write=${temp}`)
  } else if (typescript) preload.push(files.tsxLoader)
  for (const file of preload) args.push('--import', pathToFileURL(file).href)
  const network = isolation.applied.includes('network-namespace')
  const pid = isolation.applied.includes('pid-namespace')
  const flags = [...(network || pid ? ['-r'] : []), ...(network ? ['-n'] : []), ...(pid ? ['-p', '--fork', '--kill-child'] : [])]
  const node = [...args, files.script]
  return {
    command: flags.length > 0 ? 'unshare' : process.execPath,
    args: flags.length > 0 ? [...flags, '--', process.execPath, ...node] : node,
    temp,
    home,
    isolation,
  }
}
