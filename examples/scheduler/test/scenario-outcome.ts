// What `pnpm demo`'s scenario ends with, whichever form deployed the scheduler (SAM, the CDK, the
// Serverless Framework): one set of expectations, so the three forms are held to the same outcome.
import type { ScenarioRun } from '@cloudmap-middy/sam-local'
import { expect } from '@jest/globals'

/** Asserts the scenario passed with the scheduler's outcome; gives the outcome for a form's own checks. */
// biome-ignore lint/suspicious/noExplicitAny: the outcome is the scenario's JSON report
export function expectSchedulerOutcome(run: ScenarioRun): any {
  // The run's last lines say why, when it failed.
  expect({ status: run.status, output: run.status === 0 ? '' : run.stdout.slice(-4000) }).toEqual({ status: 0, output: '' })
  const { outcome } = run
  expect(outcome.scheduled).toEqual({ status: 202, id: expect.stringMatching(/^[0-9a-f-]{36}$/) })
  expect(outcome.rejected).toBe(400)
  expect(outcome.job).toMatchObject({ id: outcome.scheduled.id, name: 'nightly-report', status: 'done' })
  expect(outcome.missing).toBe(404)
  // The worker's Job Done event, delivered by a rule on the bus (local/run.ts) to a queue.
  expect(outcome.events).toEqual([
    { source: 'scheduler', detailType: 'Job Done', detail: { jobId: outcome.scheduled.id, doneAt: outcome.job.doneAt } },
  ])
  // The same five registrations (their order depends on the form).
  expect([...outcome.registered].sort()).toEqual([
    'dev.events->job-bus',
    'dev.events->job-events',
    'dev.scheduler->get-job',
    'dev.scheduler->scheduler-queue',
    'dev.storage->jobs-table',
  ])
  // One DiscoverInstances per service per container: schedule-job 3, worker 2, get-job 1, jobs-api 1.
  expect(outcome.cloudMap.discover).toBe(7)
  return outcome
}
