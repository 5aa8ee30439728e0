// `pnpm demo` from the Serverless Framework service instead of template.yaml: the same scenario
// (local/run.ts), against the template `sls package` (osls) wrote for serverless.yml.
//   node --no-warnings --import tsx local/serverless.ts      (from examples/scheduler, after sls package)
import { existsSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { writeServerlessLocalTemplate } from '@cloudmap-middy/sam-local'

const packaged = join(dirname(fileURLToPath(import.meta.url)), '..', '.serverless', 'cloudformation-template-update-stack.json')
if (!existsSync(packaged)) {
  console.error(`${packaged} is missing: package the service first (npx osls package, from examples/scheduler)`)
  process.exit(2)
}
process.env.DEMO_TEMPLATE = writeServerlessLocalTemplate(packaged)
await import('./run.js')
