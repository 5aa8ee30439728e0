// The dependency rules of .dependency-cruiser.cjs over every package's sources: no import cycle
// (type-only imports included), core's layers import only downward. dependency-cruiser runs on
// Node.js 22 or later: on an older Node.js this runs it under Node.js 22 through npx.
import { spawnSync } from 'node:child_process'

import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const bin = join(dirname(fileURLToPath(import.meta.url)), '../node_modules/dependency-cruiser/bin/dependency-cruiser.mjs')
const args = [
  bin,
  '--config',
  '.dependency-cruiser.cjs',
  'packages/core/src',
  'packages/middy/src',
  'packages/cdk/src',
  'packages/check/src',
  'packages/serverless/src',
]
const modern = Number(process.versions.node.split('.')[0]) >= 22
const run = modern
  ? spawnSync(process.execPath, args, { stdio: 'inherit' })
  : spawnSync('npx', ['-y', 'node@22', ...args], { stdio: 'inherit' })
process.exit(run.status ?? 1)
