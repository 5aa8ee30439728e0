import { describe, expect, it } from '@jest/globals'
import { MAX_DELAY_MS, remainingBudgetMs } from '../../src/adapter.js'

describe('Function: remainingBudgetMs', () => {
  it('It should clamp the time left to what a timer takes: whole milliseconds, 0 to MAX_DELAY_MS', () => {
    expect(remainingBudgetMs(10_000, 500)).toBe(9_500)
    expect(remainingBudgetMs(1_234.9)).toBe(1_234)
    expect(remainingBudgetMs(1e300, 500)).toBe(MAX_DELAY_MS)
    expect(remainingBudgetMs(-5)).toBe(0)
    expect(remainingBudgetMs(300, 500)).toBe(0)
  })

  it('It should give no bound for a value that is not a finite number', () => {
    for (const value of [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, undefined, '3000']) {
      expect(remainingBudgetMs(value)).toBeUndefined()
    }
  })

  it('It should refuse a margin that is not a finite number, 0 or more, naming it', () => {
    for (const margin of [Number.NaN, -1, Number.POSITIVE_INFINITY, '500']) {
      expect(() => remainingBudgetMs(1_000, margin as number)).toThrow(RangeError)
      expect(() => remainingBudgetMs(1_000, margin as number)).toThrow(/^marginMs of remainingBudgetMs: /)
    }
  })

  it('It should give values AbortSignal.timeout() takes and keeps', () => {
    for (const value of [1e300, 2 ** 32, -1, 0.5]) {
      const left = remainingBudgetMs(value) as number
      expect(() => AbortSignal.timeout(left)).not.toThrow()
      expect(left).toBeLessThanOrEqual(2 ** 31 - 1)
    }
  })
})
