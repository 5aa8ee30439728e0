// API reports: the public surface of every entry point of every published package, as API Extractor
// writes it, kept in packages/<name>/api/. A change to the surface shows in review as a diff of these files.
// `node scripts/api-report.mjs` checks (CI: fails when a report is out of date); `--update` rewrites them.
// Run after `pnpm build`: the reports are read from the built declarations.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const update = process.argv.includes('--update')
const packages = readdirSync(join(root, 'packages'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => join(root, 'packages', d.name))

const reportTempFolder = mkdtempSync(join(tmpdir(), 'api-report-'))
let stale = 0
let entries = 0
for (const dir of packages) {
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))
  if (pkg.private) continue
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    if (typeof target !== 'object' || !target.types) continue
    entries++
    const name = subpath === '.' ? 'index' : subpath.slice(2).replaceAll('/', '-')
    const reportFolder = join(dir, 'api')
    mkdirSync(reportFolder, { recursive: true })
    const config = ExtractorConfig.prepare({
      configObject: {
        projectFolder: dir,
        mainEntryPointFilePath: join(dir, target.types),
        compiler: { tsconfigFilePath: join(dir, 'tsconfig.json') },
        apiReport: { enabled: true, reportFileName: `${name}.api.md`, reportFolder, reportTempFolder },
        docModel: { enabled: false },
        dtsRollup: { enabled: false },
        tsdocMetadata: { enabled: false },
        messages: {
          // The reports record the surface; TypeDoc (pnpm docs) is what checks the documentation.
          extractorMessageReporting: { default: { logLevel: 'none' } },
          tsdocMessageReporting: { default: { logLevel: 'none' } },
          compilerMessageReporting: { default: { logLevel: 'warning' } },
        },
      },
      configObjectFullPath: join(dir, 'api-extractor.json'),
      packageJsonFullPath: join(dir, 'package.json'),
    })
    const result = Extractor.invoke(config, {
      localBuild: update,
      messageCallback: (m) => {
        m.handled = m.logLevel === 'none'
      },
    })
    const file = relative(root, join(reportFolder, `${name}.api.md`))
    if (!result.succeeded || result.apiReportChanged) {
      stale++
      console.error(
        update
          ? `api-report: ${file} written`
          : `api-report: ${file} is out of date: run node scripts/api-report.mjs --update and review the diff`,
      )
    }
  }
}
if (entries === 0) {
  console.error('api-report: no entry point found')
  process.exit(1)
}
console.log(`api-report: ${entries} entry points, ${stale} ${update ? 'updated' : 'out of date'}`)
process.exit(update ? 0 : stale > 0 ? 1 : 0)
