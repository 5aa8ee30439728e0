// `pnpm bench`: every benchmark in one run, a table on stdout and bench/RESULTS.md.
// Quick mode (`--quick` or BENCH_QUICK=1) runs tiny counts for CI and writes no file:
// it exits 1 when a benchmark throws, never because a target was missed.
import { readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { cpus, platform, release, totalmem } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { coldStart } from './cold.js'
import { cells, type Failure, HEADER, markdownTable, type Section, textTable, verdict } from './lib/report.js'
import { memory } from './memory.js'
import { sizeAndInit } from './size.js'
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
  runs: quick ? 1 : 3,
  outage: [4 * 60_000, 6 * 60_000],
}

const benchmarks: ReadonlyArray<readonly [string, () => Promise<Section>]> = [
  ['1. Warm overhead', () => warmOverhead(quick ? { rounds: 2, timeMs: 50, batch: 50 } : { rounds: 9, timeMs: 500, batch: 200 })],
  ['2. Cold start', () => coldStart({ runs: quick ? 2 : 15, delayMs: 25 })],
  ['3. Cloud Map calls', () => cloudMapCalls(traffic)],
  ['4. Availability', () => availability(traffic)],
  ['5. Size and init', () => sizeAndInit({ spawns: quick ? 2 : 15 })],
  ['6. Memory', () => memory(quick ? { resolvers: 300, keys: 2_000 } : { resolvers: 3_000, keys: 20_000 })],
]

function versionOf(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(BENCH, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version
  } catch {
    return '?'
  }
}

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
console.log(`${machine.cpu}, ${machine.cores} cores, Node ${machine.node}, ${machine.date}\n`)

for (const [title, run] of benchmarks) {
  const t0 = performance.now()
  try {
    const section = await run()
    sections.push(section)
    console.log(`${section.title}  [${((performance.now() - t0) / 1000).toFixed(1)} s]`)
    console.log(textTable(HEADER, section.rows.map(cells)))
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
    ['figure', 'measured', 'target', 'verdict'],
    targeted.map(({ row }) => [row.figure, row.measured, row.target ?? '', verdict(row)]),
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
    `Written by \`pnpm bench\` (bench/src/run.ts) on ${machine.date}; do not edit by hand, run it again.`,
    '',
    `Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memory}, Node ${machine.node}, ${machine.os}. ` +
      `@middy/core ${versionOf('@middy/core')}, tinybench ${versionOf('tinybench')}, esbuild ${versionOf('esbuild')}. ` +
      'The packages are imported through the workspace: `@cloudmap-middy/*` resolve to packages/*/dist, built by `pnpm build` first.',
    '',
    '## Targets',
    '',
    markdownTable(
      ['benchmark', 'figure', 'measured', 'target', 'verdict'],
      targeted.map(({ section, row }) => [section.title.replace(/ \(.*$/, ''), row.figure, row.measured, row.target ?? '', verdict(row)]),
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
