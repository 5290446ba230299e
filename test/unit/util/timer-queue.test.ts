/** One timer for many deadlines: each runs at its time, in order, unless cancelled; the timer follows the earliest. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { TimerQueue } from '../../../src/util/timer-queue.ts'

describe('TimerQueue', () => {
  let now = 0
  const queue = (): TimerQueue => new TimerQueue(() => now)
  const advance = async (ms: number): Promise<void> => {
    now += ms
    await vi.advanceTimersByTimeAsync(ms)
  }

  beforeEach(() => {
    now = 0
    vi.useFakeTimers({ now: 0 })
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('runs each deadline at its time, in order, also when added out of order', async () => {
    const q = queue()
    const fired: string[] = []
    q.add(300, () => fired.push('c'))
    q.add(100, () => fired.push('a'))
    q.add(200, () => fired.push('b'))
    q.add(300, () => fired.push('d'))
    await advance(99)
    expect(fired).toEqual([])
    await advance(1)
    expect(fired).toEqual(['a'])
    await advance(200)
    expect(fired).toEqual(['a', 'b', 'c', 'd'])
    expect(q.size).toBe(0)
  })

  it('never runs a cancelled deadline, and cancelling twice is harmless', async () => {
    const q = queue()
    const fired: number[] = []
    const first = q.add(100, () => fired.push(1))
    q.add(200, () => fired.push(2))
    const third = q.add(300, () => fired.push(3))
    first.cancel()
    first.cancel()
    third.cancel()
    expect(q.size).toBe(1)
    await advance(400)
    expect(fired).toEqual([2])
  })

  it('keeps one timer while deadlines come and go, and follows an earlier deadline', async () => {
    const q = queue()
    const fired: number[] = []
    // a call a millisecond: each ends long before its 30 s deadline
    for (let i = 0; i < 100; i++) {
      q.add(30_000, () => fired.push(i)).cancel()
      await advance(1)
    }
    expect(vi.getTimerCount()).toBe(1)
    q.add(30_000, () => fired.push(100))
    q.add(50, () => fired.push(101))
    await advance(50)
    expect(fired).toEqual([101])
    await advance(30_000)
    expect(fired).toEqual([101, 100])
    expect(q.size).toBe(0)
  })

  it('keeps its order through many adds and cancels in any order', async () => {
    const q = queue()
    const fired: number[] = []
    const entries = Array.from({ length: 200 }, (_, i) => {
      const ms = ((i * 7919) % 1000) + 1 // a fixed shuffle of 1…1000
      return { ms, entry: q.add(ms, () => fired.push(ms)) }
    })
    for (const { ms, entry } of entries) if (ms % 3 === 0) entry.cancel()
    await advance(1000)
    const kept = entries.map((e) => e.ms).filter((ms) => ms % 3 !== 0)
    expect(fired).toEqual([...kept].sort((a, b) => a - b))
    expect(q.size).toBe(0)
  })
})
