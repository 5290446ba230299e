/**
 * What keeps an idle node quiet (see README, Idle cost): a gossip mesh of degree 4 rather than
 * gossipsub's 6 (up to 12), and connection pings every 30 s rather than libp2p's 10 s.
 */
import { describe, expect, it } from 'vitest'
import { createHost, GOSSIP_DEGREE, PING_INTERVAL_MS } from '../../../src/node/host.ts'

describe('the host at rest', () => {
  it('gossips with a small mesh degree and pings connections every 30 s', async () => {
    const host = await createHost({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      alias: 'idle',
      maxConnections: 100,
      relay: {
        server: false,
        peers: [],
        maxReservations: 1,
        reservationTtlMs: 60_000,
        maxDurationMs: 0,
        maxDataBytes: 0,
      },
      nat: { reachability: 'auto', upnp: false, announce: [] },
    })
    const { D, Dlo, Dhi, Dlazy } = (host.services.pubsub as unknown as { opts: Record<string, number> }).opts
    expect({ D, Dlo, Dhi, Dlazy }).toEqual({ D: 4, Dlo: 3, Dhi: 6, Dlazy: 3 })
    expect(GOSSIP_DEGREE.D).toBe(4)
    const monitor = (host as unknown as { components: { connectionMonitor?: { pingIntervalMs: number } } })
      .components.connectionMonitor
    expect(monitor?.pingIntervalMs).toBe(PING_INTERVAL_MS)
    expect(PING_INTERVAL_MS).toBe(30_000)
    await host.stop()
  })
})
