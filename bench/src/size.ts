import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build, type Metafile } from 'esbuild'
import type { Row, Section } from './lib/report.js'
import { kib } from './lib/stats.js'

const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const ROOT = resolve(BENCH, '..')

/** The handlers bundled, with the bytes of packages/core + packages/middy each may take. */
const HANDLERS = [
  { label: 'only `instance()`', entry: join(BENCH, 'fixtures/instance-handler.ts'), targetKiB: 12 },
  { label: 'only `lambda()`', entry: join(BENCH, 'fixtures/lambda-handler.ts'), targetKiB: 16 },
  {
    label: "the scheduler's schedule-job (instance, queue, topic)",
    entry: join(ROOT, 'examples/scheduler/src/handlers/schedule-job.ts'),
    targetKiB: 24,
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

/** SAM's esbuild build (`BuildMethod: esbuild`, Format esm, Minify, External @aws-sdk/*), with a metafile. */
async function bundle(entry: string): Promise<Bundle> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // @opentelemetry/api: core's optional peer, installed here for the tests. A user without OpenTelemetry has none,
    // and esbuild leaves its import() to fail at run time (caught); with an ADOT layer it is external too.
    external: ['@aws-sdk/*', '@opentelemetry/api'],
    // The example's own dependencies resolve from its folder; anything it lacks (before its install) from the bench's.
    nodePaths: [join(BENCH, 'node_modules')],
    absWorkingDir: ROOT,
    metafile: true,
    write: false,
    outfile: join(BENCH, '.tmp/bundle.mjs'),
    logLevel: 'silent',
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
      before: '31.5 KiB',
      measured: kib(b.ours),
      target: `≤ ${handler.targetKiB} KiB`,
      met: b.ours <= target,
      detail: `${b.entry}: ${kib(b.bytes)} minified (${kib(b.gzip)} gzip); core ${kib(b.byOwner.get('@cloudmap-middy/core') ?? 0)}, middy ${kib(b.byOwner.get('@cloudmap-middy/middy') ?? 0)}; the rest: ${others}`,
      why: `${kib(b.ours - target)} over; largest: ${fileList(b.ourFiles.slice(0, 5))}`,
    }
  })
  return {
    title: '5. Bundle size (SAM-style esbuild: ESM, minified, platform node, @aws-sdk/* external)',
    rows,
    notes: [
      "esbuild: bundle, minify, format esm, platform node, target node20, external @aws-sdk/* (what `BuildMethod: esbuild` with `Format: esm`, `Minify: true` does) and @opentelemetry/api (core's optional peer: not installed without OpenTelemetry, provided by the layer with it); project bytes are the metafile's bytesInOutput of every input under packages/core and packages/middy; @cloudmap-middy/* resolve to packages/*/dist, so this measures what `pnpm build` made at the time of the run. 1 KiB = 1024 bytes.",
      'The handlers: bench/fixtures/instance-handler.ts (one `instance()` with a zod schema), bench/fixtures/lambda-handler.ts (one `lambda()` with payload and result schemas), and examples/scheduler/src/handlers/schedule-job.ts as it stands.',
      ...HANDLERS.map((handler, i) => {
        const b = bundles[i] as Bundle
        return `Per file, ${handler.label} (${b.ourFiles.length} files, ${kib(b.ours)}): ${fileList(b.ourFiles)}.`
      }),
    ],
  }
}
