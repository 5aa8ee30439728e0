import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runScenario } from '@cloudmap-middy/sam-local'
import { describe, expect, it } from '@jest/globals'
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
    expect(run.status).toBe(0)
    const { outcome } = run
    expect(outcome.scheduled).toEqual({ status: 202, id: expect.stringMatching(/^[0-9a-f-]{36}$/) })
    expect(outcome.rejected).toBe(400)
    expect(outcome.job).toMatchObject({ id: outcome.scheduled.id, name: 'nightly-report', status: 'done' })
    expect(outcome.missing).toBe(404)
    // The worker's Job Done event, delivered by a rule on the bus (local/run.ts) to a queue.
    expect(outcome.events).toEqual([
      { source: 'scheduler', detailType: 'Job Done', detail: { jobId: outcome.scheduled.id, doneAt: outcome.job.doneAt } },
    ])
    expect(run.stdout).toContain(`put Job Done for ${outcome.scheduled.id} on dev.events->job-bus`)
    // The same five registrations; the CDK orders them by service (the instances are children of their service).
    expect([...outcome.registered].sort()).toEqual([
      'dev.events->job-bus',
      'dev.events->job-events',
      'dev.scheduler->get-job',
      'dev.scheduler->scheduler-queue',
      'dev.storage->jobs-table',
    ])
    expect(outcome.cloudMap.discover).toBe(7)
  }, 120_000)
})
