// The Node.js floor of the repo (the root package.json's engines, `>=22`): a script that calls onNodeFloor() first runs
// as is on that floor or newer, and re-runs itself under the floor through npx on an older node (one line says so).
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** The major version of the root package.json's `engines.node` (`>=22` gives 22). */
export const NODE_FLOOR = Number(/^>=\s*(\d+)/.exec(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines?.node ?? '')?.[1])
if (!Number.isInteger(NODE_FLOOR)) throw new Error('the root package.json has no engines.node of the form >=N')

/** Returns on Node.js NODE_FLOOR or newer; otherwise runs `script` (a file URL or path) under it and exits with its status. */
export function onNodeFloor(script) {
  if (Number(process.versions.node.split('.')[0]) >= NODE_FLOOR) return
  const path = script.startsWith('file:') ? fileURLToPath(script) : script
  console.log(
    `${basename(path)}: Node.js ${process.versions.node} is older than ${NODE_FLOOR}: running under Node.js ${NODE_FLOOR} (npx -y node@${NODE_FLOOR})`,
  )
  const run = spawnSync('npx', ['-y', `node@${NODE_FLOOR}`, path, ...process.argv.slice(2)], { stdio: 'inherit' })
  process.exit(run.status ?? 1)
}
