import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build, type Metafile, type Plugin } from 'esbuild'
import type { Row, Section } from './lib/report.js'
import { kib, median, ms, ratio } from './lib/stats.js'

export interface SizeOptions {
  /** Fresh `node` processes per import variant. */
  readonly spawns: number
}

const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const ROOT = resolve(BENCH, '..')
const EXAMPLE = join(ROOT, 'examples/scheduler/src/handlers/schedule-job.ts')
const STAND_IN = join(BENCH, 'fixtures/handler.ts')
const TARGET_BYTES = 12 * 1024

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
  /** Bytes per file of packages/core and packages/middy. */
  readonly ourFiles: ReadonlyMap<string, number>
  readonly code: string
}

/**
 * For the bundle that is imported, not measured: `@aws-sdk/*` stays external but
 * points at the file Node loads for it from packages/core, so it resolves from anywhere.
 */
const sdkFromCore: Plugin = {
  name: 'sdk-from-core',
  setup(builder) {
    const require = createRequire(join(ROOT, 'packages/core/package.json'))
    builder.onResolve({ filter: /^@aws-sdk\// }, (args) => ({ path: require.resolve(args.path), external: true }))
  },
}

async function bundle(entry: string, plugins: Plugin[] = []): Promise<Bundle> {
  const result = await build({
    plugins,
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: ['@aws-sdk/*'],
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
  const ourFiles = new Map<string, number>()
  for (const [path, input] of Object.entries(meta.inputs)) {
    const owner = ownerOf(path)
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + input.bytesInOutput)
    if (owner.startsWith('@cloudmap-middy/') && input.bytesInOutput > 0)
      ourFiles.set(path.replace(/^.*packages\//, ''), input.bytesInOutput)
  }
  return {
    entry: relative(ROOT, entry),
    bytes: output.contents.byteLength,
    gzip: gzipSync(output.contents).byteLength,
    byOwner,
    ourFiles,
    code: output.text,
  }
}

/** Milliseconds spent importing `specifiers` in a fresh node process (module loading only, not node's own start). */
function importTime(specifiers: readonly string[], cwd: string): number {
  const script = `const t = performance.now(); ${specifiers.map((s) => `await import(${JSON.stringify(s)});`).join(' ')} process.stdout.write(String(performance.now() - t))`
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd, encoding: 'utf8' })
  if (child.status !== 0) throw new Error(`size: importing ${specifiers.join(', ')} failed: ${child.stderr}`)
  const value = Number(child.stdout)
  if (!Number.isFinite(value)) throw new Error(`size: importing ${specifiers.join(', ')} printed "${child.stdout}"`)
  return value
}

/**
 * 5. Size and init: the bytes our packages add to an esbuild bundle (minified ESM,
 * `@aws-sdk/*` external) of the example handler, and the import time of the
 * middleware against `@middy/core` alone, in fresh node processes.
 */
export async function sizeAndInit(options: SizeOptions): Promise<Section> {
  const exampleExists = existsSync(EXAMPLE)
  const main = await bundle(exampleExists ? EXAMPLE : STAND_IN)
  const standIn = exampleExists ? await bundle(STAND_IN) : main
  const ours = (b: Bundle) => (b.byOwner.get('@cloudmap-middy/core') ?? 0) + (b.byOwner.get('@cloudmap-middy/middy') ?? 0)
  const breakdown = (b: Bundle) =>
    [...b.byOwner.entries()]
      .sort((a, z) => z[1] - a[1])
      .map(([owner, bytes]) => `${owner} ${kib(bytes)}`)
      .join(', ')

  // The bundle as Lambda would load it: written next to node_modules so the external SDK resolves.
  const bundled = join(BENCH, '.tmp/handler.mjs')
  await mkdir(dirname(bundled), { recursive: true })
  await writeFile(bundled, (await bundle(STAND_IN, [sdkFromCore])).code)

  const variants: ReadonlyArray<readonly [string, readonly string[]]> = [
    ['@middy/core', ['@middy/core']],
    ['@middy/core + @cloudmap-middy/middy', ['@middy/core', '@cloudmap-middy/middy']],
    ['@middy/core + @aws-sdk/client-servicediscovery', ['@middy/core', '@aws-sdk/client-servicediscovery']],
    ['stand-in handler bundle', [`./${relative(BENCH, bundled)}`]],
  ]
  const times = new Map<string, number[]>(variants.map(([name]) => [name, []]))
  for (let i = 0; i < options.spawns; i++) {
    // Rotate the order so the page cache favours none of them.
    for (let v = 0; v < variants.length; v++) {
      const [name, specifiers] = variants[(v + i) % variants.length] as readonly [string, readonly string[]]
      times.get(name)?.push(importTime(specifiers, BENCH))
    }
  }
  const timeOf = (name: string) => median(times.get(name) ?? [])
  const middyAlone = timeOf('@middy/core')
  const withOurs = timeOf('@middy/core + @cloudmap-middy/middy')
  const withSdk = timeOf('@middy/core + @aws-sdk/client-servicediscovery')

  const rows: Row[] = [
    {
      figure: `bytes from packages/core + packages/middy in ${exampleExists ? 'the example' : 'the stand-in'} bundle`,
      measured: kib(ours(main)),
      target: '≤ 12 KiB',
      met: ours(main) <= TARGET_BYTES,
      detail: `${ratio(ours(main) / TARGET_BYTES)} of the target; ${main.entry}: ${kib(main.bytes)} minified (${kib(main.gzip)} gzip) = ${breakdown(main)}`,
    },
  ]
  if (exampleExists) {
    rows.push({
      figure: 'same, stand-in handler (lambda + queue + topic)',
      measured: kib(ours(standIn)),
      detail: `${standIn.entry}: ${kib(standIn.bytes)} minified = ${breakdown(standIn)}`,
    })
  }
  rows.push(
    {
      figure: 'import @middy/core + @cloudmap-middy/middy vs @middy/core alone',
      measured: ratio(withOurs / middyAlone),
      detail: `${ms(withOurs)} vs ${ms(middyAlone)} (+${ms(withOurs - middyAlone)})`,
    },
    {
      figure: 'import @middy/core + @aws-sdk/client-servicediscovery (hand-written discovery)',
      measured: ratio(withSdk / middyAlone),
      detail: `${ms(withSdk)}: what any Cloud Map lookup loads anyway`,
    },
    {
      figure: 'import of the stand-in bundle (SDK external)',
      measured: ms(timeOf('stand-in handler bundle')),
      detail: 'the handler as Lambda would load it after bundling',
    },
  )
  return {
    title: '5. Size and init',
    rows,
    notes: [
      exampleExists
        ? `Bundled ${main.entry} (the example handler), and the stand-in bench/fixtures/handler.ts for comparison.`
        : 'examples/scheduler/src/handlers/schedule-job.ts did not exist at this run: bundled the stand-in bench/fixtures/handler.ts (lambda, queue and topic dependencies) instead.',
      `Our largest files in that bundle: ${[...main.ourFiles.entries()]
        .sort((a, z) => z[1] - a[1])
        .slice(0, 8)
        .map(([file, bytes]) => `${file} ${kib(bytes)}`)
        .join(', ')}.`,
      "esbuild: bundle, minify, format esm, platform node, target node20, external @aws-sdk/*; bytes per package are the metafile's bytesInOutput; @cloudmap-middy/* resolve to packages/*/dist (built by `pnpm build`). 1 KiB = 1024 bytes.",
      `Import time: median of ${options.spawns} fresh \`node\` processes per variant (interleaved), measured inside the process around the dynamic imports (node's own start excluded). @cloudmap-middy/core loads the Cloud Map SDK client when imported; the Lambda, SQS and SNS clients load on the first call that needs them.`,
    ],
  }
}
