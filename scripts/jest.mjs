// Runs Jest in ESM mode (Middy 7 is ESM only) without relying on a shell to set NODE_OPTIONS.
// With JEST_JSON_REPORT set, also writes Jest's JSON report there (CI prints its totals).
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const jest = join(dirname(createRequire(import.meta.url).resolve('jest/package.json')), 'bin/jest.js')
const args = [jest, ...process.argv.slice(2)]
if (process.env.JEST_JSON_REPORT) args.push('--json', `--outputFile=${process.env.JEST_JSON_REPORT}`)
const options = [process.env.NODE_OPTIONS, '--experimental-vm-modules', '--no-warnings=ExperimentalWarning'].filter(Boolean).join(' ')
const run = spawnSync(process.execPath, args, { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: options } })
process.exit(run.status ?? 1)
