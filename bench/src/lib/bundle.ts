// Handlers bundled as `sam build` bundles them (`BuildMethod: esbuild`: Format esm, Minify,
// External @aws-sdk/*): one definition for every benchmark that measures a bundle.
import { mkdirSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type BuildOptions, build } from 'esbuild'

const BENCH = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
const ROOT = resolve(BENCH, '..')

/** SAM's esbuild options, less the entry and the output. */
export const SAM_BUILD = {
  bundle: true,
  minify: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // @opentelemetry/api: core's optional peer, installed here for the tests. A user without OpenTelemetry has none,
  // and esbuild leaves its import() to fail at run time (caught); with an ADOT layer it is external too.
  external: ['@aws-sdk/*', '@opentelemetry/api'],
  // A handler's own dependencies resolve from its folder; anything it lacks (an example before its install) from the bench's.
  nodePaths: [join(BENCH, 'node_modules')],
  absWorkingDir: ROOT,
  logLevel: 'silent',
} as const satisfies BuildOptions

/**
 * Bundles `entry` into `outfile` as SAM does (`conditions`: package export conditions to prefer,
 * `['require']` for a package's CommonJS-style entry) and returns `outfile`. Under bench/, the
 * bundle finds the external @aws-sdk/* clients in bench/node_modules, as a function finds them in
 * its runtime.
 */
export async function bundleHandler(entry: string, outfile: string, conditions: string[] = []): Promise<string> {
  mkdirSync(dirname(outfile), { recursive: true })
  await build({ ...SAM_BUILD, entryPoints: [entry], conditions, outfile })
  return outfile
}
