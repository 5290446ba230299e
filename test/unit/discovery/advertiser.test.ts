/**
 * The DHT advertiser on a fake content router, on a fake clock: one provide at a time, and after a
 * round with a failure the next one waits, doubling, instead of dialling again at every interval; a
 * name many peers serve is provided by the first 20 in rank only, and the demo tools wait a little.
 */
import type { ContentRouting } from '@libp2p/interface'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { advertiserInit, amongProviders, ToolAdvertiser, toolKey } from '../../../src/discovery/dht.ts'

function fakeRouter(failFirst: number) {
  let calls = 0
  let inFlight = 0
  let maxInFlight = 0
  const contentRouting = {
    provide: async () => {
      calls++
      inFlight++
      maxInFlight = Math.max(maxInFlight, inFlight)
      await new Promise((r) => setTimeout(r, 5))
      inFlight--
      if (calls <= failFirst) throw new Error('no peers in the routing table')
    },
    cancelReprovide: async () => {},
  } as unknown as ContentRouting
  return { contentRouting, calls: () => calls, maxInFlight: () => maxInFlight }
}

/** A content router that records the keys it was asked to provide, in order. */
function recordingRouter() {
  const provided: string[] = []
  const contentRouting = {
    provide: async (key: unknown) => {
      provided.push(String(key))
    },
    cancelReprovide: async () => {},
  } as unknown as ContentRouting
  return { contentRouting, provided }
}

const log = pino({ level: 'silent' })

/** Runs a round now and lets it finish on the fake clock. */
async function round(advertiser: ToolAdvertiser): Promise<void> {
  advertiser.schedule(0)
  await vi.advanceTimersByTimeAsync(100)
}

describe('ToolAdvertiser', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('provides names one at a time and backs off, doubling, after a failed round', async () => {
    const router = fakeRouter(2)
    const advertiser = new ToolAdvertiser({ ...router, log }, { retryMinMs: 1_000 })
    advertiser.start(() => ['a', 'b', 'c'])
    await vi.advanceTimersByTimeAsync(100)
    // round 1: a and b fail, c succeeds
    expect(router.calls()).toBe(3)
    expect(router.maxInFlight()).toBe(1)
    expect(advertiser.behind()).toBe(true)
    const now = Date.now()
    expect(advertiser.due(now)).toBe(false)
    expect(advertiser.due(now + 1_000)).toBe(true)
    // a round forced early (new tools) still runs; this one succeeds and clears the backoff
    await round(advertiser)
    expect(router.calls()).toBe(5)
    expect(advertiser.behind()).toBe(false)
    expect(advertiser.due(Date.now())).toBe(false)
    advertiser.stop()
  })

  it('doubles the wait with each failed round, up to a minute', async () => {
    const router = fakeRouter(100)
    const advertiser = new ToolAdvertiser({ ...router, log }, { retryMinMs: 1_000 })
    advertiser.start(() => ['a'])
    await vi.advanceTimersByTimeAsync(10)
    const waits: number[] = []
    for (let i = 0; i < 8; i++) {
      const since = Date.now()
      while (!advertiser.due()) await vi.advanceTimersByTimeAsync(250)
      waits.push(Date.now() - since)
      await round(advertiser)
    }
    // in steps of 250 ms of fake time
    expect(waits.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 8_000])
    expect(Math.max(...waits)).toBe(60_000)
    advertiser.stop()
  })
})

describe('amongProviders', () => {
  const peers = Array.from({ length: 100 }, (_, i) => `peer-${i}`)

  it('picks the same k peers of a name on every node, and other peers for another name', () => {
    const chosen = (name: string, k: number) => peers.filter((p) => amongProviders(name, p, peers, k))
    expect(chosen('echo', 20)).toHaveLength(20)
    // a node that is not among the holders it heard of ranks itself the same way
    const others = (p: string) => peers.filter((q) => q !== p)
    expect(peers.filter((p) => amongProviders('echo', p, others(p), 20))).toEqual(chosen('echo', 20))
    expect(chosen('add', 20)).not.toEqual(chosen('echo', 20))
    expect(chosen('echo', 5)).toHaveLength(5)
  })

  it('takes every holder while there are k or fewer, and the next in rank when one of the k goes', () => {
    expect(peers.slice(0, 20).every((p) => amongProviders('echo', p, peers.slice(0, 20), 20))).toBe(true)
    const first = peers.filter((p) => amongProviders('echo', p, peers, 20))
    const left = peers.filter((p) => p !== first[0])
    const next = left.filter((p) => amongProviders('echo', p, left, 20))
    expect(next).toHaveLength(20)
    expect(next.filter((p) => !first.includes(p))).toHaveLength(1)
  })
})

describe('ToolAdvertiser with names other peers serve', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('provides only the names whose record is wanted, and a name as soon as it is wanted again', async () => {
    const { contentRouting, provided } = recordingRouter()
    const wanted = new Set(['own'])
    const advertiser = new ToolAdvertiser(
      { contentRouting, log },
      { retryMinMs: 1_000, wanted: (name) => wanted.has(name) },
    )
    advertiser.start(() => ['own', 'echo'])
    await vi.advanceTimersByTimeAsync(100)
    expect(provided).toEqual([String(await toolKey('own'))])
    // a name ranked out is not behind: nothing is due
    expect(advertiser.behind()).toBe(false)
    expect(advertiser.due()).toBe(false)
    // a provider of echo went away and this node is now among the first: the next tick provides it
    wanted.add('echo')
    expect(advertiser.due()).toBe(true)
    await round(advertiser)
    expect(provided).toEqual([String(await toolKey('own')), String(await toolKey('echo'))])
    // ranked out again later: its record stays (it expires with its TTL), no provide and no cancel
    wanted.delete('echo')
    await round(advertiser)
    expect(provided).toHaveLength(2)
    expect(advertiser.behind()).toBe(false)
    advertiser.stop()
  })

  it('provides its own names at once and holds the demo tools back for firstRoundMs', async () => {
    const { contentRouting, provided } = recordingRouter()
    const advertiser = new ToolAdvertiser(
      { contentRouting, log },
      { retryMinMs: 1_000, firstRoundMs: 3_000, heldBack: (name) => name === 'echo' },
    )
    advertiser.start(() => ['own', 'echo'])
    await vi.advanceTimersByTimeAsync(100)
    expect(provided).toEqual([String(await toolKey('own'))])
    // held back is not behind, and a change or a tick before its time does not send it
    expect(advertiser.behind()).toBe(false)
    await round(advertiser)
    expect(provided).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(2_700)
    expect(provided).toHaveLength(1)
    await vi.advanceTimersByTimeAsync(200)
    expect(provided).toEqual([String(await toolKey('own')), String(await toolKey('echo'))])
    advertiser.stop()
  })

  it('settles its first rounds by the heartbeat interval and holds back only the demo tools', () => {
    const table = { serving: () => [] }
    const init = advertiserInit(1_000, 'self', table)
    expect(init.retryMinMs).toBe(1_000)
    expect(init.firstRoundMs).toBeGreaterThanOrEqual(3_000)
    expect(init.firstRoundMs).toBeLessThan(6_000)
    expect(['echo', 'add', 'sleep', 'node_info'].every((n) => init.heldBack?.(n))).toBe(true)
    expect(init.heldBack?.('own_tool')).toBe(false)
    expect(init.wanted?.('echo')).toBe(true)
  })
})
