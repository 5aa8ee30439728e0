// The check's report as a terminal reads it: one block per function, one row per dependency,
// the reason under each failure, and a summary naming the function and address of each.
import type { CheckReport, DependencyReport, FunctionReport } from './check.js'

/** Options of {@link formatReport}. */
export interface FormatOptions {
  /** Colour ✓ and ✗ (ANSI). Default false. */
  readonly color?: boolean
}

const paint = (color: boolean, code: number) => (text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text)

/**
 * What must not reach a terminal as is: control characters (ANSI escapes among them), format
 * characters (Unicode's Cf: bidirectional marks, embeddings, overrides and isolates such as U+200E,
 * U+061C, U+202E, U+2066; zero-width characters such as U+200B, U+FEFF), line and paragraph
 * separators, and lone surrogates. Registry data, templates and error messages could carry any.
 */
const UNPRINTABLE = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\p{Cs}]/gu

/** The text with every unprintable character written as `\u{…}`. */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`)
}

/**
 * The version of the `--json` document ({@link formatJson}): raised whenever a field is removed,
 * renamed or changes meaning; adding a field keeps it.
 */
export const REPORT_VERSION = 1

/** `\uXXXX` for each UTF-16 unit of a character (a pair for one beyond U+FFFF), as JSON writes it. */
const jsonEscape = (char: string) =>
  [...Array(char.length).keys()].map((index) => `\\u${char.charCodeAt(index).toString(16).padStart(4, '0')}`).join('')

/**
 * The report as the `--json` document: `{ "version": 1, ...report }`, two-space indented, with
 * every character the text report escapes (control and format characters, separators) written as a JSON `\uXXXX` escape (JSON.stringify
 * already escapes C0 controls and lone surrogates; the layout's own line breaks stay).
 *
 * @example
 * ```ts
 * process.stdout.write(`${formatJson(await check('template.yaml'))}\n`)
 * ```
 */
export function formatJson(report: CheckReport): string {
  return JSON.stringify({ version: REPORT_VERSION, ...report }, null, 2).replace(UNPRINTABLE, (char) =>
    char === '\n' ? char : jsonEscape(char),
  )
}

/** A copy of a value with every string in it made printable. */
function printableDeep<T>(value: T): T {
  if (typeof value === 'string') return printable(value) as T
  if (Array.isArray(value)) return value.map(printableDeep) as T
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [printable(key), printableDeep(item)])) as T
  }
  return value
}

/** What the row of a passing dependency says it checked: its instances, their type, the actions allowed (from the findings' fields). */
function passed(dependency: DependencyReport): string {
  const parts: string[] = []
  const types = dependency.findings.find((finding) => finding.check === 'type')?.types ?? []
  const typed = types.length > 0 && !types.includes('(none)') ? ` (${types.join(', ')})` : ''
  for (const finding of dependency.findings) {
    if (finding.check === 'registered') parts.push(finding.optional ? finding.detail : `${finding.detail}${typed}`)
    else if (finding.check === 'discover' && finding.access) parts.push(finding.access.action.replace(/^servicediscovery:/, ''))
    else if (finding.check === 'call' && finding.access) parts.push(finding.access.action)
    else if (finding.check === 'live') parts.push(`live: ${finding.detail}`)
  }
  return [...new Set(parts)].join(' · ')
}

function functionLine(fn: FunctionReport, mark: (ok: boolean | undefined) => string, dim: (text: string) => string): string {
  const status = fn.status === 'skipped' ? undefined : fn.status === 'ok'
  const name = fn.name === fn.logicalId ? '' : ` (${fn.name})`
  return `${mark(status)} ${fn.logicalId}${name}${fn.handler ? dim(`  ${fn.handler}`) : ''}`
}

/**
 * The report as text: a header, a block per function (✓ / ✗ per dependency, and why each ✗
 * failed), and a summary listing each failure with its function and address. Control
 * characters in any of it (registry data, error messages) are written as `\u{…}`.
 *
 * @example
 * ```ts
 * console.log(formatReport(await check('template.yaml'), { color: process.stdout.isTTY }))
 * ```
 */
export function formatReport(given: CheckReport, options: FormatOptions = {}): string {
  const report = printableDeep(given)
  const color = options.color ?? false
  const green = paint(color, 32)
  const red = paint(color, 31)
  const dim = paint(color, 2)
  const mark = (ok: boolean | undefined) => (ok === undefined ? dim('–') : ok ? green('✓') : red('✗'))
  const lines: string[] = []
  const parameters = Object.entries(report.parameters).map(([name, value]) => `${name}=${value}`)
  lines.push(`cloudmap-middy check ${report.template}`)
  lines.push(
    dim(
      [
        report.form === 'sam' ? 'SAM template' : 'CloudFormation template',
        ...parameters,
        `region ${report.region}`,
        `account ${report.account}`,
        ...(report.live ? ['live'] : []),
      ].join(' · '),
    ),
  )
  const { applied, missing } = report.isolation
  if (applied.length > 0 || missing.length > 0) {
    lines.push(dim(`isolation: ${applied.join(', ') || 'none'}${missing.map((m) => ` · no ${m.layer}: ${m.reason}`).join('')}`))
  }
  for (const note of report.notes) lines.push(dim(`note: ${note}`))
  const rows = report.functions.flatMap((fn) => fn.dependencies)
  const width = (pick: (d: DependencyReport) => string) => Math.max(0, ...rows.map((d) => pick(d).length))
  const nameWidth = width((d) => d.name ?? `(${d.by})`)
  const kindWidth = width((d) => d.kind)
  const addressWidth = width((d) => d.address)

  for (const fn of report.functions) {
    lines.push('')
    lines.push(functionLine(fn, mark, dim))
    if (fn.reason !== undefined) lines.push(`    ${fn.status === 'failed' ? red(fn.reason) : dim(fn.reason)}`)
    if (fn.status !== 'skipped') for (const note of fn.notes) lines.push(dim(`    note: ${note}`))
    if (fn.status !== 'skipped' && fn.reason === undefined && fn.dependencies.length === 0)
      lines.push(dim('    declares no dependency while it loads (one created inside the handler body is not seen)'))
    for (const dependency of fn.dependencies) {
      const name = (dependency.name ?? `(${dependency.by})`).padEnd(nameWidth)
      const columns = `${name}  ${dependency.kind.padEnd(kindWidth)}  ${dependency.address.padEnd(addressWidth)}`
      lines.push(`  ${mark(dependency.ok)} ${columns}  ${dependency.ok ? dim(passed(dependency)) : ''}`.trimEnd())
      for (const finding of dependency.findings) {
        if (!finding.ok) lines.push(`      ${red(finding.check)}: ${finding.detail}`)
      }
    }
  }

  lines.push('')
  const checked = report.functions.filter((fn) => fn.status !== 'skipped')
  const skipped = report.functions.length - checked.length
  const count = `${checked.length} ${checked.length === 1 ? 'function' : 'functions'}, ${rows.length} ${rows.length === 1 ? 'dependency' : 'dependencies'}${skipped > 0 ? `, ${skipped} skipped` : ''}`
  if (report.ok) {
    lines.push(`${green('✓')} ${count}: every dependency is registered, of its kind's type, valid for its schema and permitted`)
  } else {
    lines.push(`${red('✗')} ${report.problems.length} ${report.problems.length === 1 ? 'problem' : 'problems'} in ${count}:`)
    // One line per function, address and check, with how many failures it stands for.
    const counts = new Map<string, number>()
    for (const problem of report.problems) {
      const line = `${problem.function}${problem.address === undefined ? '' : ` ${problem.address}`}: ${problem.check}`
      counts.set(line, (counts.get(line) ?? 0) + 1)
    }
    for (const [line, count] of counts) lines.push(`  ${red('✗')} ${line}${count > 1 ? ` (×${count})` : ''}`)
  }
  return `${lines.join('\n')}\n`
}
