// Runs the tests written for Node.js' own test runner (packages/middy/test/node: handlers tested as users test
// them, without Jest) on the repo's Node.js floor (an older node re-runs this under it).
import { spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { onNodeFloor } from './node-floor.mjs'

onNodeFloor(import.meta.url)

const middy = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'middy')
const run = spawnSync(process.execPath, ['--import', 'tsx', '--test', 'test/node/*.test.ts'], { cwd: middy, stdio: 'inherit' })
process.exit(run.status ?? 1)
