import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { Envelope } from '../../../src/topics/envelope.ts'
import { Sequencer, type TopicGap } from '../../../src/topics/ordering.ts'

const env = (seq: number, from = 'p1', session = 'aaaaaaaaaaaaaaaa'): Envelope => ({
  v: 1,
  topic: 't',
  from,
  session,
  seq,
  ts: 0,
  data: seq,
})

describe('Sequencer', () => {
  let out: string[]
  let gaps: TopicGap[]
  let dups: number
  let seq: Sequencer
  beforeEach(() => {
    vi.useFakeTimers()
    out = []
    gaps = []
    dups = 0
    seq = new Sequencer(
      't',
      { deliver: (e) => out.push(`${e.from}:${e.seq}`), gap: (g) => gaps.push(g), duplicate: () => dups++ },
      { reorderWindowMs: 500, maxPending: 3 },
    )
  })
  afterEach(() => {
    seq.close()
    vi.useRealTimers()
  })

  it('starts at the first message seen, keeps order per publisher and drops duplicates', () => {
    for (const e of [env(7), env(1, 'p2'), env(8), env(7), env(2, 'p2'), env(8)]) seq.push(e)
    expect(out).toEqual(['p1:7', 'p2:1', 'p1:8', 'p2:2'])
    expect(dups).toBe(2)
    expect(gaps).toEqual([])
  })

  it('holds a message that overtook an earlier one until the earlier one arrives', () => {
    for (const e of [env(1), env(3), env(4)]) seq.push(e)
    expect(out).toEqual(['p1:1'])
    seq.push(env(2))
    expect(out).toEqual(['p1:1', 'p1:2', 'p1:3', 'p1:4'])
    vi.advanceTimersByTime(1_000)
    expect(gaps).toEqual([])
  })

  it('reports a gap after the reorder window and delivers on; a late copy is a duplicate', () => {
    for (const e of [env(1), env(4), env(5)]) seq.push(e)
    vi.advanceTimersByTime(499)
    expect(out).toEqual(['p1:1'])
    vi.advanceTimersByTime(1)
    expect(gaps).toEqual([{ topic: 't', from: 'p1', first: 2, last: 3 }])
    expect(out).toEqual(['p1:1', 'p1:4', 'p1:5'])
    seq.push(env(2))
    expect(dups).toBe(1)
  })

  it('reports a gap at once when too many messages wait, and waits again for a second hole', () => {
    for (const e of [env(1), env(3), env(5), env(6), env(7)]) seq.push(e)
    expect(gaps).toEqual([{ topic: 't', from: 'p1', first: 2, last: 2 }])
    expect(out).toEqual(['p1:1', 'p1:3'])
    vi.advanceTimersByTime(500)
    expect(gaps[1]).toEqual({ topic: 't', from: 'p1', first: 4, last: 4 })
    expect(out).toEqual(['p1:1', 'p1:3', 'p1:5', 'p1:6', 'p1:7'])
  })

  it('starts over when the publisher restarts (a new session)', () => {
    seq.push(env(5))
    seq.push(env(1, 'p1', 'bbbbbbbbbbbbbbbb'))
    expect(out).toEqual(['p1:5', 'p1:1'])
    expect(gaps).toEqual([])
  })
})
