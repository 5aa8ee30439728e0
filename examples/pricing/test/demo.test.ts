import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runScenario } from '@cloudmap-middy/sam-local'
import { describe, expect, it } from '@jest/globals'

const example = join(dirname(fileURLToPath(import.meta.url)), '..')

describe('Example: pricing, an HTTP service with failover, run locally', () => {
  it('It should keep answering quotes through the second host when the first one dies', () => {
    const run = runScenario(example)

    expect(run.status).toBe(0)
    const { outcome } = run
    expect(outcome.healthy).toMatchObject({ ok: 20, failed: 0 })
    expect(Object.keys(outcome.healthy.byHost).sort()).toEqual(['pricing-a', 'pricing-b'])
    expect(outcome.degraded).toEqual({ ok: 20, failed: 0, byHost: { 'pricing-b': 20 } })
    expect(run.stdout).toContain('pricing-a did not answer')
  }, 120_000)
})
