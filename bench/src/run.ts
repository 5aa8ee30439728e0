// `pnpm bench`: every benchmark in one run, a table on stdout and bench/RESULTS.md.
// Quick mode (`--quick` or BENCH_QUICK=1) runs tiny counts for CI and writes no file:
// it exits 1 when a benchmark throws or a figure is over its hard limit (a section's `errors`:
// the bundle sizes), never because a target was missed.
import { spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { cpus, platform, release, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { coldStart } from './cold.js'
import { coldLambda } from './cold-lambda.js'
import { expiryResponse } from './expiry.js'
import { fleet } from './fleet.js'
import { cells, type Failure, HEADER, markdownTable, type Section, TARGET_HEADER, targetCells, textTable } from './lib/report.js'
import { memory } from './memory.js'
import { bundleSizes } from './size.js'
import { availability, cloudMapCalls, type TrafficOptions } from './traffic.js'
import { warmOverhead } from './warm.js'

const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1'
const BENCH = join(dirname(fileURLToPath(import.meta.url)), '..')

const traffic: TrafficOptions = {
  invocations: quick ? 1_000 : 10_000,
  concurrency: 50,
  durationMs: 10 * 60_000,
  ttlMs: 60_000,
  services: 5,
  containers: 50,
  runs: quick ? 1 : 3,
  outage: [4 * 60_000, 6 * 60_000],
}

const benchmarks: ReadonlyArray<readonly [string, () => Promise<Section>]> = [
  [
    '1. Warm overhead',
    () =>
      warmOverhead(
        quick
          ? { runs: 1, rounds: 20, batch: 50, warmup: 500, allocationInvocations: 500 }
          : { runs: 5, rounds: 200, batch: 200, warmup: 2_000, allocationInvocations: 2_000 },
      ),
  ],
  ['2. Cold start from import', () => coldStart({ runs: quick ? 1 : 15, delayMs: 25 })],
  ['3. Cloud Map calls', () => cloudMapCalls(traffic)],
  ['4. Availability', () => availability(traffic)],
  ['5. Bundle size', () => bundleSizes()],
  ['6. Memory', () => memory(quick ? { resolvers: 300, keys: 2_000 } : { resolvers: 3_000, keys: 20_000 })],
  [
    '7. Fleet deploy',
    // Cloud Map's quota (1,000 TPS, burst 2,000) and a 1,000-container deploy scaled down 5× (quick: 25×).
    () =>
      fleet(
        quick
          ? { containers: 40, overload: 80, services: 5, rate: 40, burst: 80, budgetMs: 6_000, spreadMs: 1_000, seeds: 1, sweep: false }
          : {
              containers: 200,
              overload: 400,
              services: 5,
              rate: 200,
              burst: 400,
              budgetMs: 6_000,
              spreadMs: 1_000,
              seeds: 3,
              headlineSeeds: 10,
              sweep: true,
            },
      ),
  ],
  [
    '8. TTL expiry in a frozen container',
    // Cloud Map 20 ms away, as in the issue's measurement of the figure before.
    () => expiryResponse(quick ? { runs: 1, invocations: 5, latencyMs: 20 } : { runs: 3, invocations: 30, latencyMs: 20 }),
  ],
  [
    '9. Cold start in a Lambda environment',
    // Every request 20 ms away, as in the issue's measurement of the figures before.
    () => coldLambda({ runs: quick ? 2 : 25, latencyMs: 20 }),
  ],
]

function versionOf(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(BENCH, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return '?'
  }
}

/** The commit measured: `git rev-parse --short HEAD`, and whether the tree had changes on top of it. */
function commitOf(): string {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: BENCH, encoding: 'utf8' })
  const head = git('rev-parse', '--short', 'HEAD')
  if (head.status !== 0) return 'unknown (not a git checkout)'
  const dirty = git('status', '--porcelain').stdout.trim() !== ''
  return `${head.stdout.trim()}${dirty ? ' + uncommitted changes' : ''}`
}
const commit = commitOf()

const cpu = cpus()
const machine = {
  cpu: cpu[0]?.model.trim() ?? 'unknown',
  cores: cpu.length,
  node: process.version,
  os: `${platform()} ${release()}`,
  memory: `${Math.round(totalmem() / 2 ** 30)} GiB`,
  date: new Date().toISOString(),
}

const sections: Section[] = []
const failures: Failure[] = []
const started = performance.now()
console.log(`cloudmap-middy benchmarks${quick ? ' (quick mode: tiny counts, figures not meaningful)' : ''}`)
console.log(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}, commit ${commit}\n`)

for (const [title, run] of benchmarks) {
  const t0 = performance.now()
  try {
    const section = await run()
    sections.push(section)
    console.log(`${section.title}  [${((performance.now() - t0) / 1000).toFixed(1)} s]`)
    console.log(textTable(HEADER, section.rows.map(cells)))
    for (const error of section.errors ?? []) {
      failures.push({ title, error: new Error(error) })
      console.log(`FAILED: ${error}`)
    }
    console.log('')
  } catch (error) {
    failures.push({ title, error })
    console.log(`${title}: FAILED [${((performance.now() - t0) / 1000).toFixed(1)} s]`)
    console.log(error instanceof Error ? (error.stack ?? error.message) : String(error))
    console.log('')
  }
}

const targeted = sections.flatMap((section) => section.rows.filter((row) => row.met !== undefined).map((row) => ({ section, row })))
const missed = targeted.filter(({ row }) => row.met === false)
console.log('Targets')
console.log(
  textTable(
    TARGET_HEADER,
    targeted.map(({ row }) => targetCells(row)),
  ),
)
const seconds = (performance.now() - started) / 1000
console.log(
  `\n${targeted.length - missed.length} of ${targeted.length} targets met${missed.length > 0 ? `; missed: ${missed.map(({ row }) => row.figure).join('; ')}` : ''}. ${failures.length} benchmark(s) failed. ${seconds.toFixed(0)} s.`,
)

if (!quick) {
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`pnpm bench\` (bench/src/run.ts) on ${machine.date} at commit ${commit}; do not edit by hand, run it again.`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory}, Node ${machine.node}, ${machine.os}. ` +
      `@middy/core ${versionOf('@middy/core')}, @aws-sdk/client-servicediscovery ${versionOf('@aws-sdk/client-servicediscovery')}, esbuild ${versionOf('esbuild')}. ` +
      'The packages are imported through the workspace: `@cloudmap-middy/*` resolve to packages/*/dist, built by `pnpm build` first.',
    '',
    '## Targets',
    '',
    markdownTable(
      ['benchmark', ...TARGET_HEADER],
      targeted.map(({ section, row }) => [section.title.replace(/ \(.*$/, ''), ...targetCells(row)]),
    ),
    '',
    ...(failures.length > 0 ? [`**Failed to run:** ${failures.map((f) => f.title).join(', ')}`, ''] : []),
    ...sections.flatMap((section) => [
      `## ${section.title}`,
      '',
      markdownTable([...HEADER], section.rows.map(cells)),
      '',
      ...section.notes.map((note) => `- ${note}`),
      '',
    ]),
    `Total run time: ${seconds.toFixed(0)} s.`,
    '',
  ]
  await writeFile(join(BENCH, 'RESULTS.md'), lines.join('\n'))
  console.log('Wrote bench/RESULTS.md')
}

process.exit(failures.length > 0 ? 1 : 0)
