/**
 * The DHT advertiser on a fake content router, on a fake clock: one provide at a time, and after a
 * round with a failure the next one waits, doubling, instead of dialling again at every interval.
 */
import type { ContentRouting } from '@libp2p/interface'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ToolAdvertiser } from '../../../src/discovery/dht.ts'

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
