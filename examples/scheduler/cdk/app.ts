import { App } from 'aws-cdk-lib'
import { SchedulerStack } from './stack.js'

/** Options of `schedulerApp()`. */
export interface SchedulerAppOptions {
  /** Where the cloud assembly goes. Default: the CDK's (`cdk.out`, or the CLI's `CDK_OUTDIR`). */
  readonly outdir?: string
  /** Bundle the handlers with esbuild (needs esbuild installed, or Docker). Default true; the local run and CI skip it. */
  readonly bundling?: boolean
}

/**
 * The scheduler as a CDK app, for the stage of the `stage` context (`cdk deploy -c stage=prod`).
 * src/services.ts builds its addresses from env `CLOUDMAP_NAMESPACE` (default `dev`) when it
 * loads, as the handlers do: the stage must be that namespace, or the grants would name
 * addresses the stack does not register.
 */
export function schedulerApp(options: SchedulerAppOptions = {}): { app: App; stack: SchedulerStack } {
  const app = new App({
    ...(options.outdir === undefined ? {} : { outdir: options.outdir }),
    // No stack bundles its assets: the template is the same, only the code asset is a placeholder.
    ...(options.bundling === false ? { context: { 'aws:cdk:bundling-stacks': [] } } : {}),
  })
  const namespace = process.env.CLOUDMAP_NAMESPACE ?? 'dev'
  const stage = String(app.node.tryGetContext('stage') ?? namespace)
  if (stage !== namespace) {
    throw new Error(
      `stage ${stage}: src/services.ts declares its addresses in namespace ${namespace}; run with CLOUDMAP_NAMESPACE=${stage}`,
    )
  }
  const stack = new SchedulerStack(app, `Scheduler-${stage}`, {
    stage,
    description: 'Job scheduler whose functions, queue, topic and table find each other through AWS Cloud Map (cloudmap-middy example)',
  })
  return { app, stack }
}
