// `check()` on the small SAM apps of test/fixtures: what the scheduler example does not exercise.
// The target policy of a handler's own resolver, a dependency at module scope, an optional one,
// queryParameters, handler modules that cannot be checked, functions that are not, and a module
// that calls Cloud Map while it loads (nothing may leave the check).
import { spawn } from 'node:child_process'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { type CheckReport, check } from '@cloudmap-middy/check'
import { type StandIn, startStandIn } from '@cloudmap-middy/moto-harness'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'

const here = dirname(fileURLToPath(import.meta.url))
const fixtures = join(here, '..', 'fixtures')
const template = (name: string) => join(fixtures, name, 'template.yaml')

/** The failures as `function address check`, for comparison. */
const failures = (report: CheckReport) => report.problems.map((p) => `${p.function} ${p.address ?? '-'} ${p.check}`)

/** Each function as `logicalId status`. */
const statuses = (report: CheckReport) => report.functions.map((fn) => `${fn.logicalId} ${fn.status}`)

/** Each dependency as `function name by kind address ✓/✗`. */
const rows = (report: CheckReport) =>
  report.functions.flatMap((fn) =>
    fn.dependencies.map((d) => `${fn.logicalId} ${d.name ?? '-'} ${d.by} ${d.kind} ${d.address} ${d.ok ? '✓' : '✗'}`),
  )

/** The one function of the report with this logical id. */
function fn(report: CheckReport, logicalId: string) {
  const found = report.functions.find((f) => f.logicalId === logicalId)
  if (!found) throw new Error(`no function ${logicalId} in the report`)
  return found
}

/** The one dependency of the function given to the middleware under `name` (or declared at module scope). */
function dependency(report: CheckReport, logicalId: string, name: string | undefined) {
  const found = fn(report, logicalId).dependencies.find((d) => d.name === name)
  if (!found) throw new Error(`no dependency ${name} of ${logicalId} in the report`)
  return found
}

describe("check: the target policy of the handler's resolver", () => {
  const path = template('target-policy')

  it('passes a lambda() dependency whose instance is the stack’s own function (!GetAtt Fn.Arn) in the allowed account', async () => {
    const report = await check(path, { skip: ['ForeignCallerFunction', 'WebFunction'] })
    expect(report.problems).toEqual([])
    expect(report.ok).toBe(true)
    expect(statuses(report)).toEqual(['EchoFunction skipped', 'CallerFunction ok', 'ForeignCallerFunction skipped', 'WebFunction skipped'])
    expect(dependency(report, 'CallerFunction', 'echo').findings).toEqual([
      { check: 'registered', ok: true, instances: ['echo'], detail: 'instance echo' },
      { check: 'type', ok: true, types: ['lambda'], detail: 'lambda' },
      { check: 'attributes', ok: true, detail: 'valid' },
      {
        check: 'discover',
        ok: true,
        access: {
          action: 'servicediscovery:DiscoverInstances',
          resource: 'arn:aws:servicediscovery:us-east-1:123456789012:namespace/ns-namespace',
          shown: 'fixtures.workers',
          by: 'inline policy #0',
        },
        detail: 'servicediscovery:DiscoverInstances on fixtures.workers allowed by inline policy #0',
      },
      {
        check: 'call',
        ok: true,
        access: {
          action: 'lambda:InvokeFunction',
          resource: 'arn:aws:lambda:us-east-1:123456789012:function:fixtures-echo',
          shown: 'arn:aws:lambda:us-east-1:123456789012:function:fixtures-echo',
          by: 'LambdaInvokePolicy',
        },
        detail: 'lambda:InvokeFunction on arn:aws:lambda:us-east-1:123456789012:function:fixtures-echo allowed by LambdaInvokePolicy',
      },
    ])
  }, 60_000)

  it('fails a literal ARN of another account (allowedAccounts) and an http() host outside allowedHosts, on target policy', async () => {
    const report = await check(path)
    expect(failures(report)).toEqual([
      'ForeignCallerFunction fixtures.workers->foreign target policy',
      'WebFunction fixtures.web target policy',
    ])
    expect(statuses(report)).toEqual(['EchoFunction skipped', 'CallerFunction ok', 'ForeignCallerFunction failed', 'WebFunction failed'])
    const [foreign, web] = report.problems
    expect(foreign?.detail).toMatch(/DisallowedTargetError: .*"foreign" of "fixtures\.workers->foreign"/)
    expect(foreign?.detail).toContain('arn:aws:lambda:us-east-1:999999999999:function:foreign')
    expect(foreign?.detail).toContain('account 999999999999 is not in allowedAccounts')
    expect(web?.detail).toMatch(/DisallowedTargetError: .*"web-a" of "fixtures\.web"/)
    expect(web?.detail).toContain('host 192.168.1.5 is not in allowedHosts (10.0.0.0/16)')
    // A refused target is not called: no call finding for it, and no type or attributes verdict either.
    expect(dependency(report, 'ForeignCallerFunction', 'foreign').findings.map((f) => `${f.check} ${f.ok}`)).toEqual([
      'registered true',
      'target policy false',
      'discover true',
    ])
  }, 60_000)

  it("fails the stack's own function when the template is read in another account (AWS::AccountId), naming the address", async () => {
    const report = await check(path, { parameters: { 'AWS::AccountId': '999999999999' } })
    expect(report.account).toBe('999999999999')
    expect(failures(report)).toEqual([
      'CallerFunction fixtures.workers->echo target policy',
      'ForeignCallerFunction fixtures.workers->foreign target policy',
      'WebFunction fixtures.web target policy',
    ])
    const caller = report.problems[0]
    expect(caller?.detail).toMatch(/DisallowedTargetError: .*"echo" of "fixtures\.workers->echo"/)
    expect(caller?.detail).toContain('arn:aws:lambda:us-east-1:999999999999:function:fixtures-echo')
    expect(caller?.detail).toContain('account 999999999999 is not in allowedAccounts')
  }, 60_000)
})

describe('check: what a handler module declares', () => {
  let report: CheckReport
  beforeAll(async () => {
    report = await check(template('declarations'))
  }, 60_000)

  it('lists every dependency in declaration order, a dependency given to no middleware last, by module scope', () => {
    expect(rows(report)).toEqual([
      'DeclarationsFunction flags cloudMap() instance() fixtures.config->flags ✓',
      'DeclarationsFunction audit cloudMap() queue() fixtures.audit->events ✓',
      'DeclarationsFunction zoneB cloudMap() instance() fixtures.config ✓',
      'DeclarationsFunction zoneC cloudMap() instance() fixtures.config ✗',
      'DeclarationsFunction - module scope instance() fixtures.config->defaults ✓',
    ])
    const orphan = dependency(report, 'DeclarationsFunction', undefined)
    expect(orphan).not.toHaveProperty('name')
    expect(orphan.findings[0]).toEqual({ check: 'registered', ok: true, instances: ['defaults'], detail: 'instance defaults' })
  })

  it('passes an optional() dependency the template does not register, saying it is optional', () => {
    const audit = dependency(report, 'DeclarationsFunction', 'audit')
    expect(audit.ok).toBe(true)
    expect(audit.findings[0]).toEqual({
      check: 'registered',
      ok: true,
      optional: true,
      unregistered: 'no service',
      detail: 'optional: fixtures.audit->events: namespace "fixtures" has no service "audit" (it has config)',
    })
    expect(report.problems.filter((p) => p.address === 'fixtures.audit->events')).toEqual([])
  })

  it('binds a queryParameters dependency to the instances it matches, and fails one that no instance matches on registered', () => {
    expect(dependency(report, 'DeclarationsFunction', 'zoneB').findings[0]).toEqual({
      check: 'registered',
      ok: true,
      instances: ['defaults'],
      detail: 'instance defaults',
    })
    expect(failures(report)).toEqual(['DeclarationsFunction fixtures.config registered'])
    expect(report.problems[0]?.detail).toBe(
      'fixtures.config: no instance of fixtures.config has the attributes of its queryParameters {"zone":"c"}',
    )
    expect(fn(report, 'DeclarationsFunction').status).toBe('failed')
    expect(report.ok).toBe(false)
  })
})

describe('check: handlers that cannot be checked, and functions that are not', () => {
  const broken = join(fixtures, 'broken')
  let report: CheckReport
  beforeAll(async () => {
    // FlagsFunction is a Node.js function that would pass: skipped by its FunctionName.
    report = await check(template('broken'), { skip: ['fixtures-flags'] })
  }, 60_000)

  it('reports exactly the three handler failures, in template order, and no skipped function as a problem', () => {
    expect(failures(report)).toEqual(['ThrowingFunction - handler', 'MisnamedExportFunction - handler', 'MissingModuleFunction - handler'])
    expect(statuses(report)).toEqual([
      'ThrowingFunction failed',
      'MisnamedExportFunction failed',
      'MissingModuleFunction failed',
      'ReportFunction skipped',
      'FlagsFunction skipped',
    ])
    expect(report.ok).toBe(false)
  })

  it("fails a function whose module throws while it loads, with the error's message", () => {
    const problem = report.problems.find((p) => p.function === 'ThrowingFunction')
    expect(problem?.detail).toMatch(/^handler module failed to load: /)
    expect(problem?.detail).toContain('TABLE_NAME is not set: this module cannot load')
    expect(problem).not.toHaveProperty('address')
    expect(fn(report, 'ThrowingFunction').dependencies).toEqual([])
  })

  it('fails a function whose Handler names an export the module does not have', () => {
    const module = relative(process.cwd(), join(broken, 'src', 'flags.ts'))
    expect(report.problems.find((p) => p.function === 'MisnamedExportFunction')?.detail).toBe(`${module}#main is not an exported function`)
    expect(fn(report, 'MisnamedExportFunction').handler).toBe(`${module}#main`)
  })

  it('fails a function whose Handler names no module in its CodeUri', () => {
    expect(report.problems.find((p) => p.function === 'MissingModuleFunction')?.detail).toBe(
      'handler module not found: no module nowhere{,.js,.mjs,.cjs,.ts,.mts,.cts} in src/',
    )
  })

  it('skips a function of another runtime, and a Node.js one named by --skip, saying why', () => {
    const skipped = report.functions.filter((f) => f.status === 'skipped').map((f) => `${f.logicalId}: ${f.reason}`)
    expect(skipped).toEqual(['ReportFunction: runtime python3.12 is not Node.js', 'FlagsFunction: skipped (--skip)'])
    expect(fn(report, 'FlagsFunction').dependencies).toEqual([])
  })
})

describe('check: a handler module that does not finish loading', () => {
  it('fails its function once the timeout has passed, saying so, and goes on', async () => {
    const report = await check(template('slow'), { timeoutMs: 1_000 })
    expect(report.problems).toEqual([
      { function: 'StuckFunction', check: 'handler', detail: 'handler module failed to load: the module did not load within 1000 ms' },
    ])
    expect(statuses(report)).toEqual(['StuckFunction failed'])
  }, 60_000)
})

describe('check: a handler module that calls Cloud Map while it loads', () => {
  const path = template('offline')
  const module = join(fixtures, 'offline', 'src', 'eager.ts')
  const keys = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION'] as const
  const credentials = { AWS_ACCESS_KEY_ID: 'AKIACHECKMUSTNOTLEAK', AWS_SECRET_ACCESS_KEY: 'check-must-not-leak' }
  let standIn: StandIn

  /** What reached the stand-in while `work` ran, as `method path namespace.service`. */
  async function sentDuring(work: () => Promise<unknown>): Promise<string[]> {
    const before = standIn.requests.length
    await work()
    return standIn.requests.slice(before).map((r) => {
      const body = JSON.parse(r.body) as { NamespaceName?: string; ServiceName?: string }
      return `${r.method} ${r.path} ${body.NamespaceName}.${body.ServiceName}`
    })
  }

  beforeAll(async () => {
    standIn = await startStandIn()
  })
  afterAll(async () => {
    await standIn?.close()
  })

  it('sends nothing to the endpoint and credentials of its caller, and still reports what the module declares', async () => {
    const saved = Object.fromEntries(keys.map((key) => [key, process.env[key]]))
    Object.assign(process.env, { AWS_ENDPOINT_URL: standIn.origin, AWS_REGION: 'us-east-1', ...credentials })
    let report: CheckReport | undefined
    try {
      expect(await sentDuring(async () => (report = await check(path)))).toEqual([])
    } finally {
      for (const key of keys) {
        if (saved[key] === undefined) delete process.env[key]
        else process.env[key] = saved[key]
      }
    }
    expect(report?.problems).toEqual([])
    expect(rows(report as CheckReport)).toEqual([
      'EagerFunction flags cloudMap() instance() fixtures.config->flags ✓',
      'EndpointFunction flags cloudMap() instance() fixtures.config->flags ✓',
      'DiscoveryEndpointFunction flags cloudMap() instance() fixtures.config->flags ✓',
    ])
  }, 60_000)

  // BUG: the function's environment from the template is applied over the check's closed-port
  // AWS_ENDPOINT_URL (collect.ts environmentOf), so a template that gives a function an AWS
  // endpoint of its own (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SERVICEDISCOVERY: a VPC endpoint,
  // LocalStack) has the module's calls sent there while the check loads it.
  it('sends nothing to an AWS endpoint the template gives the function (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_SERVICEDISCOVERY)', async () => {
    let report: CheckReport | undefined
    const sent = await sentDuring(async () => (report = await check(path, { parameters: { Endpoint: standIn.origin } })))
    expect(sent).toEqual([])
    expect(report?.problems).toEqual([])
  }, 60_000)

  it('(the control) loaded outside the check with that environment, the same module does reach the stand-in', async () => {
    const tsx = pathToFileURL(createRequire(join(here, '..', '..', 'package.json')).resolve('tsx/esm')).href
    const source = `await import(${JSON.stringify(pathToFileURL(module).href)}); process.exit(0)`
    let code: number | null = null
    const sent = await sentDuring(async () => {
      const child = spawn(process.execPath, ['--no-warnings', '--import', tsx, '--input-type=module', '-e', source], {
        env: { PATH: process.env.PATH, AWS_ENDPOINT_URL: standIn.origin, AWS_REGION: 'us-east-1', ...credentials },
        stdio: 'ignore',
      })
      code = await new Promise<number | null>((resolve) => child.once('exit', resolve))
    })
    expect(code).toBe(0)
    // The resolver's prefetch, then the module's own DiscoverInstances.
    expect(sent).toEqual(['POST / fixtures.config', 'POST / fixtures.config'])
  }, 60_000)
})

describe('check: names that Object.prototype also has', () => {
  it('checks a function `constructor` whose dependency is named `constructor` at constructor.toString->__proto__, and one named `toString`', async () => {
    const report = await check(template('names'), { handlers: {}, skip: [], calls: { constructor: ['send'] } })
    expect(statuses(report)).toEqual(['constructor ok', 'toString ok'])
    expect(rows(report)).toEqual(['constructor constructor cloudMap() queue() constructor.toString->__proto__ ✓'])
    expect(report.ok).toBe(true)
  }, 30_000)
})
