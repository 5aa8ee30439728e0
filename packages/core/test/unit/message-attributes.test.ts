import type { MessageAttributeValue } from '@aws-sdk/client-sqs'
import { describe, expect, it } from '@jest/globals'
import { attributesSize, fromSqsAttributes, toMessageAttributes } from '../../src/calls/message-attributes.js'

/** A map whose every name is an own key, `__proto__` included, as the SDK builds received attributes. */
const withOwnKeys = <T>(entries: ReadonlyArray<readonly [string, T]>): Record<string, T> => {
  const map: Record<string, T> = {}
  for (const [name, value] of entries) Object.defineProperty(map, name, { value, enumerable: true, writable: true, configurable: true })
  return map
}
/** Wire data as it may arrive, including entries the SDK's types do not allow. */
const received = (entries: ReadonlyArray<readonly [string, unknown]>) => withOwnKeys(entries) as Record<string, MessageAttributeValue>

describe('Function: fromSqsAttributes', () => {
  it('It should read strings, numbers, custom types and binary data', () => {
    // Prepare
    const signature = new Uint8Array([1, 2])

    // Act
    const attributes = fromSqsAttributes({
      tenant: { DataType: 'String', StringValue: 'acme' },
      attempt: { DataType: 'Number', StringValue: '2' },
      ratio: { DataType: 'Number.float', StringValue: '1.5' },
      region: { DataType: 'String.region', StringValue: 'eu-west-1' },
      signature: { DataType: 'Binary', BinaryValue: signature },
    })

    // Assess
    expect({ ...attributes }).toEqual({ tenant: 'acme', attempt: 2, ratio: 1.5, region: 'eu-west-1', signature })
  })

  it('It should keep attributes named like prototype keys as plain own keys', () => {
    // Prepare
    const attributes = received([
      ['__proto__', { DataType: 'Binary', BinaryValue: new Uint8Array([7]) }],
      ['constructor', { DataType: 'String', StringValue: 'c' }],
      ['toString', { DataType: 'Number', StringValue: '3' }],
    ])

    // Act
    const read = fromSqsAttributes(attributes)

    // Assess
    expect(Object.getPrototypeOf(read)).toBeNull()
    expect(Object.entries(read)).toEqual([
      ['__proto__', new Uint8Array([7])],
      ['constructor', 'c'],
      ['toString', 3],
    ])
    expect(read.hasOwnProperty).toBeUndefined()
  })

  it('It should leave out the attributes that hold no usable value, never throwing', () => {
    // Prepare
    const attributes = received([
      ['empty', { DataType: 'String' }],
      ['nothing', null],
      ['notAnObject', 'text'],
      ['notANumber', { DataType: 'Number', StringValue: 'abc' }],
      ['blankNumber', { DataType: 'Number', StringValue: ' ' }],
      ['infinite', { DataType: 'Number', StringValue: '1e400' }],
      ['badText', { DataType: 'String', StringValue: 42 }],
      ['kept', { DataType: 'String', StringValue: 'yes' }],
    ])

    // Act
    const read = fromSqsAttributes(attributes)

    // Assess
    expect({ ...read }).toEqual({ kept: 'yes' })
  })

  it('It should read no attributes as an empty map', () => {
    expect(Object.keys(fromSqsAttributes(undefined))).toEqual([])
  })
})

describe('Function: toMessageAttributes', () => {
  it('It should encode attributes named like prototype keys as own keys, leaving the prototype alone', () => {
    // Prepare: the received map (null prototype) handed on as it is.
    const attributes = fromSqsAttributes(
      received([
        ['__proto__', { DataType: 'String', StringValue: 'x' }],
        ['constructor', { DataType: 'Number', StringValue: '1' }],
      ]),
    )

    // Act
    const encoded = toMessageAttributes(attributes)

    // Assess
    expect(Object.getPrototypeOf(encoded)).toBe(Object.prototype)
    expect(Object.keys(encoded)).toEqual(['__proto__', 'constructor'])
    expect(Object.getOwnPropertyDescriptor(encoded, '__proto__')?.value).toEqual({ DataType: 'String', StringValue: 'x' })
    expect(encoded.constructor).toEqual({ DataType: 'Number', StringValue: '1' })
    expect(JSON.parse(JSON.stringify(encoded))).toEqual(encoded)
  })

  it('It should count the name, type and value of every attribute, whatever its name', () => {
    // Prepare
    const attributes = withOwnKeys<string | number>([
      ['__proto__', 'ab'],
      ['n', 12],
    ])

    // Act
    const size = attributesSize(attributes)

    // Assess: "__proto__" + "String" + "ab", then "n" + "Number" + "12".
    expect(size).toBe(9 + 6 + 2 + (1 + 6 + 2))
  })
})
