// Runs Jest in ESM mode (Middy 7 is ESM only) without relying on a shell to set NODE_OPTIONS, on the repo's Node.js
// floor (an older node re-runs this under it). Arguments are Jest's, plus:
//   --unit / --int     one project only (Jest's --selectProjects would take the paths after it as project names)
//   a file or folder   that one only, resolved against the current folder (Jest matches paths as patterns: a
//                      package's `test` would otherwise match every package's)
// With JEST_JSON_REPORT set, also writes Jest's JSON report there (CI prints its totals).
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { onNodeFloor } from './node-floor.mjs'

onNodeFloor(import.meta.url)

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const jest = join(dirname(createRequire(import.meta.url).resolve('jest/package.json')), 'bin/jest.js')
const projects = []
const rest = []
for (const arg of process.argv.slice(2)) {
  if (arg === '--unit' || arg === '--int') projects.push(arg.slice(2))
  else if (!arg.startsWith('-') && existsSync(arg)) rest.push(resolve(arg).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
  else rest.push(arg)
}
const args = [jest, '--config', join(root, 'jest.config.js'), ...rest]
if (projects.length > 0) args.push('--selectProjects', ...projects)
if (process.env.JEST_JSON_REPORT) args.push('--json', `--outputFile=${process.env.JEST_JSON_REPORT}`)
const options = [process.env.NODE_OPTIONS, '--experimental-vm-modules', '--no-warnings=ExperimentalWarning'].filter(Boolean).join(' ')
// aws-cdk-lib's synth validates each template with a WebAssembly CloudFormation validator by default (its errors only
// warnings): compiling it cost each CDK test file ~17 s. The templates are validated by cfn-lint in CI instead.
const env = { ...process.env, NODE_OPTIONS: options, CDK_VALIDATION: process.env.CDK_VALIDATION ?? 'false' }
// The integration tests package examples/scheduler/serverless.yml with osls, kept out of the workspace's dependencies
// (a large tree only that test uses): installed once into node_modules/.cache (CI installs it itself, OSLS_BIN).
if (env.OSLS_BIN === undefined && (projects.length === 0 || projects.includes('int'))) env.OSLS_BIN = installOsls()
const run = spawnSync(process.execPath, args, { stdio: 'inherit', env })
process.exit(run.status ?? 1)

function installOsls() {
  const version = process.env.OSLS_VERSION ?? '4.3.1'
  const prefix = join(root, 'node_modules/.cache/osls', version)
  const bin = join(prefix, 'node_modules/osls/bin/serverless.js')
  if (!existsSync(bin)) {
    console.error(`jest.mjs: installing osls ${version} into ${prefix} (once; the Serverless example's test packages with it)`)
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
    const installed = spawnSync(npm, ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', `osls@${version}`], {
      stdio: 'inherit',
    })
    if (installed.status !== 0 || !existsSync(bin)) {
      console.error(
        `jest.mjs: osls ${version} could not be installed (npm exited ${installed.status}); set OSLS_BIN to its bin/serverless.js`,
      )
      process.exit(1)
    }
  }
  return bin
}
