import { andThen } from '../and-then.js'
import { PayloadTooLargeError, PayloadValidationError } from '../errors.js'
import { describeSize } from '../redact.js'
import { check, type Schema } from '../schema.js'

/** Bytes of a string as UTF-8, as AWS counts payload sizes. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8')
}

/**
 * Validates a value with its schema when there is one; synchronous for synchronous
 * schemas. Returns the schema's output (what is sent or handed back).
 *
 * @throws {PayloadValidationError} naming the address and what failed (`payload`, `result`, `message`).
 */
export function validate<T>(label: string, what: string, schema: Schema<T> | undefined, value: unknown): T | Promise<T> {
  if (!schema) return value as T
  return andThen(check(schema, value), (result) => {
    if (!result.ok) throw new PayloadValidationError(label, what, result.issues)
    return result.value
  })
}

/** A plain object (not `null`, not an array): what JSON writes `{ ... }`. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/**
 * Parses what a call answered (`result`, `output`); nothing (`undefined` or empty) is `undefined`.
 *
 * @throws {PayloadValidationError} naming the address and `what`, when the text is not JSON: only its size is told.
 */
export function decodeJson(label: string, what: string, text: string | undefined): unknown {
  if (text === undefined || text === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    // The parser's message quotes the text: only its size is told.
    throw new PayloadValidationError(label, what, [{ path: [], message: `is not JSON (${describeSize(text)})` }])
  }
}

/**
 * JSON-encodes a value and checks it against a size limit (`extraBytes` counts what
 * travels with it, such as message attributes).
 *
 * @throws {PayloadValidationError} when the value has no JSON form.
 * @throws {PayloadTooLargeError} naming the address, the size and the limit.
 */
export function encodeJson(label: string, what: string, value: unknown, limit: number, extraBytes = 0): string {
  let text: string | undefined
  try {
    text = JSON.stringify(value)
  } catch (error) {
    throw new PayloadValidationError(label, what, [{ path: [], message: `cannot be encoded as JSON: ${(error as Error).message}` }])
  }
  if (text === undefined) throw new PayloadValidationError(label, what, [{ path: [], message: 'cannot be encoded as JSON (undefined)' }])
  const size = byteLength(text) + extraBytes
  if (size > limit) throw new PayloadTooLargeError(label, what, size, limit)
  return text
}
