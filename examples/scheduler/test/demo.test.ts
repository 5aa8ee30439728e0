import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runScenario } from '@cloudmap-middy/sam-local'
import { describe, expect, it } from '@jest/globals'
import { expectSchedulerOutcome } from './scenario-outcome.js'

const example = join(dirname(fileURLToPath(import.meta.url)), '..')

describe('Example: scheduler, run locally end to end', () => {
  it('It should schedule a job, run it in the worker, put Job Done on the bus and return it through jobs-api and get-job', () => {
    // Act: the same program as `pnpm demo`, in its own process as a user runs it
    const run = runScenario(example)

    const outcome = expectSchedulerOutcome(run)
    expect(run.stdout).toContain(`put Job Done for ${outcome.scheduled.id} on dev.events->job-bus`)
    expect(outcome.registered).toEqual([
      'dev.scheduler->scheduler-queue',
      'dev.events->job-events',
      'dev.events->job-bus',
      'dev.storage->jobs-table',
      'dev.scheduler->get-job',
    ])
    expect(run.stdout).toContain("cloud map: cache hit { address: 'dev.scheduler->get-job'")
    // One miss per cold key (the prefetch's request; the first invocation waits for it without a second miss).
    expect(outcome.cloudMap.misses).toBe(7)
    // The metrics the functions' logMetrics flushed (EMF), and the discovery spans (local/otel.ts).
    expect(outcome.metrics.CloudMapCacheHit).toBeGreaterThan(0)
    expect(outcome.metrics.CloudMapCacheMiss).toBeGreaterThan(0)
    expect(Object.keys(outcome.spans)).toEqual(
      expect.arrayContaining(['discover dev.storage (miss, changed)', 'discover dev.scheduler (miss, changed)']),
    )
    expect(run.stdout).toMatch(/stopped pid \d+/)
  }, 120_000)
})
