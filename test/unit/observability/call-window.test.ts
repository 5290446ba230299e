/** The dashboard's call window: counts per second, errors, percentiles, the minute that slides. */
import { describe, expect, it } from 'vitest'
import { CallWindow, callWindow, observeCall } from '../../../src/observability/call-window.ts'

const T0 = 1_700_000_000_000 // a whole second

describe('call window', () => {
  it('counts calls in and out per second, with errors and latency percentiles', () => {
    const w = new CallWindow(60)
    for (let i = 1; i <= 100; i++) w.record(i % 2 === 0 ? 'in' : 'out', i, i !== 7, T0 + 500)
    w.record('out', 5, true, T0 + 1_200)
    const snap = w.snapshot(T0 + 2_000)
    expect(snap).toHaveLength(60)
    expect(snap.at(-2)).toEqual({ t: T0, in: 50, out: 50, errors: 1, p50: 51, p90: 91, p99: 100 })
    expect(snap.at(-1)).toMatchObject({ t: T0 + 1_000, in: 0, out: 1, p50: 5 })
    expect(snap.at(-3)).toEqual({ t: T0 - 1_000, in: 0, out: 0, errors: 0 })
  })

  it('leaves out the second in progress, and forgets seconds older than the window', () => {
    const w = new CallWindow(10)
    w.record('in', 1, true, T0)
    expect(w.snapshot(T0 + 999).every((s) => s.in === 0)).toBe(true)
    expect(w.snapshot(T0 + 1_000).at(-1)?.in).toBe(1)
    expect(w.snapshot(T0 + 10_999).some((s) => s.in === 1)).toBe(true)
    expect(w.snapshot(T0 + 11_000).some((s) => s.in === 1)).toBe(false)
    // The slot is reused for a later second: the old count does not leak into it.
    w.record('in', 1, true, T0 + 10_000)
    expect(w.snapshot(T0 + 11_000).at(-1)).toMatchObject({ in: 1 })
  })

  it('observeCall records a call when it settles, and hands its rejection on', async () => {
    const count = (): { calls: number; errors: number } => {
      const last = callWindow.snapshot(Date.now() + 1_000).at(-1)!
      return { calls: last.in + last.out, errors: last.errors }
    }
    const before = count()
    await expect(observeCall('out', Promise.resolve(1))).resolves.toBe(1)
    await expect(observeCall('in', Promise.reject(new Error('no')))).rejects.toThrow('no')
    const after = count()
    // Both ended in this second, unless the second turned between the two counts.
    if (after.calls >= 2) expect(after).toEqual({ calls: before.calls + 2, errors: before.errors + 1 })
    else expect(after.calls).toBeGreaterThan(0)
  })
})
