// `check(…, { live: true })` (`--live`) on the pricing example against a real moto server: what
// Cloud Map holds now is bound like the template's instances, and each disagreement is a `live`
// problem naming the function and the address (and the instance, where there is one).
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type CheckReport, check } from '@cloudmap-middy/check'
import { MotoResources, type MotoServer, startMoto } from '@cloudmap-middy/moto-harness'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..')
const pricing = join(root, 'examples', 'pricing', 'template.yaml')
const attacks = join(root, 'packages', 'check', 'test', 'fixtures', 'sandbox', 'escape.yaml')

/** pricing-a as the template registers it (Stage=dev, the default hosts). */
const PRICING_A = { type: 'http', AWS_INSTANCE_IPV4: '10.0.1.10', AWS_INSTANCE_PORT: '8080', zone: 'a' }

/** The failures as `function address check`, for comparison. */
const failures = (report: CheckReport) => report.problems.map((p) => `${p.function} ${p.address ?? '-'} ${p.check}`)

/** The `live` findings of QuoteFunction's one dependency. */
const liveFindings = (report: CheckReport) =>
  report.functions
    .find((fn) => fn.logicalId === 'QuoteFunction')
    ?.dependencies.flatMap((d) => d.findings.filter((finding) => finding.check === 'live'))

const KEYS = ['AWS_ENDPOINT_URL', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const

describe('cloudmap-middy check --live (moto)', () => {
  let moto: MotoServer
  let cloudMap: MotoResources
  const saved: Partial<Record<(typeof KEYS)[number], string>> = {}

  beforeAll(async () => {
    moto = await startMoto()
  }, 60_000)
  afterAll(async () => {
    await moto?.stop()
  })

  beforeEach(async () => {
    await moto.reset()
    cloudMap = new MotoResources(moto.endpoint)
    for (const key of KEYS) {
      const value = process.env[key]
      if (value === undefined) delete saved[key]
      else saved[key] = value
    }
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
    })
  })
  afterEach(() => {
    for (const key of KEYS) {
      const value = saved[key]
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  })

  it('passes when Cloud Map holds an instance that binds, listing it in a live finding', async () => {
    await cloudMap.register('dev-shop', 'pricing', 'pricing-a', PRICING_A)
    const report = await check(pricing, { live: true })
    expect(report.problems).toEqual([])
    expect(report.ok).toBe(true)
    expect(report.live).toBe(true)
    const [dependency] = report.functions[0]?.dependencies ?? []
    expect(dependency?.address).toBe('dev-shop.pricing')
    expect(dependency?.findings.map((f) => f.check)).toEqual(['registered', 'type', 'attributes', 'discover', 'live'])
    expect(liveFindings(report)).toEqual([{ check: 'live', ok: true, instances: ['pricing-a'], detail: 'registered now: pricing-a' }])
  }, 60_000)

  it('fails on each instance Cloud Map holds that does not bind (a type, an attribute), naming the address and the instance', async () => {
    await cloudMap.register('dev-shop', 'pricing', 'pricing-a', PRICING_A)
    await cloudMap.register('dev-shop', 'pricing', 'pricing-q', {
      type: 'sqs',
      url: 'https://sqs.us-east-1.amazonaws.com/123456789012/pricing',
    })
    const { zone: _, ...withoutZone } = PRICING_A
    await cloudMap.register('dev-shop', 'pricing', 'pricing-c', withoutZone)
    const report = await check(pricing, { live: true })
    expect(failures(report)).toEqual(['QuoteFunction dev-shop.pricing live', 'QuoteFunction dev-shop.pricing live'])
    const details = report.problems.map((p) => p.detail).sort()
    expect(details).toHaveLength(2)
    expect(details[0]).toMatch(/^AttributeValidationError: .*"pricing-c".*dev-shop\.pricing.*zone/)
    expect(details[1]).toMatch(/^InstanceTypeMismatchError: .*"pricing-q" of "dev-shop\.pricing".*"sqs"/)
    // The template's own instances still pass: only the live findings fail.
    expect(report.functions[0]?.dependencies[0]?.findings.filter((f) => f.check !== 'live').every((f) => f.ok)).toBe(true)
  }, 60_000)

  it('fails when Cloud Map has the service but no instance of it', async () => {
    await cloudMap.service('dev-shop', 'pricing')
    const report = await check(pricing, { live: true })
    expect(failures(report)).toEqual(['QuoteFunction dev-shop.pricing live'])
    expect(report.problems[0]?.detail).toBe('Cloud Map has no instance at dev-shop.pricing')
  }, 60_000)

  it('fails when the namespace the template registers is not in Cloud Map (Stage=qa: qa-shop)', async () => {
    await cloudMap.register('dev-shop', 'pricing', 'pricing-a', PRICING_A)
    const report = await check(pricing, { live: true, parameters: { Stage: 'qa' } })
    expect(report.parameters.Stage).toBe('qa')
    expect(failures(report)).toEqual(['QuoteFunction qa-shop.pricing live'])
    expect(report.problems[0]?.detail).toMatch(/^qa-shop\.pricing: NamespaceNotFoundError: Cloud Map namespace "qa-shop" does not exist/)
    // Against the template alone, qa passes: qa-shop.pricing is registered there.
    const findings = report.functions[0]?.dependencies[0]?.findings ?? []
    expect(findings.filter((f) => !f.ok).map((f) => f.check)).toEqual(['live'])
  }, 60_000)

  it('binds a queue whose URL is on the custom endpoint the caller set (moto, LocalStack): no live refusal', async () => {
    await cloudMap.register('sandbox', 'svc', 'jobs', {
      type: 'sqs',
      url: `${moto.endpoint}/123456789012/jobs`,
      arn: 'arn:aws:sqs:us-east-1:123456789012:jobs',
    })
    const skip = ['EscapeFunction', 'ForgeFunction', 'HangFunction', 'BusyFunction', 'HelperFunction', 'StopFunction', 'UntargetedFunction']
    const report = await check(attacks, { live: true, skip })
    // Its role does not allow DiscoverInstances (the fixture's point): that is the one failure.
    expect(failures(report)).toEqual(['OptionsFunction sandbox.svc->jobs discover'])
    const findings = report.functions.find((fn) => fn.logicalId === 'OptionsFunction')?.dependencies[0]?.findings
    expect(findings?.filter((f) => f.check === 'live')).toEqual([
      { check: 'live', ok: true, detail: 'registered now: jobs', instances: ['jobs'] },
    ])
  }, 60_000)
})
