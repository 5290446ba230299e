/** shuffled(): a permutation of its input, every order about equally likely, the input untouched. */
import { describe, expect, it } from 'vitest'
import { shuffled } from '../../src/util/shuffle.ts'

describe('shuffled', () => {
  it('returns every item once, leaves the input alone, and gives each order about as often', () => {
    const input = ['a', 'b', 'c']
    const counts = new Map<string, number>()
    for (let i = 0; i < 6_000; i++) {
      const out = shuffled(input)
      expect([...out].sort()).toEqual(input)
      counts.set(out.join(''), (counts.get(out.join('')) ?? 0) + 1)
    }
    expect(input).toEqual(['a', 'b', 'c'])
    expect(counts.size).toBe(6)
    // 1,000 expected each; a biased sort-by-random shuffle gives some orders twice as often as others
    for (const n of counts.values()) expect(n).toBeGreaterThan(800)
  })
})
