/** The pace of heartbeats: which peer state changes end a rest, and the periods active and at rest. */
import { describe, expect, it } from 'vitest'
import { Pace } from '../../../src/discovery/pace.ts'

describe('the pace of heartbeats', () => {
  const init = { intervalMs: 1_000, heartbeatBudget: 16, heartbeatRestBudget: 4 }

  it('rests after 3 still active periods: 40 nodes every 2.5 s, then every 10 s', () => {
    const pace = new Pace(init, () => 40)
    pace.change(0)
    expect(pace.period(7_499)).toBe(2_500)
    expect(pace.resting(7_499)).toBe(false)
    expect(pace.period(7_500)).toBe(10_000)
    expect(pace.resting(7_500)).toBe(true)
  })

  it('wakes for a join, a death and a return from the dead, not for a late heartbeat', () => {
    const pace = new Pace(init, () => 8)
    pace.change(0)
    expect(pace.peerState('a', 'alive', 10_000)).toBe(true) // joined
    expect(pace.resting(20_000)).toBe(true)
    expect(pace.peerState('a', 'suspect', 20_000)).toBe(false)
    expect(pace.peerState('a', 'alive', 21_000)).toBe(false)
    expect(pace.resting(21_000)).toBe(true)
    expect(pace.peerState('a', 'dead', 30_000)).toBe(true)
    expect(pace.resting(30_000)).toBe(false)
    expect(pace.peerState('a', 'alive', 40_000)).toBe(true)
    pace.forget('a')
    expect(pace.peerState('a', 'alive', 50_000)).toBe(true) // forgotten, then heard again: a join
  })
})
