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
})

describe('Function: formatAddress', () => {
  it('It should refuse an address that has no text form', () => {
    expect(() => formatAddress({ namespace: 'ns', service: 'a.b' })).toThrow(/use the object form/)
    expect(() => formatAddress({ namespace: 'ns', service: 'svc', account: '123456789012' })).toThrow(/owner account/)
    expect(() => formatAddress({ namespace: 'a->b', service: 'svc' })).toThrow(/containing "->"/)
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
