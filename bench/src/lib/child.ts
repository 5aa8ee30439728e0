import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** How to run a benchmark module in a child process of its own. */
export interface SelfRun {
  /** Node flags before the module (`--expose-gc`, heap sizes). */
  readonly flags?: readonly string[]
  /** Added to this process's environment: how the module knows it is the child, and what to measure. */
  readonly env: Readonly<Record<string, string>>
  /** Who failed, for the error: `warm: the noop process`. */
  readonly name: string
}

/**
 * Runs the module at `moduleUrl` (its `import.meta.url`) in a fresh node process through tsx and
 * returns the JSON of the last line it prints; throws naming `name` when the process fails.
 */
export function runSelf(moduleUrl: string, { flags = [], env, name }: SelfRun): unknown {
  const result = spawnSync(
    process.execPath,
    [...flags, '--no-warnings', '--import', import.meta.resolve('tsx'), fileURLToPath(moduleUrl)],
    {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 300_000,
      maxBuffer: 64 * 2 ** 20,
    },
  )
  if (result.status !== 0) throw new Error(`${name} failed (${result.status ?? result.signal}): ${result.stderr || result.error}`)
  return JSON.parse(result.stdout.trim().split('\n').at(-1) ?? '')
}
