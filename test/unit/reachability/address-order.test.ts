/** The order in which a node tries a peer's addresses: its own LAN, public, relayed, other LANs. */
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it } from 'vitest'
import { addressOrder } from '../../../src/reachability/address-order.ts'
import { relayServerInit } from '../../../src/reachability/relay-server.ts'

const P = '12D3KooWRKwfqDug8ds6zLVSB3bWtuxydJ3nAZ8kLv46TozoVwpK'
const interfaces = () => ({
  lo: [{ address: '127.0.0.1', cidr: '127.0.0.1/8', family: 'IPv4' }],
  eth0: [{ address: '192.168.1.20', cidr: '192.168.1.20/24', family: 'IPv4' }],
})

describe('addressOrder', () => {
  it('puts the same LAN first, then public, then relayed, then private addresses of other LANs', () => {
    const sorter = addressOrder(interfaces as never)
    const addrs = [
      '/ip4/10.9.0.5/tcp/4001', // another LAN: most likely unreachable
      `/ip4/198.51.100.7/tcp/4001/p2p/${P}/p2p-circuit`,
      '/ip4/8.8.4.4/tcp/4001/ws',
      '/ip4/8.8.4.4/tcp/4001',
      '/ip4/192.168.1.33/tcp/4001',
    ].map((a) => ({ multiaddr: multiaddr(a), isCertified: false }))
    expect(addrs.sort(sorter).map((a) => a.multiaddr.toString())).toEqual([
      '/ip4/192.168.1.33/tcp/4001',
      '/ip4/8.8.4.4/tcp/4001',
      '/ip4/8.8.4.4/tcp/4001/ws',
      `/ip4/198.51.100.7/tcp/4001/p2p/${P}/p2p-circuit`,
      '/ip4/10.9.0.5/tcp/4001',
    ])
  })
})

describe('relayServerInit', () => {
  const relay = { server: true, peers: [], maxReservations: 9, reservationTtlMs: 60_000 }
  it('sets no limit on relayed connections by default', () => {
    expect(relayServerInit({ ...relay, maxDurationMs: 0, maxDataBytes: 0 }).reservations).toMatchObject({
      maxReservations: 9,
      reservationTtl: 60_000,
      applyDefaultLimit: false,
    })
  })
  it('applies the limits it is given, and no limit on the other', () => {
    expect(relayServerInit({ ...relay, maxDurationMs: 0, maxDataBytes: 1000 }).reservations).toMatchObject({
      applyDefaultLimit: true,
      defaultDataLimit: 1000n,
      defaultDurationLimit: 2 ** 31 - 1,
    })
  })
})
