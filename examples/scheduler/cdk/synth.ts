// Synthesizes the CDK app in-process, without bundling, and prints the template's path (CI runs
// cfn-lint on it):  node --import tsx cdk/synth.ts [outdir]     (from examples/scheduler)
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { schedulerApp } from './app.js'

const outdir = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), 'cdk.out')
const { app, stack } = schedulerApp({ outdir, bundling: false })
const assembly = app.synth()
console.log(join(assembly.directory, assembly.getStackByName(stack.stackName).templateFile))
