import type { MessageAttributeValue as SnsAttribute } from '@aws-sdk/client-sns'
import type { MessageAttributeValue as SqsAttribute } from '@aws-sdk/client-sqs'
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
export type MessageAttributeInput = string | number | Uint8Array | { readonly dataType: string; readonly value: string | Uint8Array }
export type MessageAttributes = Readonly<Record<string, MessageAttributeInput>>

type Encoded = { DataType: string; StringValue?: string; BinaryValue?: Uint8Array }

function encode(value: MessageAttributeInput): Encoded {
  if (typeof value === 'string') return { DataType: 'String', StringValue: value }
  if (typeof value === 'number') return { DataType: 'Number', StringValue: String(value) }
  if (value instanceof Uint8Array) return { DataType: 'Binary', BinaryValue: value }
  return typeof value.value === 'string'
    ? { DataType: value.dataType, StringValue: value.value }
    : { DataType: value.dataType, BinaryValue: value.value }
}

/** SQS's MessageAttributes for a typed map. */
export function toSqsAttributes(attributes: MessageAttributes): Record<string, SqsAttribute> {
  return Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, encode(value)]))
}

/** SNS's MessageAttributes for a typed map. */
export function toSnsAttributes(attributes: MessageAttributes): Record<string, SnsAttribute> {
  return Object.fromEntries(Object.entries(attributes).map(([name, value]) => [name, encode(value)]))
}

/** Reads SQS's MessageAttributes back into a typed map (numbers as numbers). */
export function fromSqsAttributes(attributes: Record<string, SqsAttribute> | undefined): Record<string, string | number | Uint8Array> {
  const out: Record<string, string | number | Uint8Array> = {}
  for (const [name, attribute] of Object.entries(attributes ?? {})) {
    if (attribute.BinaryValue !== undefined) out[name] = attribute.BinaryValue
    else if (attribute.DataType?.startsWith('Number') && attribute.StringValue !== undefined) out[name] = Number(attribute.StringValue)
    else if (attribute.StringValue !== undefined) out[name] = attribute.StringValue
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
