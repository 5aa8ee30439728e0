// Prints the coverage of each package from what `pnpm test` wrote (coverage/coverage-summary.json), and fails when
// the suite passed but a package fell below its floor (coverageThreshold in jest.config.js). With Jest's JSON report
// as its argument (CI's JEST_JSON_REPORT): a failed run with no failed test is a floor not met.
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const reportPath = process.argv[2]
const report = reportPath === undefined ? undefined : JSON.parse(readFileSync(reportPath, 'utf8'))
const testsFailed =
  report !== undefined && (report.numFailedTests > 0 || report.numFailedTestSuites > 0 || report.numRuntimeErrorTestSuites > 0)
// A failed test is reported as such (by CI's summary): the figures of a broken run say nothing.
if (testsFailed) process.exit(0)
const summaryPath = join(root, 'coverage', 'coverage-summary.json')
if (!existsSync(summaryPath)) {
  console.error('coverage: no coverage/coverage-summary.json: the suite ran without --coverage')
  process.exit(1)
}
const metrics = ['statements', 'branches', 'functions', 'lines']
const packages = new Map()
for (const [file, figures] of Object.entries(JSON.parse(readFileSync(summaryPath, 'utf8')))) {
  const name = /packages\/([^/]+)\/src\//.exec(file)?.[1]
  if (name === undefined) continue
  const sums = packages.get(name) ?? Object.fromEntries(metrics.map((m) => [m, { covered: 0, total: 0 }]))
  for (const m of metrics) {
    sums[m].covered += figures[m].covered
    sums[m].total += figures[m].total
  }
  packages.set(name, sums)
}
for (const [name, sums] of [...packages].sort(([a], [b]) => a.localeCompare(b))) {
  const shown = metrics.map((m) => `${m} ${sums[m].total === 0 ? 100 : ((100 * sums[m].covered) / sums[m].total).toFixed(2)} %`)
  console.log(`coverage of packages/${name}/src: ${shown.join(', ')}`)
}
if (report !== undefined && !report.success) {
  console.error('coverage: below the floor of a package (coverageThreshold in jest.config.js): see "coverage threshold" above')
  process.exit(1)
}
