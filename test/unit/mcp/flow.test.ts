/** The calling side's window: order, concurrency, pacing by the advertised rate, and aborts. */
import { describe, expect, it } from 'vitest'
import { advertisedFlow, CallWindow, type FlowClock } from '../../../src/mcp/flow.ts'

/** A clock that moves only when told, with timers that fire as it passes them. */
function manualClock(): FlowClock & { advance: (ms: number) => void } {
  let now = 0
  let timers: Array<{ at: number; fn: () => void }> = []
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      const t = { at: now + ms, fn }
      timers.push(t)
      return t
    },
    clearTimeout: (t) => {
      timers = timers.filter((x) => x !== t)
    },
    advance(ms) {
      now += ms
      const due = timers.filter((t) => t.at <= now)
      timers = timers.filter((t) => t.at > now)
      for (const t of due) t.fn()
    },
  }
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

describe('CallWindow', () => {
  it('keeps at most maxConcurrent in flight and lets the rest in, in order', async () => {
    const window = new CallWindow({ maxConcurrent: 2, ratePerSec: 1e6, burst: 1e6 })
    const started: number[] = []
    const release: Array<() => void> = []
    const calls = [0, 1, 2, 3, 4].map((i) =>
      window.run(new AbortController().signal, () => {
        started.push(i)
        return new Promise<void>((resolve) => release.push(resolve))
      }),
    )
    await tick()
    expect(started).toEqual([0, 1])
    expect(window.waiting).toBe(3)
    release[1]!()
    await tick()
    expect(started).toEqual([0, 1, 2])
    release[0]!()
    release[2]!()
    await tick()
    expect(started).toEqual([0, 1, 2, 3, 4])
    for (const r of release) r()
    await Promise.all(calls)
    expect(window.active).toBe(0)
  })

  it('paces calls past the burst at the advertised rate', async () => {
    const clock = manualClock()
    const window = new CallWindow({ maxConcurrent: 100, ratePerSec: 10, burst: 3 }, clock)
    const started: number[] = []
    const calls = Array.from({ length: 6 }, (_, i) =>
      window.run(new AbortController().signal, async () => {
        started.push(i)
      }),
    )
    await tick()
    expect(started).toEqual([0, 1, 2])
    clock.advance(99)
    await tick()
    expect(started).toHaveLength(3)
    clock.advance(1)
    await tick()
    expect(started).toEqual([0, 1, 2, 3])
    clock.advance(200)
    await tick()
    clock.advance(0)
    await tick()
    expect(started).toEqual([0, 1, 2, 3, 4, 5])
    await Promise.all(calls)
  })

  it('a waiting call that is aborted leaves the queue with its reason and never runs', async () => {
    const window = new CallWindow({ maxConcurrent: 1, ratePerSec: 1e6, burst: 1e6 })
    let release!: () => void
    const first = window.run(new AbortController().signal, () => new Promise<void>((r) => (release = r)))
    const controller = new AbortController()
    let ran = false
    const second = window.run(controller.signal, async () => {
      ran = true
    })
    const third = window.run(new AbortController().signal, async () => 'third')
    await tick()
    controller.abort(new Error('gave up'))
    await expect(second).rejects.toThrow('gave up')
    expect(window.waiting).toBe(1)
    release()
    await first
    expect(await third).toBe('third')
    expect(ran).toBe(false)
  })

  it('without advertised limits it only counts', async () => {
    const window = new CallWindow(undefined)
    const all = await Promise.all(
      Array.from({ length: 500 }, (_, i) => window.run(new AbortController().signal, async () => i)),
    )
    expect(all).toHaveLength(500)
  })

  it('reads only valid advertisements', () => {
    const caps = (flow: unknown) => ({ experimental: { 'cord/flow': flow as Record<string, unknown> } })
    expect(advertisedFlow(caps({ maxConcurrent: 8, ratePerSec: 5, burst: 10 }))).toEqual({
      maxConcurrent: 8,
      ratePerSec: 5,
      burst: 10,
    })
    expect(advertisedFlow(caps({ maxConcurrent: 0, ratePerSec: 5, burst: 10 }))).toBeUndefined()
    expect(advertisedFlow(caps({ maxConcurrent: 8, ratePerSec: 'fast', burst: 10 }))).toBeUndefined()
    expect(advertisedFlow({})).toBeUndefined()
    expect(advertisedFlow(undefined)).toBeUndefined()
  })
})
