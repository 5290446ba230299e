/**
 * The DHT advertiser on a fake content router: one provide at a time, and after a round with a
 * failure the next one waits, doubling, instead of dialling again at every interval.
 */
import type { Libp2p } from '@libp2p/interface'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import { ToolAdvertiser } from '../../../src/discovery/dht.ts'

function fakeRouter(failFirst: number) {
  let calls = 0
  let inFlight = 0
  let maxInFlight = 0
  const libp2p = {
    contentRouting: {
      provide: async () => {
        calls++
        inFlight++
        maxInFlight = Math.max(maxInFlight, inFlight)
        await new Promise((r) => setTimeout(r, 5))
        inFlight--
        if (calls <= failFirst) throw new Error('no peers in the routing table')
      },
      cancelReprovide: async () => {},
    },
  } as unknown as Libp2p
  return { libp2p, calls: () => calls, maxInFlight: () => maxInFlight }
}

const settle = async (advertiser: ToolAdvertiser): Promise<void> => {
  advertiser.schedule(0)
  await new Promise((r) => setTimeout(r, 100))
}

describe('ToolAdvertiser', () => {
  it('provides names one at a time and backs off, doubling, after a failed round', async () => {
    const router = fakeRouter(2)
    const advertiser = new ToolAdvertiser(
      { libp2p: router.libp2p, log: pino({ level: 'silent' }) },
      { retryMinMs: 1_000 },
    )
    advertiser.start(() => ['a', 'b', 'c'])
    await new Promise((r) => setTimeout(r, 100))
    // round 1: a and b fail, c succeeds
    expect(router.calls()).toBe(3)
    expect(router.maxInFlight()).toBe(1)
    expect(advertiser.behind()).toBe(true)
    const now = Date.now()
    expect(advertiser.due(now)).toBe(false)
    expect(advertiser.due(now + 1_100)).toBe(true)
    // a round forced early (new tools) still runs; this one succeeds and clears the backoff
    await settle(advertiser)
    expect(router.calls()).toBe(5)
    expect(advertiser.behind()).toBe(false)
    expect(advertiser.due(Date.now())).toBe(false)
    advertiser.stop()
  })

  it('doubles the wait with each failed round, up to a minute', async () => {
    const router = fakeRouter(100)
    const advertiser = new ToolAdvertiser(
      { libp2p: router.libp2p, log: pino({ level: 'silent' }) },
      { retryMinMs: 1_000 },
    )
    advertiser.start(() => ['a'])
    await new Promise((r) => setTimeout(r, 50))
    const waits: number[] = []
    for (let round = 0; round < 8; round++) {
      const now = Date.now()
      let wait = 0
      while (!advertiser.due(now + wait)) wait += 250
      waits.push(wait)
      await settle(advertiser)
    }
    expect(waits.slice(0, 4)).toEqual([1_000, 2_000, 4_000, 8_000])
    expect(Math.max(...waits)).toBe(60_000)
    advertiser.stop()
  })
})
