import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { type Address, formatAddress, InvalidAddressError, parseAddress, toAddress } from '../../src/index.js'

describe('Function: parseAddress', () => {
  const good: Array<[string, Address]> = [
    ['prod.scheduler', { namespace: 'prod', service: 'scheduler' }],
    ['prod.scheduler->get-job', { namespace: 'prod', service: 'scheduler', instance: 'get-job' }],
    ['example.com.orders->v2', { namespace: 'example.com', service: 'orders', instance: 'v2' }],
    ['a.b.c.d.e', { namespace: 'a.b.c.d', service: 'e' }],
    ['ns.svc_1', { namespace: 'ns', service: 'svc_1' }],
    ['ns._svc', { namespace: 'ns', service: '_svc' }],
    ['ns.s', { namespace: 'ns', service: 's' }],
    ['ns.9', { namespace: 'ns', service: '9' }],
    ['ns.my-service->i-0abc/def:1@x.y', { namespace: 'ns', service: 'my-service', instance: 'i-0abc/def:1@x.y' }],
    ['ns-with-dash.api->-leading', { namespace: 'ns-with-dash', service: 'api', instance: '-leading' }],
    ['weird!#$%&ns.svc', { namespace: 'weird!#$%&ns', service: 'svc' }],
    ['n>s.svc->x', { namespace: 'n>s', service: 'svc', instance: 'x' }],
    [`ns.${'s'.repeat(63)}`, { namespace: 'ns', service: 's'.repeat(63) }],
    [`ns.svc->${'i'.repeat(64)}`, { namespace: 'ns', service: 'svc', instance: 'i'.repeat(64) }],
  ]
  it.each(good)('It should parse %s', (text, expected) => {
    expect(parseAddress(text)).toEqual(expected)
  })

  const bad: Array<[string, RegExp]> = [
    ['', /no dot/],
    ['scheduler', /no dot/],
    ['scheduler->get-job', /no dot/],
    ['.svc', /namespace is empty/],
    ['ns.', /service name is empty/],
    ['ns.svc->', /instance id after "->" is empty/],
    ['ns.svc->a->b', /more than once/],
    ['ns.-svc', /may hold only letters/],
    ['ns.svc-', /may hold only letters/],
    ['ns.sv c', /may hold only letters/],
    ['n s.svc', /printable ASCII/],
    ['ns.své', /may hold only letters/],
    [`ns.${'s'.repeat(64)}`, /may hold only letters/],
    ['ns.svc->bad id', /instance id "bad id"/],
    [`ns.svc->${'i'.repeat(65)}`, /at most 64/],
    ['ns.svc->a#b', /instance id "a#b"/],
    ['..svc', /starts or ends with a dot/],
    ['ns..svc', /starts or ends with a dot/],
    [`${'n'.repeat(1025)}.svc`, /at most 1024/],
  ]
  it.each(bad)('It should reject %j', (text, reason) => {
    const attempt = () => parseAddress(text)
    expect(attempt).toThrow(InvalidAddressError)
    expect(attempt).toThrow(reason)
    try {
      attempt()
    } catch (error) {
      expect((error as InvalidAddressError).address).toBe(text)
      expect((error as InvalidAddressError).message).toContain(`"${text}"`)
    }
  })
})

describe('Function: toAddress', () => {
  it('It should accept the object form with a dotted service and an owner account', () => {
    const address = { namespace: 'shared', service: 'billing.v2', account: '123456789012' }
    expect(toAddress(address)).toEqual(address)
  })

  it('It should reject an object with a bad account, naming it', () => {
    expect(() => toAddress({ namespace: 'shared', service: 'billing', account: '12' })).toThrow(
      /"shared.billing \(account 12\)".*12-digit AWS account id/,
    )
  })

  it('It should reject an object without a service', () => {
    expect(() => toAddress({ namespace: 'ns' } as unknown as Address)).toThrow(InvalidAddressError)
  })

  it('It should keep only the four fields of an object', () => {
    const address = { namespace: 'ns', service: 'svc', instance: 'a', extra: 1 } as Address
    expect(toAddress(address)).toEqual({ namespace: 'ns', service: 'svc', instance: 'a' })
  })

  // [input, the address as the error names it, the problem]
  const bad: Array<[unknown, string, RegExp]> = [
    [
      { namespace: 'ns', service: 'svc', instance: null },
      '{ namespace: "ns", service: "svc", instance: null }',
      /"instance" must be a string when given, not null/,
    ],
    [
      { namespace: 'ns', service: 'svc', instance: 7 },
      '{ namespace: "ns", service: "svc", instance: 7 }',
      /"instance" must be a string when given, not 7/,
    ],
    [
      { namespace: 'ns', service: 'svc', instance: ['a'] },
      '{ namespace: "ns", service: "svc", instance: ["a"] }',
      /"instance" must be a string/,
    ],
    [
      { namespace: 'shared', service: 'svc', account: 123456789012 },
      '{ namespace: "shared", service: "svc", account: 123456789012 }',
      /"account" must be a string when given, not 123456789012/,
    ],
    [
      { namespace: 'shared', service: 'svc', account: null },
      '{ namespace: "shared", service: "svc", account: null }',
      /"account" must be a string/,
    ],
    [{ namespace: 42, service: 'svc' }, '{ namespace: 42, service: "svc" }', /"namespace" must be a string, not 42/],
    [{ namespace: null, service: 'svc' }, '{ namespace: null, service: "svc" }', /"namespace" must be a string, not null/],
    [{ namespace: 'ns', service: 7 }, '{ namespace: "ns", service: 7 }', /"service" must be a string, not 7/],
    [{ namespace: 'ns', service: ['a', 'b'] }, '{ namespace: "ns", service: ["a","b"] }', /"service" must be a string, not \["a","b"\]/],
    [{ service: 'svc' }, '{ service: "svc" }', /"namespace" is missing/],
    [{ namespace: 'ns', service: 'svc', instance: '' }, 'ns.svc->', /instance id after "->" is empty/],
    [{ namespace: 'ns', service: 'svc', account: '' }, 'ns.svc (account )', /12-digit AWS account id/],
    [null, 'null', /a "<namespace>.<service>" string or a \{ namespace, service, instance\?, account\? \} object/],
    [undefined, 'undefined', /string or a \{ namespace, service/],
    [42, '42', /string or a \{ namespace, service/],
    [['ns', 'svc'], '["ns","svc"]', /string or a \{ namespace, service/],
    ['scheduler', 'scheduler', /no dot/],
    ['ns.svc->a->b', 'ns.svc->a->b', /more than once/],
  ]
  it.each(bad)('It should reject %j, naming it and the problem', (input, label, reason) => {
    // Act
    let error: unknown
    try {
      toAddress(input as Address)
    } catch (caught) {
      error = caught
    }

    // Assess
    expect(error).toBeInstanceOf(InvalidAddressError)
    expect((error as InvalidAddressError).address).toBe(label)
    expect((error as InvalidAddressError).message).toContain(`"${label}"`)
    expect((error as InvalidAddressError).reason).toMatch(reason)
  })
})

describe('Function: formatAddress', () => {
  it('It should refuse an address that has no text form', () => {
    expect(() => formatAddress({ namespace: 'ns', service: 'a.b' })).toThrow(/use the object form/)
    expect(() => formatAddress({ namespace: 'ns', service: 'svc', account: '123456789012' })).toThrow(/owner account/)
    expect(() => formatAddress({ namespace: 'a->b', service: 'svc' })).toThrow(/containing "->"/)
  })

  it('It should refuse an object with a field of the wrong type, naming it', () => {
    expect(() => formatAddress({ namespace: 'ns', service: 'svc', instance: null } as unknown as Address)).toThrow(
      /Invalid Cloud Map address "\{ namespace: "ns", service: "svc", instance: null \}": "instance" must be a string/,
    )
  })

  const label = fc.stringMatching(/^(?:[a-zA-Z0-9_][a-zA-Z0-9_-]{0,61}[a-zA-Z0-9_]|[a-zA-Z0-9])$/)
  const namespace = fc
    .stringMatching(/^[!-~]{1,40}$/)
    .filter((text) => !text.includes('->') && !text.startsWith('.') && !text.endsWith('.') && !text.includes('..'))
  const instanceId = fc.stringMatching(/^[0-9a-zA-Z_/:.@-]{1,64}$/)
  const address = fc.record({ namespace, service: label, instance: fc.option(instanceId, { nil: undefined }) }).map((a) => {
    const { instance, ...rest } = a
    return (instance === undefined ? rest : { ...rest, instance }) as Address
  })

  it('It should be the inverse of parseAddress (property)', () => {
    fc.assert(
      fc.property(address, (value) => {
        expect(parseAddress(formatAddress(value))).toEqual(value)
      }),
      { numRuns: 500 },
    )
  })
})
