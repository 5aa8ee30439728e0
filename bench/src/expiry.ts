// What a TTL expiry adds to a response. The handler is bundled as `sam build` bundles it (see
// size.ts) and run in an emulated Lambda environment (tools/sam-local: a child process behind
// the Runtime and Extensions APIs, frozen with SIGSTOP between invocations), against moto
// behind a loopback proxy that adds latency to every Cloud Map request. Compared: a warm
// invocation (TTL of an hour) and an invocation whose entry has expired (TTL of 1 ms), each
// into a frozen container; with the library as an internal extension (the package's ESM
// entry) and without it (the "require" entry, which awaits the refresh before returning).
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { ACCOUNT, type GateProxy, MotoResources, REGION, startGateProxy, startMoto } from '@cloudmap-middy/moto-harness'
import { LambdaEnvironment } from '@cloudmap-middy/sam-local'
import { bundleHandler } from './lib/bundle.js'
import type { Row, Section } from './lib/report.js'
import { median, ms, spread, spreadText } from './lib/stats.js'

const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const HANDLER = join(BENCH, 'fixtures/instance-handler.ts')

export interface ExpiryOptions {
  /** Measured invocations per environment (after the cold one). */
  readonly invocations: number
  /** Repetitions of the whole comparison (min / median / max over them). */
  readonly runs: number
  /** Latency the proxy adds to each Cloud Map request. */
  readonly latencyMs: number
}

interface Measured {
  /** Response times of the invocations, each into a frozen container. */
  readonly times: number[]
  readonly freezes: number
  /** Freezes that found a Cloud Map request open at the proxy. */
  readonly halfSent: number
  readonly extensions: string[]
}

async function measure(entry: string, ttlMs: number, proxy: GateProxy, invocations: number): Promise<Measured> {
  const environment = await LambdaEnvironment.start({
    entry,
    exportName: 'handler',
    functionName: 'bench-expiry',
    arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:bench-expiry`,
    timeoutMs: 30_000,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_SERVICEDISCOVERY: proxy.endpoint,
      AWS_LAMBDA_FUNCTION_NAME: 'bench-expiry',
      CLOUDMAP_MIDDY_TTL_MS: String(ttlMs),
      NODE_NO_WARNINGS: '1',
    },
    log: () => undefined,
  })
  let freezes = 0
  let halfSent = 0
  environment.on('freeze', () => {
    freezes++
    if (proxy.open > 0) halfSent++
  })
  const frozen = () => new Promise<void>((done) => (environment.frozen ? done() : environment.once('freeze', () => done())))
  const times: number[] = []
  try {
    await environment.invoke({ id: 'cold' })
    for (let i = 0; i < invocations; i++) {
      await frozen()
      const started = performance.now()
      await environment.invoke({ id: `job-${i}` })
      times.push(performance.now() - started)
    }
    await frozen()
    return { times, freezes, halfSent, extensions: environment.extensions }
  } finally {
    await environment.stop()
  }
}

export async function expiryResponse(options: ExpiryOptions): Promise<Section> {
  const tmp = join(BENCH, '.tmp/expiry')
  const withExtension = await bundleHandler(HANDLER, join(tmp, 'esm-entry/handler.mjs'))
  const withoutExtension = await bundleHandler(HANDLER, join(tmp, 'require-entry/handler.mjs'), ['require'])
  const moto = await startMoto()
  try {
    await new MotoResources(moto.endpoint).register('prod', 'storage', 'jobs-table', { tableName: 'jobs' })
    const proxy = await startGateProxy(moto.endpoint, { delayMs: options.latencyMs })
    try {
      const added: number[] = []
      const addedWithout: number[] = []
      let warmMedian = 0
      let expiryMedian = 0
      let freezes = 0
      let halfSent = 0
      let extensions: string[] = []
      for (let run = 0; run < options.runs; run++) {
        const warm = await measure(withExtension, 3_600_000, proxy, options.invocations)
        const expiry = await measure(withExtension, 1, proxy, options.invocations)
        const warmWithout = await measure(withoutExtension, 3_600_000, proxy, options.invocations)
        const expiryWithout = await measure(withoutExtension, 1, proxy, options.invocations)
        warmMedian = median(warm.times)
        expiryMedian = median(expiry.times)
        added.push(expiryMedian - warmMedian)
        addedWithout.push(median(expiryWithout.times) - median(warmWithout.times))
        freezes += warm.freezes + expiry.freezes
        halfSent += warm.halfSent + expiry.halfSent + warmWithout.halfSent + expiryWithout.halfSent
        freezes += warmWithout.freezes + expiryWithout.freezes
        extensions = expiry.extensions
      }
      const addedSpread = spread(added)
      const withoutSpread = spread(addedWithout)
      const signed = (value: number) => `${value >= 0 ? '+' : ''}${ms(value)}`
      const rows: Row[] = [
        {
          figure: 'first invocation after a TTL expiry, container frozen between invocations: response time added over a warm one',
          measured: signed(addedSpread.median),
          range: spreadText(addedSpread, signed),
          target: '≤ +2 ms',
          met: addedSpread.median <= 2,
          before: '+55 ms',
          detail: `median response ${ms(expiryMedian)} vs ${ms(warmMedian)} warm (last run), ${options.invocations} invocations per run, Cloud Map ${options.latencyMs} ms away; extensions registered: ${extensions.join(', ') || 'none'}`,
          why: 'the refresh still delays the response',
        },
        {
          figure: 'same, without the extension (the "require" entry: after awaits the refresh)',
          measured: signed(withoutSpread.median),
          range: spreadText(withoutSpread, signed),
          detail: 'what a CommonJS bundle, a require() of the package or a refused registration gets',
        },
        {
          figure: 'freezes with a Cloud Map request half-sent',
          measured: `${halfSent} of ${freezes}`,
          target: '0',
          met: halfSent === 0,
          detail: 'open requests at the proxy when the runner sent SIGSTOP (the runtime and every extension had asked for the next event)',
          why: 'a freeze cut a request',
        },
      ]
      return {
        title: `8. TTL expiry in a frozen container (${options.runs} run(s) × ${options.invocations} invocations)`,
        rows,
        notes: [
          'The handler is bench/fixtures/instance-handler.ts bundled as `sam build` bundles it, run by the emulated Runtime API of tools/sam-local (a child process, SIGSTOP once the runtime and every registered extension have asked for the next event, SIGCONT at the next invocation); response times are measured at the caller, so both sides carry the same emulation overhead.',
          'With the extension, the refresh completes after the response, while the extension holds the freeze (PostRuntimeExtensionsDuration in Lambda).',
        ],
      }
    } finally {
      await proxy.close()
    }
  } finally {
    await moto.stop()
  }
}
