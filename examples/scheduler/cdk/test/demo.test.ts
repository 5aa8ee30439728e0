import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runScenario } from '@cloudmap-middy/sam-local'
import { describe, expect, it } from '@jest/globals'
import { expectSchedulerOutcome } from '../../test/scenario-outcome.js'
import { writeSchedulerLocalTemplate } from '../local-template.js'

const example = join(dirname(fileURLToPath(import.meta.url)), '..', '..')

describe('Example: scheduler, its CDK app run locally end to end', () => {
  it('It should run the same scenario from the template the CDK synthesizes', () => {
    // Prepare: app.synth() in-process, the template rewritten for the local runner
    const template = writeSchedulerLocalTemplate()
    process.env.DEMO_TEMPLATE = template

    // Act: the scenario of `pnpm demo`, in its own process, on that template
    const run = runScenario(example)

    // Assess
    expect(run.stdout).toContain(`provision ${template}`)
    const outcome = expectSchedulerOutcome(run)
    expect(run.stdout).toContain(`put Job Done for ${outcome.scheduled.id} on dev.events->job-bus`)
  }, 120_000)
})
