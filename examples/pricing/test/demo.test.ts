import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'

const example = join(dirname(fileURLToPath(import.meta.url)), '..')

describe('Example: pricing, an HTTP service with failover, run locally', () => {
  it('It should keep answering quotes through the second host when the first one dies', () => {
    const report = join(mkdtempSync(join(tmpdir(), 'pricing-demo-')), 'outcome.json')
    const run = spawnSync(process.execPath, ['--no-warnings', '--import', 'tsx', 'local/run.ts'], {
      cwd: example,
      env: { ...process.env, DEMO_REPORT: report },
      encoding: 'utf8',
      timeout: 90_000,
    })

    expect(run.status).toBe(0)
    const outcome = JSON.parse(readFileSync(report, 'utf8'))
    expect(outcome.healthy).toMatchObject({ ok: 20, failed: 0 })
    expect(Object.keys(outcome.healthy.byHost).sort()).toEqual(['pricing-a', 'pricing-b'])
    expect(outcome.degraded).toEqual({ ok: 20, failed: 0, byHost: { 'pricing-b': 20 } })
    expect(run.stdout).toContain('pricing-a did not answer')
  }, 120_000)
})
