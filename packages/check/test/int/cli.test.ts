// The `cloudmap-middy` command as a user runs it (the real bin, in a process of its own): its
// table, its JSON, its exit codes (0 all good, 1 a failure, 2 bad usage) and its colour rules.
// The bin runs the compiled package: `tsc -b packages/core packages/middy packages/check` first.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..')
const bin = join(root, 'packages', 'check', 'bin', 'cloudmap-middy.js')
const pricing = 'examples/pricing/template.yaml'
const declarations = 'packages/check/test/fixtures/declarations/template.yaml'
const ESC = '\u001b['

/** The environment of the command: this one without the colour settings, plus `extra`. */
function environment(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.NO_COLOR
  delete env.FORCE_COLOR
  return { ...env, ...extra }
}

/** Runs `cloudmap-middy <args>` from the repository root, without a terminal. */
function run(args: readonly string[], extra: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: environment(extra), timeout: 50_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

/** A template whose Stage parameter has no default. */
function templateWithoutDefault(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'check-cli-')), 'template.json')
  writeFileSync(
    path,
    JSON.stringify({
      Transform: 'AWS::Serverless-2016-10-31',
      Parameters: { Stage: { Type: 'String' } },
      Resources: { Namespace: { Type: 'AWS::ServiceDiscovery::HttpNamespace', Properties: { Name: { Ref: 'Stage' } } } },
    }),
  )
  return path
}

describe('cloudmap-middy check: the report', () => {
  it('exits 0 on the pricing example and prints its table: header, a ✓ row for dev-shop.pricing, the summary', () => {
    const { status, stdout, stderr } = run(['check', pricing])
    expect(stderr).toBe('')
    expect(status).toBe(0)
    const lines = stdout.split('\n')
    expect(lines[0]).toBe(`cloudmap-middy check ${pricing}`)
    expect(lines[1]).toBe(
      'SAM template · Stage=dev · PricingHostA=10.0.1.10 · PricingPortA=8080 · PricingHostB=10.0.2.10 · PricingPortB=8080 · SubnetIds= · SecurityGroupIds= · region us-east-1 · account 123456789012',
    )
    expect(lines).toContain('✓ QuoteFunction (quote-dev)  examples/pricing/src/handlers/quote.ts#handler')
    expect(lines).toContain('  ✓ pricing  http()  dev-shop.pricing  instances pricing-a, pricing-b (http) · DiscoverInstances')
    expect(lines.at(-2)).toBe(
      "✓ 1 function, 1 dependency: every dependency is registered, of its kind's type, valid for its schema and permitted",
    )
    expect(lines.at(-1)).toBe('')
    // Not a terminal (spawnSync pipes stdout): no colour.
    expect(stdout).not.toContain(ESC)
  }, 60_000)

  it('exits 1 on a failing fixture, the summary naming the function, the address and the check', () => {
    const { status, stdout, stderr } = run(['check', declarations])
    expect(stderr).toBe('')
    expect(status).toBe(1)
    const lines = stdout.split('\n')
    expect(lines).toContain('  ✗ zoneC           instance()  fixtures.config')
    expect(lines).toContain(
      '      registered: fixtures.config: no instance of fixtures.config has the attributes of its queryParameters {"zone":"c"}',
    )
    expect(lines.slice(-3)).toEqual([
      '✗ 1 problem in 1 function, 5 dependencies:',
      '  ✗ DeclarationsFunction fixtures.config: registered',
      '',
    ])
  }, 60_000)

  it('exits 1 when --param AWS::AccountId moves the template’s ARNs out of the resolver’s allowedAccounts', () => {
    const policy = 'packages/check/test/fixtures/target-policy/template.yaml'
    const skip = ['--skip', 'ForeignCallerFunction', '--skip', 'WebFunction']
    expect(run(['check', policy, ...skip]).status).toBe(0)
    const { status, stdout, stderr } = run(['check', policy, ...skip, '--param', 'AWS::AccountId=999999999999'])
    expect(stderr).toBe('')
    expect(status).toBe(1)
    const lines = stdout.split('\n')
    expect(lines[1]).toBe('SAM template · region us-east-1 · account 999999999999')
    const reason = lines.find((line) => line.startsWith('      target policy: '))
    expect(reason).toMatch(/DisallowedTargetError: .*"echo" of "fixtures\.workers->echo"/)
    expect(reason).toContain('arn:aws:lambda:us-east-1:999999999999:function:fixtures-echo')
    expect(lines.slice(-3)).toEqual([
      '✗ 1 problem in 1 function, 1 dependency, 3 skipped:',
      '  ✗ CallerFunction fixtures.workers->echo: target policy',
      '',
    ])
  }, 60_000)

  it('prints the report as JSON with --json, exit code 1 when it has a problem', () => {
    const { status, stdout, stderr } = run(['check', declarations, '--json'])
    expect(stderr).toBe('')
    expect(status).toBe(1)
    const report = JSON.parse(stdout)
    expect(report).toMatchObject({
      template: declarations,
      form: 'sam',
      region: 'us-east-1',
      account: '123456789012',
      live: false,
      ok: false,
    })
    expect(report.problems).toEqual([
      {
        function: 'DeclarationsFunction',
        address: 'fixtures.config',
        check: 'registered',
        detail: 'fixtures.config: no instance of fixtures.config has the attributes of its queryParameters {"zone":"c"}',
      },
    ])
    expect(report.functions.map((f: { logicalId: string; status: string }) => `${f.logicalId} ${f.status}`)).toEqual([
      'DeclarationsFunction failed',
    ])
    expect(report.functions[0].dependencies).toHaveLength(5)
    expect(stdout).not.toContain(ESC)
  }, 60_000)
})

describe('cloudmap-middy: bad usage exits 2 with a message on stderr', () => {
  it.each([
    ['no arguments', [], 'cloudmap-middy: no command (see cloudmap-middy --help)'],
    ['an unknown command', ['frobnicate', pricing], 'cloudmap-middy: unknown command "frobnicate" (see cloudmap-middy --help)'],
    ['no template', ['check'], 'cloudmap-middy: no template (see cloudmap-middy --help)'],
    ['a second template', ['check', pricing, declarations], `cloudmap-middy: unexpected ${declarations} (see cloudmap-middy --help)`],
    ['--param without =', ['check', pricing, '--param', 'Stage'], 'cloudmap-middy: --param Stage: expected Name=Value'],
    [
      'a --param the template lacks',
      ['check', pricing, '--param', 'Colour=blue'],
      'cloudmap-middy: --param Colour: the template has no parameter Colour',
    ],
    [
      '--handler naming no function',
      ['check', pricing, '--handler', 'PriceFunction=src/price.ts'],
      'cloudmap-middy: --handler PriceFunction: the template has no function PriceFunction (by logical id or FunctionName)',
    ],
    [
      '--skip naming no function',
      ['check', pricing, '--skip', 'PriceFunction'],
      'cloudmap-middy: --skip PriceFunction: the template has no function PriceFunction (by logical id or FunctionName)',
    ],
    [
      '--timeout-ms abc',
      ['check', pricing, '--timeout-ms', 'abc'],
      'cloudmap-middy: --timeout-ms abc: expected a whole number of milliseconds',
    ],
    ['--timeout-ms 0', ['check', pricing, '--timeout-ms', '0'], 'cloudmap-middy: --timeout-ms 0: expected a whole number of milliseconds'],
  ])(
    'on %s',
    (_, args, message) => {
      const { status, stdout, stderr } = run(args)
      expect(status).toBe(2)
      expect(stdout).toBe('')
      expect(stderr.split('\n')[0]).toBe(message)
    },
    60_000,
  )

  it('on an unknown option, naming it on one line that points at --help', () => {
    const { status, stdout, stderr } = run(['check', pricing, '--bogus'])
    expect(status).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe("cloudmap-middy: Unknown option '--bogus' (see cloudmap-middy --help)\n")
  }, 60_000)

  it('on a parameter value its AllowedPattern refuses, as CloudFormation would', () => {
    const { status, stderr } = run(['check', 'examples/scheduler/template.yaml', '--param', 'Stage=Prod_1'])
    expect(status).toBe(2)
    expect(stderr).toBe('cloudmap-middy: parameter Stage: "Prod_1" does not match its AllowedPattern ^[a-z][a-z0-9-]{0,20}$\n')
  }, 60_000)

  it('on a template file that does not exist, naming it', () => {
    const { status, stdout, stderr } = run(['check', 'examples/pricing/no-such-template.yaml'])
    expect(status).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toMatch(/^cloudmap-middy: examples\/pricing\/no-such-template\.yaml: ENOENT: no such file or directory/)
  }, 60_000)

  it('on a parameter with no default that is not given', () => {
    const path = templateWithoutDefault()
    const { status, stdout, stderr } = run(['check', path])
    expect(status).toBe(2)
    expect(stdout).toBe('')
    expect(stderr).toBe('cloudmap-middy: parameter Stage has no default: give --param Stage=<value>\n')
    // Given, the same template is read (and has no function to check).
    const given = run(['check', path, '--param', 'Stage=qa'])
    expect(given.status).toBe(0)
    expect(given.stdout).toContain('SAM template · Stage=qa · region us-east-1 · account 123456789012')
  }, 60_000)
})

describe('cloudmap-middy: help, version and colour', () => {
  it('prints the usage on stdout and exits 0 with --help (and -h)', () => {
    for (const flag of ['--help', '-h']) {
      const { status, stdout, stderr } = run([flag])
      expect(status).toBe(0)
      expect(stderr).toBe('')
      expect(stdout.split('\n')[0]).toBe('Usage: cloudmap-middy check <template> [options]')
      expect(stdout).toContain('Exit code: 0 when every check passes, 1 when one fails, 2 when the check cannot run (bad usage,')
    }
  }, 60_000)

  it("prints the package's version with --version", () => {
    const { version } = JSON.parse(readFileSync(join(root, 'packages', 'check', 'package.json'), 'utf8')) as { version: string }
    const { status, stdout } = run(['--version'])
    expect(status).toBe(0)
    expect(stdout).toBe(`${version}\n`)
  }, 60_000)

  it('colours ✓ and ✗ with FORCE_COLOR=1, and never with NO_COLOR=1 (even with FORCE_COLOR=1)', () => {
    const forced = run(['check', pricing], { FORCE_COLOR: '1' })
    expect(forced.status).toBe(0)
    expect(forced.stdout).toContain(`${ESC}32m✓${ESC}0m QuoteFunction`)
    const plain = run(['check', pricing], { NO_COLOR: '1' })
    expect(plain.status).toBe(0)
    expect(plain.stdout).not.toContain(ESC)
    expect(plain.stdout).toContain('✓ QuoteFunction (quote-dev)')
    const both = run(['check', pricing], { NO_COLOR: '1', FORCE_COLOR: '1' })
    expect(both.stdout).not.toContain(ESC)
  }, 60_000)

  it('runs as `pnpm exec cloudmap-middy` from the repository root', () => {
    const result = spawnSync('npx', ['-y', 'pnpm@10.34.9', 'exec', 'cloudmap-middy', '--help'], {
      cwd: root,
      encoding: 'utf8',
      env: environment(),
      timeout: 50_000,
    })
    expect(result.status).toBe(0)
    expect(result.stdout.split('\n')[0]).toBe('Usage: cloudmap-middy check <template> [options]')
  }, 60_000)
})
