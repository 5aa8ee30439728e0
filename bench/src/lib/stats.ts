/** The median of some numbers (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2
}

/** `1.04×` */
export function ratio(value: number): string {
  return `${value.toFixed(value >= 100 ? 0 : 2)}×`
}

/** Milliseconds with a sensible precision. */
export function ms(value: number): string {
  return value >= 100 ? `${value.toFixed(0)} ms` : `${value.toFixed(1)} ms`
}

/** Nanoseconds or microseconds, for per-invocation costs. */
export function duration(nanoseconds: number): string {
  return nanoseconds >= 10_000 ? `${(nanoseconds / 1000).toFixed(1)} µs` : `${nanoseconds.toFixed(0)} ns`
}

/** Bytes as KiB. */
export function kib(bytes: number): string {
  return `${(bytes / 1024).toFixed(1)} KiB`
}

/** Thousands separated by a thin space, for counts. */
export function count(value: number): string {
  return value.toLocaleString('en-US')
}

/** 12.5 % */
export function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction === 0 ? 0 : 2)} %`
}

/** The least, middle and greatest of repeated measurements of one figure. */
export interface Spread {
  readonly min: number
  readonly median: number
  readonly max: number
}

export function spread(values: readonly number[]): Spread {
  return { min: Math.min(...values), median: median(values), max: Math.max(...values) }
}

/** `1.01× / 1.03× / 1.06×`: min / median / max, each written by `format`. */
export function spreadText(values: Spread, format: (value: number) => string): string {
  return `${format(values.min)} / ${format(values.median)} / ${format(values.max)}`
}

/** Bytes with no unit conversion: `0 B`, `37.5 B`. */
export function bytes(value: number): string {
  return `${Math.abs(value) < 10 ? value.toFixed(1) : value.toFixed(0)} B`
}
