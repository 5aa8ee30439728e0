// `pnpm demo` from the CDK app instead of template.yaml: the same scenario (local/run.ts), against
// the resources, registrations and functions the CDK synthesizes.
//   node --no-warnings --import tsx cdk/local.ts      (from examples/scheduler)
import { writeSchedulerLocalTemplate } from './local-template.js'

process.env.DEMO_TEMPLATE = writeSchedulerLocalTemplate()
await import('../local/run.js')
