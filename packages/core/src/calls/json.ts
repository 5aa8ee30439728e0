import { andThen } from '../dependency/dependency.js'
import { PayloadTooLargeError, PayloadValidationError } from '../errors.js'
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
