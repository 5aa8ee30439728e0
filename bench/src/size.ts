import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build, type Metafile } from 'esbuild'
import { SAM_BUILD } from './lib/bundle.js'
import type { Row, Section } from './lib/report.js'
import { kib } from './lib/stats.js'

const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const ROOT = resolve(BENCH, '..')

/**
 * The handlers bundled. `targetKiB`: the bytes of packages/core + packages/middy each may take
 * (the issue's); `limitKiB`: the most it may take before the run fails, in quick mode too (CI),
 * as size-limit fails a build: a regression is an error, a missed target a figure to report.
 * Lower a limit with the change that shrinks its handler.
 */
const HANDLERS = [
  { label: 'only `instance()`', entry: join(BENCH, 'fixtures/instance-handler.ts'), before: '24.6 KiB', targetKiB: 16, limitKiB: 45.5 },
  { label: 'only `lambda()`', entry: join(BENCH, 'fixtures/lambda-handler.ts'), before: '31.5 KiB', targetKiB: 20, limitKiB: 55 },
  {
    label: "the scheduler's schedule-job (instance, queue, topic)",
    entry: join(ROOT, 'examples/scheduler/src/handlers/schedule-job.ts'),
    before: '41.5 KiB',
    targetKiB: 28,
    limitKiB: 58.5,
  },
] as const

/** Which package an input of the metafile belongs to: ours by folder, the rest by their node_modules name. */
function ownerOf(path: string): string {
  const ours = /(?:^|\/)packages\/(core|middy)\//.exec(path)
  if (ours) return `@cloudmap-middy/${ours[1]}`
  const index = path.lastIndexOf('node_modules/')
  if (index < 0) return '(handler code)'
  const [scope, name] = path.slice(index + 'node_modules/'.length).split('/')
  return scope?.startsWith('@') ? `${scope}/${name}` : (scope ?? path)
}

interface Bundle {
  readonly entry: string
  readonly bytes: number
  readonly gzip: number
  readonly byOwner: ReadonlyMap<string, number>
  /** Bytes per file of packages/core and packages/middy, largest first. */
  readonly ourFiles: ReadonlyArray<readonly [string, number]>
  /** Bytes of packages/core + packages/middy. */
  readonly ours: number
}

/** A handler bundled as SAM bundles it (lib/bundle.ts), measured from its metafile. */
async function bundle(entry: string): Promise<Bundle> {
  const result = await build({
    ...SAM_BUILD,
    entryPoints: [entry],
    metafile: true,
    write: false,
    outfile: join(BENCH, '.tmp/bundle.mjs'),
  })
  const [output] = result.outputFiles
  if (!output) throw new Error(`size: esbuild wrote nothing for ${entry}`)
  const metafile: Metafile = result.metafile
  const meta = Object.values(metafile.outputs)[0]
  if (!meta) throw new Error(`size: no metafile output for ${entry}`)
  const byOwner = new Map<string, number>()
  const ourFiles: Array<readonly [string, number]> = []
  for (const [path, input] of Object.entries(meta.inputs)) {
    const owner = ownerOf(path)
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + input.bytesInOutput)
    if (owner.startsWith('@cloudmap-middy/') && input.bytesInOutput > 0)
      ourFiles.push([path.replace(/^.*packages\//, ''), input.bytesInOutput])
  }
  ourFiles.sort((a, z) => z[1] - a[1])
  return {
    entry: relative(ROOT, entry),
    bytes: output.contents.byteLength,
    gzip: gzipSync(output.contents).byteLength,
    byOwner,
    ourFiles,
    ours: (byOwner.get('@cloudmap-middy/core') ?? 0) + (byOwner.get('@cloudmap-middy/middy') ?? 0),
  }
}

/**
 * What the bytes of each part of packages/core and packages/middy buy, for the breakdown: a
 * file of ours belongs to the first area whose pattern matches its path under packages/.
 */
const AREAS: ReadonlyArray<readonly [RegExp, string, string]> = [
  [/^middy\//, 'middleware', 'cloudMap(): its options checked, the warm before hook, the refresh settling after'],
  [
    /^core\/dist\/extension\//,
    'Lambda extension',
    'the internal extension that holds the freeze after the response until refreshes settle, on its own HTTP/1.1 client',
  ],
  [
    /^core\/dist\/(resolver\/)?snapshot\.js$/,
    'snapshot',
    'the deploy-time snapshot in CLOUDMAP_MIDDY_SNAPSHOT: read, checked, seeded into the cache',
  ],
  [
    /^core\/dist\/(resolver\/telemetry|channels|otel|tracing|metrics|logger)\.js$/,
    'observability',
    'log lines, metrics, diagnostics channels, OpenTelemetry spans, X-Ray capture outside an invocation',
  ],
  [
    /^core\/dist\/resolver\//,
    'resolver',
    'the cache, plans, single-flight refresh with retries and backoff, stale serving, views, service sets',
  ],
  [/^core\/dist\/registry\//, 'registry', 'the Cloud Map adapter and its clients shared by configuration'],
  [/^core\/dist\/address\//, 'addresses', 'address and ARN parsing, with a message per broken rule'],
  [/^core\/dist\/errors\.js$/, 'errors', 'the error classes the handler can meet'],
  [/^core\/dist\/policy\//, 'target policy', 'allowedAccounts, allowedRegions, allowedHosts and the SQS URL checks'],
  [/^core\/dist\/(kinds|dependency)\//, 'kinds', 'the kinds declared, and defineDependency()'],
  [/^core\/dist\/calls\//, 'calls', 'SDK loaders, the client pool, JSON payloads and limits, message attributes, batches'],
  [/^core\//, 'shared helpers', 'transient errors, timers, schemas, endpoints, declarations, redaction, kind names'],
]

/** Bytes per area of {@link AREAS}, largest first, with what each buys. */
function byArea(files: ReadonlyArray<readonly [string, number]>): string {
  const totals = new Map<string, number>()
  for (const [file, bytes] of files) {
    const area = AREAS.find(([pattern]) => pattern.test(file))?.[1] ?? file
    totals.set(area, (totals.get(area) ?? 0) + bytes)
  }
  return [...totals.entries()]
    .sort((a, z) => z[1] - a[1])
    .map(([area, bytes]) => `${area} ${kib(bytes)} (${AREAS.find(([, name]) => name === area)?.[2] ?? ''})`)
    .join('; ')
}

const fileList = (files: ReadonlyArray<readonly [string, number]>) => files.map(([file, bytes]) => `${file} ${kib(bytes)}`).join(', ')

/**
 * 5. Bundle size: the bytes packages/core and packages/middy add to a SAM-style esbuild
 * bundle of three handlers (only `instance()`, only `lambda()`, the scheduler's
 * schedule-job), per file, from whatever packages/*\/dist holds when it runs.
 */
export async function bundleSizes(): Promise<Section> {
  const bundles = await Promise.all(HANDLERS.map((handler) => bundle(handler.entry)))
  const rows: Row[] = HANDLERS.map((handler, i) => {
    const b = bundles[i] as Bundle
    const target = handler.targetKiB * 1024
    const others = [...b.byOwner.entries()]
      .filter(([owner]) => !owner.startsWith('@cloudmap-middy/'))
      .sort((a, z) => z[1] - a[1])
      .map(([owner, bytes]) => `${owner} ${kib(bytes)}`)
      .join(', ')
    return {
      figure: `project bytes, handler using ${handler.label}`,
      before: handler.before,
      measured: kib(b.ours),
      target: `≤ ${handler.targetKiB} KiB`,
      met: b.ours <= target,
      detail: `${b.entry}: ${kib(b.bytes)} minified (${kib(b.gzip)} gzip); core ${kib(b.byOwner.get('@cloudmap-middy/core') ?? 0)}, middy ${kib(b.byOwner.get('@cloudmap-middy/middy') ?? 0)}; the rest: ${others}`,
      why: `${kib(b.ours - target)} over; largest: ${fileList(b.ourFiles.slice(0, 5))}`,
    }
  })
  const overLimit = HANDLERS.flatMap((handler, i) => {
    const ours = (bundles[i] as Bundle).ours
    return ours > handler.limitKiB * 1024 ? [`${handler.label}: ${kib(ours)}, over its limit of ${handler.limitKiB} KiB`] : []
  })
  return {
    title: '5. Bundle size (SAM-style esbuild: ESM, minified, platform node, @aws-sdk/* external)',
    rows,
    errors: overLimit,
    notes: [
      "esbuild: bundle, minify, format esm, platform node, target node20, external @aws-sdk/* (what `BuildMethod: esbuild` with `Format: esm`, `Minify: true` does) and @opentelemetry/api (core's optional peer: not installed without OpenTelemetry, provided by the layer with it); project bytes are the metafile's bytesInOutput of every input under packages/core and packages/middy; @cloudmap-middy/* resolve to packages/*/dist, so this measures what `pnpm build` made at the time of the run. 1 KiB = 1024 bytes.",
      `Limits (the run fails above them, in quick mode too): ${HANDLERS.map((handler) => `${handler.label} ${handler.limitKiB} KiB`).join(', ')}.`,
      'The handlers: bench/fixtures/instance-handler.ts (one `instance()` with a zod schema), bench/fixtures/lambda-handler.ts (one `lambda()` with payload and result schemas), and examples/scheduler/src/handlers/schedule-job.ts as it stands.',
      ...HANDLERS.map((handler, i) => {
        const b = bundles[i] as Bundle
        return `By area, ${handler.label} (${kib(b.ours)}): ${byArea(b.ourFiles)}. Per file (${b.ourFiles.length}): ${fileList(b.ourFiles)}.`
      }),
    ],
  }
}
