/** The call limiter on an injected clock: token buckets per peer, concurrency per peer and per node. */
import { describe, expect, it } from 'vitest'
import { CallLimiter } from '../../../src/admission/limits.ts'
import { RateLimitedError } from '../../../src/errors.ts'

const limiter = (over: Partial<ConstructorParameters<typeof CallLimiter>[0]> = {}) =>
  new CallLimiter({ ratePerSec: 10, burst: 3, maxConcurrentPerPeer: 100, maxConcurrent: 1000, ...over })

function refusal(fn: () => unknown): RateLimitedError {
  try {
    fn()
  } catch (err) {
    expect(err).toBeInstanceOf(RateLimitedError)
    return err as RateLimitedError
  }
  throw new Error('expected a refusal')
}

describe('CallLimiter', () => {
  it('lets a burst through, then refuses with the time until the next token', () => {
    const l = limiter()
    for (let i = 0; i < 3; i++) l.acquire('p', 1_000)()
    const refused = refusal(() => l.acquire('p', 1_000))
    expect(refused.retryAfterMs).toBe(100) // one token at 10 per second
    expect(refused.message).toMatch(/at most 10 calls per second \(burst 3\)/)
    // 40 ms later the token is 60 ms away
    expect(refusal(() => l.acquire('p', 1_040)).retryAfterMs).toBe(60)
    l.acquire('p', 1_100)()
    expect(() => l.acquire('p', 1_100)).toThrow(RateLimitedError)
  })

  it('refills at the rate, never above the burst', () => {
    const l = limiter()
    for (let i = 0; i < 3; i++) l.acquire('p', 0)()
    // after ten idle seconds the bucket holds the burst, not 100 tokens
    for (let i = 0; i < 3; i++) l.acquire('p', 10_000)()
    expect(() => l.acquire('p', 10_000)).toThrow(RateLimitedError)
  })

  it('keeps one bucket per peer', () => {
    const l = limiter()
    for (let i = 0; i < 3; i++) l.acquire('a', 0)()
    expect(() => l.acquire('a', 0)).toThrow(RateLimitedError)
    l.acquire('b', 0)()
  })

  it('limits calls in flight per peer and per node, and frees a slot when a call ends, once', () => {
    const l = limiter({ ratePerSec: 1_000, burst: 1_000, maxConcurrentPerPeer: 2, maxConcurrent: 3 })
    const a1 = l.acquire('a', 0)
    l.acquire('a', 0)
    expect(refusal(() => l.acquire('a', 0)).message).toMatch(
      /too many calls in flight from this peer \(limit 2\)/,
    )
    l.acquire('b', 0)
    expect(l.active).toBe(3)
    expect(refusal(() => l.acquire('c', 0)).message).toMatch(/at its limit of 3 calls in flight/)
    a1()
    a1() // a second release changes nothing
    expect(l.active).toBe(2)
    l.acquire('c', 0)
    expect(() => l.acquire('d', 0)).toThrow(RateLimitedError)
  })

  it('does not spend a token on a call refused for concurrency', () => {
    const l = limiter({ burst: 2, maxConcurrentPerPeer: 1 })
    const release = l.acquire('p', 0)
    expect(() => l.acquire('p', 0)).toThrow(/in flight/)
    release()
    l.acquire('p', 0)() // the second token is still there
  })
})
