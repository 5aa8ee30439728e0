// The cold start as Lambda bills it, to the end of the first invocation: each handler bundled as
// `sam build` bundles it (lib/bundle.ts) and started in a fresh emulated Lambda environment
// (tools/sam-local: a child process behind the Runtime and Extensions APIs), its body invoking a
// function, sending an SQS message and publishing an SNS message on moto, every request (Cloud
// Map's and the three services') through a loopback proxy adding latency. Compared: cloudMap()
// with a deploy-time snapshot against the targets in environment variables, and cloudMap()
// without one against the same lookup written by hand with the SDK.
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { SNAPSHOT_ENV, type SnapshotRegistration, snapshotDocument } from '@cloudmap-middy/core/snapshot'
import { ACCOUNT, MotoResources, REGION, startGateProxy, startMoto } from '@cloudmap-middy/moto-harness'
import { LambdaEnvironment } from '@cloudmap-middy/sam-local'
import { bundleHandler } from './lib/bundle.js'
import type { Row, Section } from './lib/report.js'
import { median, ms, ratio, spread, spreadText } from './lib/stats.js'

const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..')

export interface ColdLambdaOptions {
  /** Repetitions: one fresh environment per variant each (min / median / max over them). */
  readonly runs: number
  /** Latency the proxy adds to every request, Cloud Map's and the services'. */
  readonly latencyMs: number
}

const VARIANTS = ['snapshot', 'cloudMap', 'envVars', 'handWritten', 'empty'] as const
type Variant = (typeof VARIANTS)[number]

/** The handler module each variant runs (the two cloudMap() variants differ only by their environment). */
const FIXTURES: Record<Variant, string> = {
  snapshot: 'jobs-cloudmap-handler.ts',
  cloudMap: 'jobs-cloudmap-handler.ts',
  envVars: 'jobs-env-handler.ts',
  handWritten: 'jobs-discover-handler.ts',
  empty: 'empty-handler.ts',
}

const FUNCTION = 'bench-cold'
const EVENT = { id: 'job-42' }

/** One fresh environment, timed from the process's spawn. */
interface Sample {
  /** Until the runtime asked for its first invocation: init done. */
  readonly init: number
  /** Until the first invocation's response was posted. */
  readonly total: number
  /** DiscoverInstances sent before the response, and in all until the environment froze. */
  readonly discoveriesBefore: number
  readonly discoveries: number
  readonly extensions: readonly string[]
}

/** DiscoverInstances requests the proxy has seen. */
interface Counts {
  discoveries: number
}

/** How long an environment may take to freeze after its response before the benchmark gives up on it. */
const FREEZE_TIMEOUT_MS = 30_000

async function coldStart(entry: string, env: Record<string, string>, counts: Counts): Promise<Sample> {
  const discoveries = counts.discoveries
  const started = performance.now()
  const environment = await LambdaEnvironment.start({
    entry,
    exportName: 'handler',
    functionName: FUNCTION,
    arn: `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${FUNCTION}`,
    timeoutMs: 30_000,
    env,
    log: () => undefined,
  })
  let init = Number.NaN
  environment.once('init', () => {
    init = performance.now() - started
  })
  let timer: NodeJS.Timeout | undefined
  try {
    const response = (await environment.invoke(EVENT)) as { statusCode?: number } | null
    const total = performance.now() - started
    const discoveriesBefore = counts.discoveries - discoveries
    if (response?.statusCode !== 202) throw new Error(`cold-lambda: ${entry} answered ${JSON.stringify(response)}`)
    // Frozen once the runtime and every extension asked for the next event: a refresh after the response is done.
    await new Promise<void>((done, fail) => {
      if (environment.frozen) return done()
      environment.once('freeze', () => done())
      timer = setTimeout(
        () => fail(new Error(`cold-lambda: ${entry} did not freeze within ${FREEZE_TIMEOUT_MS} ms of its response`)),
        FREEZE_TIMEOUT_MS,
      )
    })
    return { init, total, discoveriesBefore, discoveries: counts.discoveries - discoveries, extensions: environment.extensions }
  } finally {
    clearTimeout(timer)
    await environment.stop()
  }
}

/** The distinct values of some counts, for a detail cell: `3` or `2, 3`. */
const distinct = (values: readonly number[]) => [...new Set(values)].sort((a, b) => a - b).join(', ')

/**
 * 9. Cold start to the end of the first invocation in a fresh emulated Lambda environment, the
 * variants in a rotated order each run; a run's ratio pairs that run's samples.
 */
export async function coldLambda(options: ColdLambdaOptions): Promise<Section> {
  const tmp = join(BENCH, '.tmp/cold-lambda')
  const entries = {} as Record<Variant, string>
  for (const variant of VARIANTS) {
    const fixture = FIXTURES[variant]
    entries[variant] = await bundleHandler(join(BENCH, 'fixtures', fixture), join(tmp, fixture.replace(/\.ts$/, ''), 'handler.mjs'))
  }
  const moto = await startMoto()
  const counts: Counts = { discoveries: 0 }
  const proxy = await startGateProxy(moto.endpoint, {
    delayMs: options.latencyMs,
    // Holds nothing: counts what passes.
    hold: (request) => {
      if (String(request.headers['x-amz-target']).endsWith('.DiscoverInstances')) counts.discoveries++
      return false
    },
  })
  try {
    const resources = new MotoResources(moto.endpoint)
    const functionArn = await resources.function('worker')
    const queue = await resources.queue('job-queue')
    const topicArn = await resources.topic('job-events')
    // The queue's URL on the endpoint the functions use (the target policy accepts no other local host).
    const queueUrl = new URL(new URL(queue.url).pathname, proxy.endpoint).href
    const registrations: SnapshotRegistration[] = [
      { namespace: 'prod', service: 'worker', instanceId: 'worker', attributes: { type: 'lambda', arn: functionArn } },
      { namespace: 'prod', service: 'job-queue', instanceId: 'job-queue', attributes: { type: 'sqs', arn: queue.arn, url: queueUrl } },
      { namespace: 'prod', service: 'job-events', instanceId: 'job-events', attributes: { type: 'sns', arn: topicArn } },
    ]
    for (const { namespace, service, instanceId, attributes } of registrations) {
      await resources.register(namespace, service, instanceId, attributes)
    }
    const snapshot = JSON.stringify(snapshotDocument(registrations))
    const base: Record<string, string> = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL: proxy.endpoint,
      AWS_LAMBDA_FUNCTION_NAME: FUNCTION,
      NODE_NO_WARNINGS: '1',
    }
    const envs: Record<Variant, Record<string, string>> = {
      snapshot: { ...base, [SNAPSHOT_ENV]: snapshot },
      cloudMap: base,
      envVars: { ...base, WORKER_FUNCTION_ARN: functionArn, JOB_QUEUE_URL: queueUrl, JOB_EVENTS_TOPIC_ARN: topicArn },
      handWritten: base,
      empty: base,
    }

    // Untimed: fills the page cache and warms moto's code paths.
    for (const variant of VARIANTS) await coldStart(entries[variant], envs[variant], counts)
    const samples = {} as Record<Variant, Sample[]>
    for (const variant of VARIANTS) samples[variant] = []
    for (let run = 0; run < options.runs; run++) {
      for (let i = 0; i < VARIANTS.length; i++) {
        const variant = VARIANTS[(i + run) % VARIANTS.length] as Variant
        samples[variant].push(await coldStart(entries[variant], envs[variant], counts))
      }
    }

    const pair = (a: Variant, b: Variant) => spread(samples[a].map((sample, run) => sample.total / (samples[b][run] as Sample).total))
    const of = (variant: Variant, figure: (sample: Sample) => number) => median(samples[variant].map(figure))
    const total = (variant: Variant) => of(variant, (sample) => sample.total)
    const init = (variant: Variant) => of(variant, (sample) => sample.init)
    const invocation = (variant: Variant) => of(variant, (sample) => sample.total - sample.init)
    const lookups = (variant: Variant) =>
      `DiscoverInstances per cold start: ${distinct(samples[variant].map((sample) => sample.discoveries))} (before the response: ${distinct(samples[variant].map((sample) => sample.discoveriesBefore))})`
    const extension = (variant: Variant) => {
      const registered = samples[variant].filter((sample) => sample.extensions.includes('cloudmap-middy')).length
      return `extension registered in ${registered} of ${samples[variant].length}`
    }
    const split = (a: Variant, b: Variant) =>
      `${ms(total(a))} vs ${ms(total(b))} (medians): init ${ms(init(a))} vs ${ms(init(b))}, first invocation ${ms(invocation(a))} vs ${ms(invocation(b))}`
    const signed = (value: number) => `${value >= 0 ? '+' : ''}${ms(value)}`
    /** Where the difference goes, from the medians: init and the first invocation. */
    const why = (a: Variant, b: Variant, names: string) =>
      `${signed(total(a) - total(b))} over ${names}: init ${signed(init(a) - init(b))}, first invocation ${signed(invocation(a) - invocation(b))}; ${lookups(a)}`

    const snapshotVsEnv = pair('snapshot', 'envVars')
    const cloudMapVsHand = pair('cloudMap', 'handWritten')
    const cloudMapVsEnv = pair('cloudMap', 'envVars')
    const handVsEnv = pair('handWritten', 'envVars')
    const rows: Row[] = [
      {
        figure:
          'cold start to the end of the first invocation, body calls Lambda + SQS + SNS: cloudMap() with a deploy-time snapshot vs env-var ARNs',
        measured: ratio(snapshotVsEnv.median),
        range: spreadText(snapshotVsEnv, ratio),
        target: '≤ 1.05×',
        met: snapshotVsEnv.median <= 1.05,
        before: '1.24×',
        detail: `${split('snapshot', 'envVars')}; ${lookups('snapshot')}; ${extension('snapshot')}`,
        why: why('snapshot', 'envVars', 'env-var ARNs'),
      },
      {
        figure: 'same, cloudMap() without a snapshot vs the hand-written floor (DiscoverInstances in parallel + a module cache)',
        measured: ratio(cloudMapVsHand.median),
        range: spreadText(cloudMapVsHand, ratio),
        target: '≤ 1.00×',
        met: cloudMapVsHand.median <= 1,
        before: '1.01×',
        detail: `${split('cloudMap', 'handWritten')}; ${lookups('cloudMap')}; hand-written: ${lookups('handWritten')}; ${extension('cloudMap')}`,
        why: why('cloudMap', 'handWritten', 'the hand-written floor'),
      },
      {
        figure: 'same, cloudMap() without a snapshot vs env-var ARNs',
        measured: ratio(cloudMapVsEnv.median),
        range: spreadText(cloudMapVsEnv, ratio),
        detail: split('cloudMap', 'envVars'),
      },
      {
        figure: 'same, the hand-written floor vs env-var ARNs',
        measured: ratio(handVsEnv.median),
        range: spreadText(handVsEnv, ratio),
        detail: split('handWritten', 'envVars'),
      },
      {
        figure: 'cold start to the end of the first invocation (medians): snapshot / no snapshot / env vars / hand-written',
        measured: [total('snapshot'), total('cloudMap'), total('envVars'), total('handWritten')].map(ms).join(' / '),
        detail: `init ${[init('snapshot'), init('cloudMap'), init('envVars'), init('handWritten')].map(ms).join(' / ')}; an empty handler (node's start and the emulated runtime's bootstrap, in every figure): ${ms(total('empty'))}, init ${ms(init('empty'))}`,
      },
    ]
    return {
      title: `9. Cold start in a Lambda environment (${options.runs} run(s), every request ${options.latencyMs} ms away)`,
      rows,
      notes: [
        `Handlers in bench/fixtures (jobs-cloudmap-handler.ts, jobs-env-handler.ts, jobs-discover-handler.ts), bundled as \`sam build\` bundles them (esbuild, ESM, minified, @aws-sdk/* external); each body invokes a function (Event), sends one SQS message and publishes one SNS message on moto. cloudMap() declares lambda(), queueSender() and topicPublisher(); env-var ARNs import the three SDK clients at top level and make them at module scope; the hand-written floor adds the Cloud Map client and, in the body, DiscoverInstances for the three services in parallel, kept in a module-level cache.`,
        `Each sample is a fresh emulated Lambda environment (tools/sam-local: a child process, the bootstrap importing the bundle with no loader hooks, the Runtime and Extensions APIs), timed from the process's spawn until the runtime posts the first response (init = until its first /invocation/next); the environment then freezes (once every extension asked for the next event) and stops. Node's start and the bootstrap are in every figure (the empty handler's row).`,
        `Every request, Cloud Map's and the three services', goes through a loopback proxy adding ${options.latencyMs} ms in front of moto (AWS_ENDPOINT_URL). The snapshot (${SNAPSHOT_ENV}, ${snapshot.length} characters) is built with snapshotDocument() from the registrations moto holds.`,
        `${options.runs} runs (plus one untimed environment of each variant first); a run is one environment per variant in a rotated order; a run's ratio pairs that run's samples; min / median / max over runs, verdict on the median. DiscoverInstances are counted at the proxy, from the spawn until the freeze.`,
      ],
    }
  } finally {
    await proxy.close()
    await moto.stop()
  }
}
