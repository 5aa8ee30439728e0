// The dependency rules of .dependency-cruiser.cjs over every package's sources: no import cycle
// (type-only imports included), core's layers import only downward. dependency-cruiser runs on
// Node.js 22 or later: on an older Node.js this runs it under Node.js 22 through npx.
import { spawnSync } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const bin = join(dirname(createRequire(import.meta.url).resolve('dependency-cruiser/package.json')), 'bin/dependency-cruiser.mjs')
const args = [
  bin,
  '--config',
  '.dependency-cruiser.cjs',
  'packages/core/src',
  'packages/middy/src',
  'packages/cdk/src',
  'packages/check/src',
]
const modern = Number(process.versions.node.split('.')[0]) >= 22
const run = modern
  ? spawnSync(process.execPath, args, { stdio: 'inherit' })
  : spawnSync('npx', ['-y', 'node@22', ...args], { stdio: 'inherit' })
process.exit(run.status ?? 1)
