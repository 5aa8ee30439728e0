import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeLocalTemplate } from '@cloudmap-middy/sam-local'
import { schedulerApp } from './app.js'

/**
 * Synthesizes the CDK app (no bundling: the local runner runs the handlers from source) and
 * writes its template in the shape the local runner reads; returns the file's path.
 */
export function writeSchedulerLocalTemplate(): string {
  const { app, stack } = schedulerApp({ outdir: mkdtempSync(join(tmpdir(), 'scheduler-cdk-')), bundling: false })
  const template = app.synth().getStackByName(stack.stackName).template
  return writeLocalTemplate(template, stack.handlerModules, stack.stackName)
}
