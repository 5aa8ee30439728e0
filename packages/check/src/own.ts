// Templates, parameters and options are keyed by names their authors choose: a logical id, a
// parameter or a dependency may be called `constructor`, `toString` or `__proto__`.

/**
 * A record's own value at `key`, never one inherited from `Object.prototype` (`record.constructor`
 * is a function on any plain object).
 */
export function own<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && record !== null && Object.hasOwn(record, key) ? record[key] : undefined
}

/** An empty record with no prototype: any key may be set on it (`__proto__` included) and read back. */
export function record<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>
}
