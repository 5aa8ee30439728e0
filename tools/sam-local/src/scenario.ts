import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** What an example's `local/run.ts` did: its exit status, its trace, and the outcome it reported. */
export interface ScenarioRun {
  readonly status: number | null
  readonly stdout: string
  // biome-ignore lint/suspicious/noExplicitAny: each example reports its own shape
  readonly outcome: any
}

/** Runs an example's local scenario in its own process, as a user runs it, and reads its DEMO_REPORT. */
export function runScenario(exampleDir: string, timeoutMs = 90_000): ScenarioRun {
  const report = join(mkdtempSync(join(tmpdir(), 'scenario-')), 'outcome.json')
  const run = spawnSync(process.execPath, ['--no-warnings', '--import', 'tsx', 'local/run.ts'], {
    cwd: exampleDir,
    env: { ...process.env, DEMO_REPORT: report },
    encoding: 'utf8',
    timeout: timeoutMs,
  })
  let outcome: unknown
  try {
    outcome = JSON.parse(readFileSync(report, 'utf8'))
  } catch {
    outcome = undefined
  }
  return { status: run.status, stdout: run.stdout, outcome }
}
