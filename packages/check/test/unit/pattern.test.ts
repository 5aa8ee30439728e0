import { describe, expect, it } from '@jest/globals'
import { compilePattern, PATTERN_LIMITS, PatternError } from '../../src/pattern.js'

describe('compilePattern', () => {
  it('matches whole values as CloudFormation tests AllowedPattern', () => {
    const cases: [string, string, boolean][] = [
      ['[a-z0-9-]{3,5}', 'ab-1', true],
      ['[a-z0-9-]{3,5}', 'ab', false],
      ['[a-z0-9-]{3,5}', 'abcdef', false],
      ['prod|dev', 'dev', true],
      ['prod|dev', 'prodx', false],
      ['\\d{4}-\\d\\d', '2024-05', true],
      ['(?:arn:aws:[^:]*)?x', 'arn:aws:sqsx', true],
      ['[^\\s]+', 'ab c', false],
      ['[\\w.-]+', 'a.b-c_d', true],
      ['x{2,}', 'x', false],
      ['(ab){0,3}c', 'ababc', true],
      ['(ab){0,3}c', 'abababababc', false],
      ['^(?<stage>dev|prod)$', 'prod', true],
      ['a.c', 'a\nc', false],
      ['\\x41\\u0042', 'AB', true],
      ['(a*)*b', 'aab', true],
    ]
    for (const [pattern, value, expected] of cases)
      expect([pattern, value, compilePattern(pattern).matches(value)]).toEqual([pattern, value, expected])
  })

  it('decides (a+)+ against 36 a and a ! at once, where a backtracking engine spins', () => {
    const value = `${'a'.repeat(36)}!`
    expect(compilePattern('(a+)+').matches(value)).toBe(false)
    expect(compilePattern('(a|aa)*b').matches('a'.repeat(4096))).toBe(false)
    expect(compilePattern('(a+)+').matches('a'.repeat(36))).toBe(true)
  })

  it('names what it cannot evaluate, and the limits a pattern exceeds', () => {
    const refused: [string, string][] = [
      ['(?=a)a', 'the group (?=…) (lookaround, flags or atomic groups)'],
      ['(a)\\1', 'a backreference'],
      ['\\bx', 'a word boundary'],
      ['a++', 'a possessive quantifier'],
      ['[a-z&&[^b]]', 'a class union or intersection'],
      ['\\p{L}', 'the escape \\p'],
      ['(a', 'an unclosed ('],
      ['a{3,1}', 'the repetition {3,1} has its bounds reversed'],
      ['((a{100}){100}){100}', `its repetitions expand to more than ${PATTERN_LIMITS.states.toLocaleString('en-US')} states`],
      ['a'.repeat(PATTERN_LIMITS.length + 1), `it is 4,097 characters long; the check reads at most 4,096`],
    ]
    for (const [pattern, message] of refused) expect(() => compilePattern(pattern)).toThrow(new PatternError(message))
  })

  it('refuses a match whose states times characters exceed the work limit, before stepping', () => {
    const pattern = compilePattern('a{5000}')
    expect(pattern.matches('a'.repeat(1000))).toBe(false)
    expect(() => pattern.matches('a'.repeat(4096))).toThrow(
      /^matching its [\d,]+ states against 4,096 characters takes up to [\d,]+ steps; the check takes at most 10,000,000$/,
    )
  })
})
