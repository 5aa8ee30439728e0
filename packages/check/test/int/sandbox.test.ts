// What a handler module can reach while the check loads it (no caller credentials, no network,
// with --live too), and a dependency resolved by a resolver the module creates itself.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type StandIn, startStandIn } from '@cloudmap-middy/moto-harness'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { check } from '../../src/check.js'

const template = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'sandbox', 'template.yaml')
let standIn: StandIn

beforeAll(async () => {
  standIn = await startStandIn()
})
afterAll(async () => {
  await standIn.close()
})

/** Runs `body` with these variables set in this process, then puts them back. */
async function withEnv<T>(variables: Record<string, string>, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(Object.keys(variables).map((key) => [key, process.env[key]]))
  Object.assign(process.env, variables)
  try {
    return await body()
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  }
}

const caller = { AWS_ACCESS_KEY_ID: 'AKIACALLER', AWS_SECRET_ACCESS_KEY: 'caller-secret', AWS_SESSION_TOKEN: 'caller-token' }

describe('the process a handler module is loaded in', () => {
  it('has no network and none of the caller credentials, with --live too: the probe module loads, and the stand-in sees nothing', async () => {
    for (const live of [false, true]) {
      const report = await withEnv({ ...caller, AWS_ENDPOINT_URL: standIn.origin, AWS_REGION: 'us-east-1' }, () =>
        check(template, { parameters: { ProbeUrl: `${standIn.origin}/probe` }, live }),
      )
      const probe = report.functions.find((fn) => fn.logicalId === 'ProbeFunction')
      expect(probe?.reason).toBeUndefined()
      expect(probe?.dependencies.map((d) => d.address)).toEqual(['sandbox.svc->jobs'])
    }
    // With --live the check itself asks Cloud Map (here: the stand-in), from its own process.
    expect(standIn.requests.filter((request) => request.path === '/probe')).toEqual([])
  }, 60_000)

  it('checks a dependency given to no middleware against the resolver the module creates: its allowlist and revision revalidation', async () => {
    const report = await check(template)
    expect(report.problems.filter((p) => p.function === 'PlainFunction').map((p) => `${p.address} ${p.check}`)).toEqual([
      'sandbox.svc->jobs target policy',
      'sandbox.svc->jobs discover',
    ])
    const plain = report.functions.find((fn) => fn.logicalId === 'PlainFunction')
    expect(plain?.dependencies[0]?.by).toBe('module scope')
    expect(plain?.dependencies[0]?.findings.find((f) => f.check === 'discover' && !f.ok)?.detail).toMatch(
      /^sandbox\.svc->jobs: no statement allows servicediscovery:DiscoverInstancesRevision/,
    )
  }, 60_000)
})
