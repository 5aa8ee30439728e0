import { describe, expect, it } from '@jest/globals'
import { attributesProblem, CLOUD_MAP_LIMITS, instanceIdProblem } from '../../src/registration.js'

describe('Function: instanceIdProblem', () => {
  it('It should take an id Cloud Map takes and name what is wrong with one it refuses', () => {
    expect(instanceIdProblem('get-job')).toBeUndefined()
    expect(instanceIdProblem('a'.repeat(65))).toBe('the instance id is 65 characters; Cloud Map allows 1 to 64')
    expect(instanceIdProblem('a b')).toBe('the instance id "a b" may hold only letters, digits and _ / : . @ -')
  })
})

describe('Function: attributesProblem', () => {
  it('It should refuse what RegisterInstance refuses, naming the attribute and the limit', () => {
    const custom = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, index) => [`k${index}`, 'v']))
    expect(attributesProblem(custom(CLOUD_MAP_LIMITS.customAttributes)).problem).toBeUndefined()
    expect(attributesProblem({ ...custom(31), AWS_INSTANCE_IPV4: '10.0.0.1' }).problem).toBe(
      '31 custom attributes; Cloud Map allows at most 30 per instance',
    )
    expect(attributesProblem({ note: 'x'.repeat(1025) }).problem).toBe(
      'the attribute "note" is 1,025 characters; Cloud Map allows at most 1,024',
    )
    expect(attributesProblem({ note: 'naïve' }).problem).toMatch(/may hold only printable ASCII characters/)
    expect(attributesProblem({ note: ' leading' }).problem).toMatch(/must not start with a space/)
    expect(attributesProblem({ 'a\u200bkey': 'v' }).problem).toMatch(/without spaces/)
  })

  it('It should require the attribute each DNS record of the service needs', () => {
    expect(attributesProblem({ type: 'http' }, { records: ['A'] }).problem).toBe(
      'AWS_INSTANCE_IPV4 is missing: the service has an A record (or give AWS_ALIAS_DNS_NAME)',
    )
    expect(attributesProblem({ AWS_ALIAS_DNS_NAME: 'lb.example.com' }, { records: ['A', 'AAAA'] }).problem).toBeUndefined()
    expect(attributesProblem({ AWS_INSTANCE_IPV4: '10.0.0.1' }, { records: ['A', 'SRV'] }).problem).toBe(
      'AWS_INSTANCE_PORT is missing: the service has a SRV record',
    )
  })

  it('It should leave unresolved values to Cloud Map and say when they could pass the 5,000 characters', () => {
    const reading = attributesProblem(
      { a: '«x»', b: '«y»', c: 'x'.repeat(1000), d: 'y'.repeat(1000), e: 'z'.repeat(1000) },
      {
        unresolved: (value) => value.startsWith('«'),
      },
    )
    expect(reading).toEqual({ problem: undefined, unresolved: ['a', 'b'], mayExceedTotal: true })
  })
})
