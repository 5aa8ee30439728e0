// A template the CDK CLI synthesized with bundling: each function's staged bundle is found from
// its aws:asset:path metadata, with no --handler, and checked as deployed.
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import { check } from '../../src/check.js'

const template = join(dirname(fileURLToPath(import.meta.url)), '..', 'cdk-out', 'App.template.json')

describe('a CDK cloud assembly with staged assets', () => {
  it("loads each function's bundle from aws:asset:path and checks it; inline code is skipped", async () => {
    const report = await check(template)
    expect(report.problems).toEqual([])
    expect(report.functions.map((fn) => [fn.logicalId, fn.status, fn.handler ?? fn.reason])).toEqual([
      ['GetJob2FA3064D', 'skipped', 'its code is inline in the template'],
      ['CallerD3978DB8', 'ok', `${join('packages', 'check', 'test', 'cdk-out', 'asset.caller', 'index.mjs')}#handler`],
    ])
    const findings = report.functions[1]?.dependencies[0]?.findings.filter((f) => f.check === 'call')
    expect(findings).toEqual([
      {
        check: 'call',
        ok: true,
        access: {
          action: 'lambda:InvokeFunction',
          resource: 'arn:aws:lambda:us-east-1:123456789012:function:get-job-dev',
          shown: 'arn:aws:lambda:us-east-1:123456789012:function:get-job-dev',
          by: 'policy CallerRoleDefaultPolicy8A703E68',
        },
        detail:
          'lambda:InvokeFunction on arn:aws:lambda:us-east-1:123456789012:function:get-job-dev allowed by policy CallerRoleDefaultPolicy8A703E68',
      },
    ])
  }, 60_000)

  it('fails the function when its policy loses the invoke statement, naming the function and the address', async () => {
    const original = JSON.parse(readFileSync(template, 'utf8'))
    const policy = original.Resources.CallerRoleDefaultPolicy8A703E68.Properties.PolicyDocument
    policy.Statement = policy.Statement.filter((statement: { Action: string }) => statement.Action !== 'lambda:InvokeFunction')
    // Beside the original, so that aws:asset:path still points at the staged bundle.
    const mutated = join(dirname(template), `Mutated-${process.pid}.template.json`)
    writeFileSync(mutated, JSON.stringify(original))
    try {
      const report = await check(mutated)
      expect(report.problems.map((p) => `${p.function} ${p.address} ${p.check}: ${p.detail}`)).toEqual([
        'CallerD3978DB8 dev.scheduler->get-job call: dev.scheduler->get-job: no statement allows lambda:InvokeFunction on arn:aws:lambda:us-east-1:123456789012:function:get-job-dev',
      ])
    } finally {
      rmSync(mutated)
    }
  }, 60_000)
})
