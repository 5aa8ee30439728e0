import { byteLength } from './json.js'

/**
 * Message attributes as a typed map: a string, a number or binary data, or an
 * explicit custom type (`{ dataType: 'Number.float', value: '1.5' }`).
 *
 * @example
 * ```ts
 * await queue.send(job, { attributes: { tenant: 'acme', priority: 5, signature: new Uint8Array([1, 2]) } })
 * ```
 */
export type MessageAttributeInput =
  | string
  | number
  | Uint8Array
  | {
      /** The SQS / SNS `DataType`: `String`, `Number` or `Binary`, optionally with a custom suffix (`Number.float`). */
      readonly dataType: string
      /** The value: text for `String` and `Number` types, bytes for `Binary` ones. */
      readonly value: string | Uint8Array
    }

/**
 * Message attributes by name, as `send()`, `sendBatch()`, `publish()` and `publishBatch()`
 * take them. They count towards the message size limit.
 */
export type MessageAttributes = Readonly<Record<string, MessageAttributeInput>>

/**
 * One attribute as SQS and SNS send it (their `MessageAttributeValue`, which it is assignable to).
 * The library's own type: the declarations refer to neither SDK package.
 *
 * @internal
 */
export interface EncodedAttribute {
  readonly DataType: string
  readonly StringValue?: string
  readonly BinaryValue?: Uint8Array
}

function encode(value: MessageAttributeInput): EncodedAttribute {
  if (typeof value === 'string') return { DataType: 'String', StringValue: value }
  if (typeof value === 'number') return { DataType: 'Number', StringValue: String(value) }
  if (value instanceof Uint8Array) return { DataType: 'Binary', BinaryValue: value }
  return typeof value.value === 'string'
    ? { DataType: value.dataType, StringValue: value.value }
    : { DataType: value.dataType, BinaryValue: value.value }
}

/** The MessageAttributes of SQS's and SNS's send requests for a typed map. */
export function toMessageAttributes(attributes: MessageAttributes): Record<string, EncodedAttribute> {
  return Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, encode(value)]))
}

/**
 * Received message attributes by name: a null-prototype object, so any name (`__proto__`, `constructor`) is a plain own key.
 * Not exported by the package: the docs show the record type where it is used.
 *
 * @inline
 */
export type ReceivedAttributes = Record<string, string | number | Uint8Array>

/** One attribute of a received SQS message (SQS's `MessageAttributeValue`), every field unchecked. */
type ReceivedAttribute = { readonly DataType?: unknown; readonly StringValue?: unknown; readonly BinaryValue?: unknown }

/** The number an SQS `Number` attribute holds, or undefined when its text is not a finite number. */
function numberOf(text: string): number | undefined {
  const value = Number(text)
  return text.trim() !== '' && Number.isFinite(value) ? value : undefined
}

/**
 * Reads SQS's MessageAttributes back into a typed map: binary data as a `Uint8Array`,
 * `Number` (and `Number.<custom>`) as a number, anything else as its text.
 *
 * The result has no prototype, so an attribute named `__proto__` or `constructor` (any
 * producer may send one) is an ordinary own key and a missing one reads `undefined`.
 * An attribute that holds nothing usable is left out, never an error: one with neither a
 * string nor a binary value, or a `Number` whose text is not a finite number (SQS checks
 * numbers when they are sent, so that only comes from a misbehaving client or proxy).
 *
 * @example
 * ```ts
 * fromSqsAttributes({ priority: { DataType: 'Number', StringValue: '5' }, __proto__: { DataType: 'String', StringValue: 'x' } })
 * // { priority: 5, __proto__: 'x' } (null prototype)
 * ```
 */
export function fromSqsAttributes(attributes: Readonly<Record<string, ReceivedAttribute>> | undefined): ReceivedAttributes {
  const out: ReceivedAttributes = Object.create(null)
  if (attributes === null || typeof attributes !== 'object') return out
  for (const [name, attribute] of Object.entries(attributes)) {
    if (attribute === null || typeof attribute !== 'object') continue
    // Untrusted wire data: every field is checked, whatever the SDK's types say.
    const { DataType: type, StringValue: text, BinaryValue: binary } = attribute
    if (ArrayBuffer.isView(binary)) {
      out[name] = binary instanceof Uint8Array ? binary : new Uint8Array(binary.buffer, binary.byteOffset, binary.byteLength)
    } else if (typeof text === 'string') {
      if (typeof type === 'string' && (type === 'Number' || type.startsWith('Number.'))) {
        const value = numberOf(text)
        if (value !== undefined) out[name] = value
      } else out[name] = text
    }
  }
  return out
}

/** Bytes the attributes add to a message, as SQS and SNS count them (name, type and value). */
export function attributesSize(attributes: MessageAttributes | undefined): number {
  if (!attributes) return 0
  let size = 0
  for (const [name, value] of Object.entries(attributes)) {
    const encoded = encode(value)
    size += byteLength(name) + byteLength(encoded.DataType)
    size += encoded.BinaryValue ? encoded.BinaryValue.byteLength : byteLength(encoded.StringValue ?? '')
  }
  return size
}
