import { spawnSync } from 'node:child_process'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { FACTORIES, multiInstanceLayout, multiTableOf, NAMESPACE } from './lib/fixtures.js'
import type { Section } from './lib/report.js'
import { spawnDiscoverServer } from './lib/server.js'
import { median, ms, ratio, spread, spreadText } from './lib/stats.js'

export interface ColdOptions {
  /** Fresh processes per variant. */
  readonly runs: number
  /** How long the stand-in Cloud Map waits before answering, ms. */
  readonly delayMs: number
}

const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const DEPENDENCIES = 10
const INSTANCES = 3
/** The dependencies every cloudMap() probe declares, and the stand-in Cloud Map serves. */
const SLOTS = multiInstanceLayout(DEPENDENCIES, INSTANCES)

const VARIANTS = ['cloudMap', 'sdk', 'sdk10', 'middySdk'] as const
type Variant = (typeof VARIANTS)[number]

/** What a probe process prints: ms from its first statement (node's own start excluded). */
interface Probe {
  /** Every import done. */
  readonly imported: number
  /** The handler built (cloudMap(): its prefetch started). */
  readonly built: number
  /** The handler body runs (cloudMap()) or the DiscoverInstances answer is in (the SDK alone). */
  readonly total: number
}

/** A probe's figures, and its whole process as timed from the parent (spawn to exit). */
type Sample = Probe & { readonly wall: number }

/** A Lambda-like context, as the probes pass it: Middy arms its early-timeout timer from it. */
const CONTEXT = `{ awsRequestId: 'cold', functionName: 'cold', getRemainingTimeInMillis: () => 30_000 }`

/** A probe's script: `lines` timed from its first statement, then what it measured printed and the process ended. */
function probe(lines: readonly string[]): string {
  return [
    'const t0 = performance.now()',
    ...lines,
    'process.stdout.write(JSON.stringify({ imported: imported - t0, built: built - t0, total: total - t0 }))',
    'process.exit(0)',
  ].join('\n')
}

/**
 * The probes, as plain ESM run with `node -e` from bench/ (so `@cloudmap-middy/*` resolve to
 * packages/*\/dist and no TypeScript loader runs). Each times itself from its first statement.
 */
function probes(): Record<Variant, string> {
  const declarations = SLOTS.map(
    (slot) => `${slot.name}: core.${FACTORIES[slot.kind].name}(${JSON.stringify(`${NAMESPACE}.${slot.service}`)})`,
  ).join(', ')
  const discover = `new DiscoverInstancesCommand({ NamespaceName: ${JSON.stringify(NAMESPACE)}, ServiceName: 'multi0', HealthStatus: 'HEALTHY_OR_ELSE_ALL' })`
  return {
    // A handler module as a user writes it: the process-wide resolver, its client made from the environment.
    cloudMap: probe([
      "const { default: middy } = await import('@middy/core')",
      "const core = await import('@cloudmap-middy/core')",
      "const { cloudMap } = await import('@cloudmap-middy/middy')",
      'const imported = performance.now()',
      'let total = Number.NaN',
      `const handler = middy().use(cloudMap({ services: { ${declarations} } })).handler(async (event, context) => { total = performance.now(); return context.services.dep0.arn })`,
      'const built = performance.now()',
      `const answer = await handler({}, ${CONTEXT})`,
      "if (typeof answer !== 'string') throw new Error('no ARN: ' + answer)",
    ]),
    sdk: probe([
      "const { ServiceDiscoveryClient, DiscoverInstancesCommand } = await import('@aws-sdk/client-servicediscovery')",
      'const imported = performance.now()',
      // A custom endpoint has no `data-` host: the SDK would otherwise prefix it.
      'const client = new ServiceDiscoveryClient({ disableHostPrefix: true })',
      'const built = performance.now()',
      `const { Instances } = await client.send(${discover})`,
      'const total = performance.now()',
      `if (Instances.length !== ${INSTANCES}) throw new Error('instances: ' + Instances.length)`,
    ]),
    // The floor of any library that resolves ten services at cold start with the SDK: ten requests in parallel, nothing else.
    sdk10: probe([
      "const { ServiceDiscoveryClient, DiscoverInstancesCommand } = await import('@aws-sdk/client-servicediscovery')",
      'const imported = performance.now()',
      'const client = new ServiceDiscoveryClient({ disableHostPrefix: true })',
      'const built = performance.now()',
      `const answers = await Promise.all(${JSON.stringify(SLOTS.map((slot) => slot.service))}.map((ServiceName) => client.send(new DiscoverInstancesCommand({ NamespaceName: ${JSON.stringify(NAMESPACE)}, ServiceName, HealthStatus: 'HEALTHY_OR_ELSE_ALL' }))))`,
      'const total = performance.now()',
      `if (answers.some((answer) => answer.Instances.length !== ${INSTANCES})) throw new Error('instances missing')`,
    ]),
    middySdk: probe([
      "const { default: middy } = await import('@middy/core')",
      "const { ServiceDiscoveryClient, DiscoverInstancesCommand } = await import('@aws-sdk/client-servicediscovery')",
      'const imported = performance.now()',
      'const client = new ServiceDiscoveryClient({ disableHostPrefix: true })',
      'let total = Number.NaN',
      `const handler = middy().handler(async () => { const { Instances } = await client.send(${discover}); total = performance.now(); return Instances[0].Attributes.arn })`,
      'const built = performance.now()',
      `const answer = await handler({}, ${CONTEXT})`,
      "if (typeof answer !== 'string') throw new Error('no ARN: ' + answer)",
    ]),
  }
}

function runProbe(script: string, env: NodeJS.ProcessEnv): Sample {
  const started = performance.now()
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: BENCH, env, encoding: 'utf8', timeout: 60_000 })
  const wall = performance.now() - started
  if (child.status !== 0) throw new Error(`cold: a probe failed (${child.status ?? child.signal}): ${child.stderr || child.error}`)
  const printed = JSON.parse(child.stdout) as Probe
  if (!Number.isFinite(printed.total)) throw new Error(`cold: a probe printed ${child.stdout}`)
  return { ...printed, wall }
}

/**
 * 2. Cold start from import: a fresh node process per sample imports @middy/core and our
 * packages, declares ten dependencies (three instances each), builds the handler and runs its
 * first invocation against a stand-in Cloud Map (its own process) answering after `delayMs`;
 * against a fresh process that imports the SDK client and sends one DiscoverInstances to the
 * same stand-in. The variants alternate; each run's ratio pairs the samples of that run.
 */
export async function coldStart(options: ColdOptions): Promise<Section> {
  const server = await spawnDiscoverServer(multiTableOf(SLOTS), options.delayMs)
  try {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_ENDPOINT_URL_SERVICEDISCOVERY: server.endpoint,
    }
    for (const name of ['AWS_PROFILE', 'AWS_SESSION_TOKEN', 'AWS_ENDPOINT_URL', 'CLOUDMAP_MIDDY_TTL_MS']) delete env[name]
    const scripts = probes()
    // Untimed (when there is more than one run): fills the page cache and warms the stand-in.
    if (options.runs > 1) for (const variant of VARIANTS) runProbe(scripts[variant], env)

    const samples = {} as Record<Variant, Sample[]>
    for (const variant of VARIANTS) samples[variant] = []
    const requests: number[] = []
    for (let run = 0; run < options.runs; run++) {
      for (let i = 0; i < VARIANTS.length; i++) {
        const variant = VARIANTS[(i + run) % VARIANTS.length] as Variant
        const before = variant === 'cloudMap' ? await server.requests() : 0
        samples[variant].push(runProbe(scripts[variant], env))
        if (variant === 'cloudMap') requests.push((await server.requests()) - before)
      }
    }
    const pair = (a: Variant, b: Variant, figure: (p: Probe) => number = (p) => p.total) =>
      spread(samples[a].map((sample, run) => figure(sample) / figure(samples[b][run] as Probe)))
    const of = (variant: Variant, figure: (p: Sample) => number) => median(samples[variant].map(figure))
    const vsSdk = pair('cloudMap', 'sdk')
    const vsMiddySdk = pair('cloudMap', 'middySdk')
    const vsSdk10 = pair('cloudMap', 'sdk10')
    const total = (v: Variant) => of(v, (p) => p.total)
    const imported = (v: Variant) => of(v, (p) => p.imported)
    // From the handler built (prefetch started) to the body; for the SDK, from the client made to the answer.
    const network = (v: Variant) => of(v, (p) => p.total - p.built)
    const extra = total('cloudMap') - total('sdk')
    const importShare = imported('cloudMap') - imported('sdk')
    // What ten requests cost the SDK over one, in the same fresh-process conditions.
    const tenOverOne = total('sdk10') - total('sdk')
    const unexpected = requests.filter((n) => n !== DEPENDENCIES)

    return {
      title: `2. Cold start from import (fresh process, ${DEPENDENCIES} dependencies × ${INSTANCES} instances, stand-in Cloud Map answering after ${options.delayMs} ms)`,
      rows: [
        {
          figure: `cold start from import, ${DEPENDENCIES} deps, ${options.delayMs} ms Cloud Map, vs importing the SDK and one DiscoverInstances`,
          before: '1.20–1.30×',
          measured: ratio(vsSdk.median),
          range: spreadText(vsSdk, ratio),
          target: '≤ 1.15×',
          met: vsSdk.median <= 1.15,
          detail: `${ms(total('cloudMap'))} vs ${ms(total('sdk'))} to the handler body / the answer (medians)`,
          why: `+${ms(extra)} in all: imports +${ms(importShare)} (${ms(imported('cloudMap'))} for @middy/core, our packages and the Cloud Map client vs ${ms(imported('sdk'))} for the client alone); ten requests instead of one, +${ms(tenOverOne)} with the SDK alone (its floor for ten services: ${ratio(vsSdk10.median)} of it is left); the rest, ~${ms(extra - importShare - tenOverOne)}, is building the handler, binding and the first invocation`,
        },
        {
          figure: '… of which imports (@middy/core + @cloudmap-middy/* vs the SDK client alone)',
          measured: `${ms(imported('cloudMap'))} vs ${ms(imported('sdk'))}`,
          detail: `${ratio(imported('cloudMap') / imported('sdk'))}; @middy/core with the SDK client, no library: ${ms(imported('middySdk'))}`,
        },
        {
          figure: '… of which the rest (handler built / client made → body / answer)',
          measured: `${ms(network('cloudMap'))} vs ${ms(network('sdk'))}`,
          detail: `cloudMap(): ${DEPENDENCIES} DiscoverInstances in parallel (prefetch at .use()), bind, first invocation; the SDK alone: one request. ${options.delayMs} ms of each is the stand-in's delay`,
        },
        {
          figure: 'same, vs importing the SDK and ten DiscoverInstances in parallel',
          measured: ratio(vsSdk10.median),
          range: spreadText(vsSdk10, ratio),
          detail: `${ms(total('cloudMap'))} vs ${ms(total('sdk10'))}: the floor of any library that looks up ten services at cold start (one request per service, all at once, no binding)`,
        },
        {
          figure: 'same, vs a bare Middy handler whose body sends one DiscoverInstances',
          measured: ratio(vsMiddySdk.median),
          range: spreadText(vsMiddySdk, ratio),
          detail: `${ms(total('cloudMap'))} vs ${ms(total('middySdk'))}: the same comparison with @middy/core imported on both sides`,
        },
        {
          figure: 'whole process, spawn to exit (node start included)',
          measured: `${ms(of('cloudMap', (p) => p.wall))} vs ${ms(of('sdk', (p) => p.wall))}`,
          detail: `${ratio(of('cloudMap', (p) => p.wall) / of('sdk', (p) => p.wall))}; measured from the parent, so it includes node's start and exit, equal on both sides`,
        },
      ],
      notes: [
        `${options.runs} runs (plus one untimed run of each variant); a run is one fresh \`node\` process per variant, in a rotated order; a run's ratio pairs the samples of that run; min / median / max over runs, verdict on the median.`,
        `Each probe is plain ESM run with \`node -e\` from bench/ (no TypeScript loader): @cloudmap-middy/* resolve to packages/*/dist (\`pnpm build\` first). It times itself from its first statement (node's own start excluded, equal for both) until the handler body runs, or the SDK's answer is in.`,
        `cloudMap() as a user writes it: \`middy().use(cloudMap({ services }))\` with the process-wide resolver, its Cloud Map client made from the environment (AWS_REGION, credentials in env, AWS_ENDPOINT_URL_SERVICEDISCOVERY pointing at the stand-in); kinds lambda, topic, instance, http, no schemas (zod's import would be the handler's, not ours). The SDK variant: \`new ServiceDiscoveryClient({ disableHostPrefix: true })\`, same environment.`,
        `The stand-in Cloud Map runs in its own process and answers every DiscoverInstances after ${options.delayMs} ms. DiscoverInstances requests per cloudMap() cold start: ${unexpected.length === 0 ? `${DEPENDENCIES} every run (one per service)` : `not always ${DEPENDENCIES}: ${requests.join(', ')}`}.`,
      ],
    }
  } finally {
    await server.close()
  }
}
