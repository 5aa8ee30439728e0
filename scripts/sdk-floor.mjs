// Proves the floors of the AWS SDK peer ranges of @cloudmap-middy/core: copies the workspace
// (without node_modules, build output or .git) to a temp dir, pins every SDK client core calls
// (SDK_CLIENTS below) to the floor of its declared peer range with pnpm overrides, installs,
// builds and runs the unit suite there. Exit 0 when the floors hold, 1 when a step fails
// (named), 2 for bad usage.
//
//   node scripts/sdk-floor.mjs                          the floors declared in packages/core/package.json
//   node scripts/sdk-floor.mjs 3.723.0                  every client at another version (to look for a floor)
//   node scripts/sdk-floor.mjs @aws-sdk/client-sqs@3.572.0   one client at another version, the others at their floor
//   node scripts/sdk-floor.mjs --keep                   keep the temp dir (its path is printed)
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** The SDK clients core calls: peer dependencies of core (Cloud Map required, the others optional). */
export const SDK_CLIENTS = [
  '@aws-sdk/client-servicediscovery',
  '@aws-sdk/client-lambda',
  '@aws-sdk/client-sqs',
  '@aws-sdk/client-sns',
  '@aws-sdk/client-sfn',
  '@aws-sdk/client-eventbridge',
]

/** The lowest version a peer range accepts, for the forms core uses: `^3.572.0` or `>=3.572.0 <4`. */
function floorOf(range) {
  return /^(?:\^|>=\s*)(\d+\.\d+\.\d+)(?:\s+<\s*\d+(?:\.\d+){0,2})?$/.exec(range?.trim() ?? '')?.[1]
}

/** The floor of each SDK client's peer range in packages/core/package.json; throws naming a range it cannot read. */
export function declaredFloors() {
  const core = JSON.parse(readFileSync(join(root, 'packages/core/package.json'), 'utf8'))
  return Object.fromEntries(
    SDK_CLIENTS.map((client) => {
      const range = core.peerDependencies?.[client]
      const floor = floorOf(range)
      if (!floor)
        throw new Error(`packages/core/package.json: the peer range of ${client} (${range ?? 'none'}) is not ^x.y.z or >=x.y.z <n`)
      return [client, floor]
    }),
  )
}

/** pnpm as CI runs it: the version the root package.json pins (`packageManager`), through npx. */
export function pnpmCommand() {
  const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).packageManager?.replace(/^pnpm@/, '')
  if (!version) throw new Error('the root package.json has no packageManager field naming pnpm')
  return ['npx', ['-y', `pnpm@${version}`]]
}

/** `@aws-sdk/client-sqs@3.572.0` for one client, or a list of them. */
export function describePins(pins) {
  const versions = [...new Set(Object.values(pins))]
  return versions.length === 1
    ? `the SDK clients at ${versions[0]}`
    : Object.entries(pins)
        .map(([client, v]) => `${client}@${v}`)
        .join(', ')
}

// Installed or built output, never copied: the copy installs and builds its own.
const SKIPPED = new Set(['.git', 'node_modules', 'dist', 'coverage', '.tmp', '.aws-sam', 'cdk.out'])

class Failure extends Error {}

function main(args) {
  const keep = args.includes('--keep')
  const asked = {}
  for (const arg of args.filter((a) => a !== '--keep')) {
    const match = /^(?:(@aws-sdk\/client-[a-z]+)@)?(\d+\.\d+\.\d+)$/.exec(arg)
    if (!match || (match[1] && !SDK_CLIENTS.includes(match[1]))) {
      console.error('usage: node scripts/sdk-floor.mjs [<version> | <client>@<version> ...] [--keep]')
      return 2
    }
    for (const client of match[1] ? [match[1]] : SDK_CLIENTS) asked[client] = match[2]
  }
  let pins
  let pnpm
  try {
    pins = { ...declaredFloors(), ...asked }
    pnpm = pnpmCommand()
  } catch (error) {
    console.error(`sdk-floor: FAILED: ${error.message}`)
    return 1
  }

  const started = Date.now()
  const timings = []
  const work = mkdtempSync(join(tmpdir(), 'cloudmap-middy-sdk-floor-'))
  /** Runs a step in the copy; its output goes through, a non-zero exit fails the run naming the step. */
  const step = (name, command, commandArgs, env = {}) => {
    console.log(`\n--- sdk-floor: ${name}`)
    const t0 = Date.now()
    const run = spawnSync(command, commandArgs, { cwd: work, stdio: 'inherit', env: { ...process.env, ...env } })
    timings.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    if (run.error) throw new Failure(`${name}: ${run.error.message}`)
    if (run.status !== 0) throw new Failure(`${name} (exit code ${run.status}) with ${describePins(pins)}`)
  }

  try {
    console.log(`sdk-floor: ${describePins(pins)}, in ${work}`)
    cpSync(root, work, { recursive: true, filter: (source) => !SKIPPED.has(basename(source)) && !source.endsWith('.tsbuildinfo') })
    const workspace = join(work, 'pnpm-workspace.yaml')
    const overrides = SDK_CLIENTS.map((client) => `  "${client}": "${pins[client]}"`).join('\n')
    writeFileSync(workspace, `${readFileSync(workspace, 'utf8').trimEnd()}\noverrides:\n${overrides}\n`)

    // The overrides change the lockfile: pnpm must be allowed to (CI=true would make it frozen).
    step('install', pnpm[0], [...pnpm[1], 'install', '--no-frozen-lockfile', '--prefer-offline', '--reporter=append-only'])
    // The overrides must have reached every copy: one version of each client, the pinned one, and core sees it.
    const store = readdirSync(join(work, 'node_modules/.pnpm'))
    for (const client of SDK_CLIENTS) {
      const prefix = `${client.replace('/', '+')}@`
      const versions = [...new Set(store.filter((name) => name.startsWith(prefix)).map((name) => name.slice(prefix.length).split('_')[0]))]
      if (versions.length !== 1 || versions[0] !== pins[client]) {
        throw new Failure(`${client}: expected only ${pins[client]} in the install, found ${versions.join(', ') || 'none'}`)
      }
      const seen = join(work, 'packages/core/node_modules', client, 'package.json')
      if (!existsSync(seen) || JSON.parse(readFileSync(seen, 'utf8')).version !== pins[client]) {
        throw new Failure(`packages/core does not resolve ${client}@${pins[client]}`)
      }
    }
    step('build', process.execPath, ['node_modules/typescript/bin/tsc', '-b', 'packages/core', 'packages/middy'])
    step('unit suite', process.execPath, ['scripts/jest.mjs', '--unit'], { CI: 'true' })
  } catch (error) {
    console.error(`\nsdk-floor: FAILED: ${error instanceof Failure ? error.message : error.stack}`)
    return 1
  } finally {
    if (keep) console.log(`sdk-floor: kept ${work}`)
    else rmSync(work, { recursive: true, force: true })
  }
  const total = ((Date.now() - started) / 1000).toFixed(1)
  console.log(`\nsdk-floor: OK: the build and the unit suite pass with ${describePins(pins)} (${timings.join(', ')}; ${total} s in all)`)
  return 0
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) process.exitCode = main(process.argv.slice(2))
