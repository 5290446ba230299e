/** The pace of heartbeats: the periods active and at rest, and which news of peers ends a rest. */
import { describe, expect, it } from 'vitest'
import type { Heartbeat } from '../../../src/discovery/heartbeat.ts'
import { Pace } from '../../../src/discovery/pace.ts'
import { PeerTable } from '../../../src/discovery/peer-table.ts'

const hb = (seq: number, uptimeMs: number): Heartbeat => ({
  v: 1,
  peerId: 'a',
  alias: 'a',
  addrs: [],
  seq,
  load: { inflight: 0, capacity: 64 },
  uptimeMs,
  version: '0',
  tools: 0,
  digest: '0'.repeat(32),
})

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

  it('is woken by a join and a restart, not by a death, a late heartbeat or a return from the dead', () => {
    const table = new PeerTable({ intervalMs: 1_000, suspectAfter: 3, deadAfter: 6, forgetAfterMs: 600_000 })
    const joins: number[] = []
    const states: string[] = []
    table.addEventListener('joined', (evt) => joins.push(evt.detail.seq ?? -1))
    table.addEventListener('state', (evt) => states.push(evt.detail.state))
    table.onHeartbeat(hb(0, 0), 0) // new: a join
    table.onHeartbeat(hb(1, 1_000), 1_000)
    table.tick(5_000) // late: suspect
    table.onHeartbeat(hb(2, 2_000), 5_500) // and back
    table.tick(20_000) // dead
    table.onHeartbeat(hb(3, 20_000), 20_000) // it was only cut off: back from the dead, same run
    table.tick(40_000) // dead again
    table.onHeartbeat(hb(0, 100), 40_000) // started again: seq from 0
    expect(states).toEqual(['alive', 'suspect', 'alive', 'dead', 'alive', 'dead', 'alive'])
    expect(joins).toEqual([0, 0])
  })
})
