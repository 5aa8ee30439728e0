// What a handler module can reach while the check loads it (no caller credentials, no network,
// with --live too), and a dependency resolved by a resolver the module creates itself.
import { spawn, spawnSync } from 'node:child_process'
import dgram from 'node:dgram'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type StandIn, startStandIn } from '@cloudmap-middy/moto-harness'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { type CheckReport, check } from '../../src/check.js'
import { TemplateError } from '../../src/model.js'

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'sandbox')
const template = join(fixtures, 'template.yaml')
const attacks = join(fixtures, 'escape.yaml')
const functions = [
  'EscapeFunction',
  'OptionsFunction',
  'ForgeFunction',
  'HangFunction',
  'BusyFunction',
  'HelperFunction',
  'StopFunction',
  'UntargetedFunction',
]
/** Every function of escape.yaml but these. */
const only = (...names: string[]) => functions.filter((name) => !names.includes(name))
let standIn: StandIn
// Loopback listeners: anything that reaches them got out.
let tcp: net.Server
let udp: dgram.Socket
const arrived: string[] = []

beforeAll(async () => {
  standIn = await startStandIn()
  tcp = net.createServer((socket) => {
    arrived.push(`tcp from ${socket.remotePort}`)
    socket.destroy()
  })
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve))
  udp = dgram.createSocket('udp4', () => arrived.push('udp'))
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve))
})
afterAll(async () => {
  await standIn.close()
  await new Promise((resolve) => tcp.close(resolve))
  udp.close()
})

/** Runs `body` with a caller's home directory holding ~/.aws/credentials, then removes it. */
async function withCallerHome(body: (home: string) => Promise<void>): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'caller-home-'))
  mkdirSync(join(home, '.aws'))
  writeFileSync(join(home, '.aws', 'credentials'), '[default]\naws_secret_access_key = caller-secret\n')
  try {
    await body(home)
  } finally {
    rmSync(home, { recursive: true, force: true })
  }
}

/** What escape.mjs is told: the test's listeners and the caller's home. */
const probeParameters = (home: string) => ({
  TcpPort: String((tcp.address() as net.AddressInfo).port),
  UdpPort: String(udp.address().port),
  CallerHome: home,
  CheckPid: String(process.pid),
})

const bin = join(fixtures, '..', '..', '..', 'bin', 'cloudmap-middy.js')

/** `cloudmap-middy check …` in a process of its own (this one keeps serving the listeners), to its exit. */
function cli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, 'check', ...args], { env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => {
      stdout += chunk
    })
    child.stderr.on('data', (chunk) => {
      stderr += chunk
    })
    child.on('close', (status) => resolve({ status, stdout, stderr }))
  })
}

/** The processes whose command line names `file` (Linux: /proc). */
function processesOf(file: string): string[] {
  if (!existsSync('/proc/self/cmdline')) return []
  return readdirSync('/proc').filter((pid) => {
    if (!/^\d+$/.test(pid) || Number(pid) === process.pid) return false
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(file)
    } catch {
      return false
    }
  })
}

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

describe('the sandbox, tried as an attacker would', () => {
  it('lets nothing out: no process, worker, socket of any kind, DNS server of its choosing, binding, credential file, parent environment or write', async () => {
    await withCallerHome(async (home) => {
      const report = await withEnv({ ...caller, HOME: home }, () =>
        check(attacks, { parameters: probeParameters(home), skip: only('EscapeFunction') }),
      )
      const probe = report.functions.find((fn) => fn.logicalId === 'EscapeFunction')
      expect(probe?.reason).toBeUndefined()
      expect(probe?.status).toBe('ok')
      expect(existsSync(join(home, 'written-by-the-module'))).toBe(false)
      expect(arrived).toEqual([])
      expect(report.isolation.applied).toEqual(expect.arrayContaining(['permission-model', 'socket-guard']))
      // Where the OS grants one, the check's process is not even visible from the module's.
      if (!report.isolation.missing.some((m) => m.layer === 'pid-namespace')) expect(report.isolation.applied).toContain('pid-namespace')
    })
  }, 60_000)

  it('lets nothing out without a network namespace either (unshare not found): the permission model and the socket guard hold alone, and the report says so', async () => {
    await withCallerHome(async (home) => {
      const parameters = Object.entries(probeParameters(home)).flatMap(([name, value]) => ['--param', `${name}=${value}`])
      const args = [attacks, ...parameters, ...only('EscapeFunction').flatMap((name) => ['--skip', name])]
      const env = { ...process.env, ...caller, HOME: home, PATH: join(home, 'no-such-bin') }
      const run = await cli([...args, '--json'], env)
      expect(run.status).toBe(0)
      const report = JSON.parse(run.stdout) as CheckReport
      expect(report.functions.find((fn) => fn.logicalId === 'EscapeFunction')?.status).toBe('ok')
      // network-permission too on the Node.js versions that have one (25+).
      expect(report.isolation.applied.filter((layer) => layer !== 'network-permission')).toEqual(['permission-model', 'socket-guard'])
      expect(report.isolation.missing.map((m) => m.layer)).toEqual(['network-namespace', 'pid-namespace'])
      expect(arrived).toEqual([])
      expect(existsSync(join(home, 'written-by-the-module'))).toBe(false)

      // --require-isolation loads nothing then: exit 2, naming the layer.
      const strict = await cli([...args, '--require-isolation'], env)
      expect(strict.status).toBe(2)
      expect(strict.stderr).toMatch(
        /isolation required, but for .*escape\.mjs network-namespace does not apply: unshare could not be run \(ENOENT\)/,
      )
    })
  }, 60_000)

  it('loads no module whose project links out of what it may read (the permission model reads through links): a usage error naming the link', async () => {
    await withCallerHome(async (home) => {
      const project = mkdtempSync(join(tmpdir(), 'linked-project-'))
      try {
        writeFileSync(join(project, 'package.json'), '{}')
        // Were the link read, the module would fail naming what it read.
        writeFileSync(
          join(project, 'app.mjs'),
          "import { readFileSync } from 'node:fs'\nlet read\ntry { read = readFileSync(new URL('./creds', import.meta.url), 'utf8') } catch {}\nif (read) throw new Error(`read ${read}`)\nexport const handler = async () => {}\n",
        )
        mkdirSync(join(project, 'lib'))
        symlinkSync(join(home, '.aws', 'credentials'), join(project, 'lib', 'creds'))
        symlinkSync(join(home, '.aws', 'credentials'), join(project, 'creds'))
        const template = join(project, 'template.yaml')
        writeFileSync(
          template,
          'Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: { Runtime: nodejs22.x, CodeUri: ., Handler: app.handler }\n',
        )
        const run = check(template)
        await expect(run).rejects.toThrow(TemplateError)
        await expect(run).rejects.toThrow(
          /^Fn: its handler module is not loaded: .*\/creds links to .*\/\.aws\/credentials, outside what a handler module may read/,
        )
      } finally {
        rmSync(project, { recursive: true, force: true })
      }
    })
  }, 60_000)

  it('ignores NODE_OPTIONS from the template: an --import=data: that forges a pass runs nowhere', async () => {
    const report = await check(attacks, { skip: only('OptionsFunction') })
    expect(report.problems.map((p) => `${p.function} ${p.address} ${p.check}`)).toEqual(['OptionsFunction sandbox.svc->jobs discover'])
  }, 60_000)

  it('rejects forged messages: no Cloud Map call for a namespace the module asks about, no forged pass', async () => {
    const report = await withEnv({ ...caller, AWS_ENDPOINT_URL: standIn.origin, AWS_REGION: 'us-east-1' }, () =>
      check(attacks, { skip: only('ForgeFunction'), live: true }),
    )
    const forge = report.functions.find((fn) => fn.logicalId === 'ForgeFunction')
    expect(forge?.status).toBe('failed')
    expect(forge?.reason).toMatch(/sent what the check does not accept/)
    expect(JSON.stringify(standIn.requests)).not.toMatch(/passwords/)
  }, 60_000)

  it("judges a binding's type and target from the template, not from the module's process: a forged bound message passes nothing", async () => {
    const report = await check(attacks, { skip: only('UntargetedFunction') })
    const forged = report.functions.find((fn) => fn.logicalId === 'UntargetedFunction')
    expect(forged?.status).toBe('failed')
    expect(report.problems.map((p) => `${p.address} ${p.check} ${p.detail}`)).toEqual([
      expect.stringMatching(/^sandbox\.svc->jobs call .*sqs:SendMessage.*arn:aws:sqs:us-east-1:123456789012:jobs/),
      'sandbox.svc->alerts type sandbox.svc->alerts instance alerts: its type is sns, queue() needs sqs',
      expect.stringMatching(/^sandbox\.svc->alerts call .*sqs:SendMessage.*arn:aws:sns:us-east-1:123456789012:alerts/),
    ])
  }, 60_000)

  it('ends a module that ignores SIGTERM within the timeout (a never-settling await, a busy loop, a stopped process): its process is gone', async () => {
    const report = await check(attacks, { skip: only('HangFunction', 'BusyFunction'), timeoutMs: 1000 })
    for (const name of ['HangFunction', 'BusyFunction']) {
      expect(report.functions.find((fn) => fn.logicalId === name)?.reason).toMatch(/did not load within 1000 ms/)
    }
    // A stop is ignored by PID 1 of a PID namespace: without unshare on PATH, the module's process stops for real.
    const stopped = await cli([attacks, '--json', '--timeout-ms', '1000', ...only('StopFunction').flatMap((n) => ['--skip', n])], {
      ...process.env,
      PATH: join(fixtures, 'no-such-bin'),
    })
    expect((JSON.parse(stopped.stdout) as CheckReport).functions.find((fn) => fn.logicalId === 'StopFunction')?.reason).toMatch(
      /did not load within 1000 ms/,
    )
    expect([...processesOf('hang.mjs'), ...processesOf('busy.mjs'), ...processesOf('stop.mjs')]).toEqual([])
  }, 60_000)

  it('exits when its report is written: a SIGTERM-ignoring module and a helper sharing stdout leave no process behind', () => {
    // The CLI's own exit is the point: were it waiting on a process, it would outlive spawnSync's timeout.
    const run = (name: string, ...options: string[]) => {
      const result = spawnSync(
        process.execPath,
        [bin, 'check', attacks, '--json', ...options, ...only(name).flatMap((n) => ['--skip', n])],
        {
          encoding: 'utf8',
          timeout: 30_000,
        },
      )
      expect(result.error).toBeUndefined()
      const fn = (JSON.parse(result.stdout) as CheckReport).functions.find((f) => f.logicalId === name)
      return `${result.status} ${fn?.status} ${fn?.reason}`
    }
    expect(run('HangFunction', '--timeout-ms', '1000')).toBe(
      '1 failed handler module failed to load: the module did not load within 1000 ms',
    )
    expect(run('HelperFunction')).toBe('0 ok undefined')
    expect([...processesOf('hang.mjs'), ...processesOf('cloudmap-middy-helper')]).toEqual([])
  }, 60_000)
})
