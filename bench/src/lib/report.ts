/** One measured figure, as it appears in the table and in RESULTS.md. */
export interface Row {
  /** What is compared: "cloudMap() vs hard-coded ARNs". */
  readonly figure: string
  /** The headline number, usually a ratio against the baseline. */
  readonly measured: string
  /** The raw figures behind it. */
  readonly detail: string
  readonly target?: string
  /** Undefined when the row has no target (context only). */
  readonly met?: boolean
  /** min / median / max over repeated side-by-side runs (`measured` is the median), when the figure was repeated. */
  readonly range?: string
  /** The figure before this change, where the issue that set the target gives one. */
  readonly before?: string
  /** What a missed target comes down to, for the summary. */
  readonly why?: string
}

/** One benchmark's rows and what a reader needs to interpret them. */
export interface Section {
  readonly title: string
  readonly rows: readonly Row[]
  readonly notes: readonly string[]
  /** Figures over a hard limit (a regression, not a missed target): the run fails, in quick mode too. */
  readonly errors?: readonly string[]
}

/** A section whose benchmark threw. */
export interface Failure {
  readonly title: string
  readonly error: unknown
}

export function verdict(row: Row): string {
  if (row.met === undefined) return ''
  return row.met ? 'met' : 'MISSED'
}

/** A plain-text table, columns padded to their widest cell. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/** A Markdown table; pipes in cells are escaped. */
export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((cell) => cell.replaceAll('|', '\\|')).join(' | ')} |`
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n')
}

export const HEADER = ['figure', 'measured', 'min / median / max', 'target', 'verdict', 'detail'] as const

export function cells(row: Row): string[] {
  return [row.figure, row.measured, row.range ?? '—', row.target ?? '—', verdict(row) || '—', row.detail]
}

/** Columns of the targets summary. */
export const TARGET_HEADER = ['figure', 'before', 'min / median / max', 'target', 'verdict', 'why missed'] as const

export function targetCells(row: Row): string[] {
  return [
    row.figure,
    row.before ?? '—',
    row.range ?? row.measured,
    row.target ?? '',
    verdict(row),
    row.met === false ? (row.why ?? row.detail) : '',
  ]
}
