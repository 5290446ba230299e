/** LAN discovery: when mDNS runs, which nodes answer, and which found nodes are dialled. */
import { TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it, vi } from 'vitest'
import { heartbeatAddrs } from '../../../src/discovery/heartbeat.ts'
import { LanDiscovery, listensOnLan, mdnsServiceTag } from '../../../src/discovery/lan.ts'
import { createLogger } from '../../../src/logger.ts'

const A = '12D3KooWRKwfqDug8ds6zLVSB3bWtuxydJ3nAZ8kLv46TozoVwpK'
const B = '12D3KooWQHSb4rQ734ERe9PKYdTYVRHKjPVh6zK4cqrCodLVeoxX'

describe('mDNS', () => {
  it('runs only for a node that listens beyond loopback', () => {
    expect(listensOnLan(['/ip4/0.0.0.0/tcp/4001'])).toBe(true)
    expect(listensOnLan(['/ip4/127.0.0.1/tcp/0', '/ip4/192.168.1.5/tcp/4002/ws'])).toBe(true)
    expect(listensOnLan(['/ip4/127.0.0.1/tcp/0', '/ip6/::1/tcp/0', '/p2p-circuit'])).toBe(false)
  })

  it('answers to a service name of its own network', () => {
    expect(mdnsServiceTag()).toBe('_cord._udp.local')
    expect(mdnsServiceTag('0123456789abcdef')).toBe('_cord-01234567._udp.local')
  })

  it('dials the nodes it finds up to the connection target, not those the access lists shut out', async () => {
    const mdns = new TypedEventEmitter<{ peer: CustomEvent }>()
    const connections: string[] = []
    const dial = vi.fn(async () => {})
    const lan = new LanDiscovery(
      {
        mdns,
        network: { dial, getConnections: (peer?: unknown) => (peer == null ? connections : []) } as never,
        log: createLogger('silent'),
        admits: (peer) => peer !== B,
      },
      { targetConnections: 1, dialTimeoutMs: 1000 },
    )
    lan.start()
    const found = (id: string): void => {
      mdns.safeDispatchEvent('peer', {
        detail: { id: peerIdFromString(id), multiaddrs: [multiaddr('/ip4/192.168.1.7/tcp/4001')] },
      })
    }
    found(B)
    found(A)
    await vi.waitFor(() => expect(dial).toHaveBeenCalledTimes(1))
    expect(dial).toHaveBeenCalledWith([multiaddr(`/ip4/192.168.1.7/tcp/4001/p2p/${A}`)], expect.anything())
    connections.push('one')
    found(A)
    lan.stop()
    expect(dial).toHaveBeenCalledTimes(1)
    expect(lan.found).toBe(3)
  })
})

describe('heartbeatAddrs', () => {
  it('keeps the relayed addresses when a node has more addresses than a heartbeat carries', () => {
    const direct = Array.from({ length: 20 }, (_, i) => `/ip4/10.0.0.${i}/tcp/4001/p2p/${A}`)
    const relayed = `/ip4/203.0.113.10/tcp/4001/p2p/${B}/p2p-circuit/p2p/${A}`
    const addrs = heartbeatAddrs([...direct, relayed])
    expect(addrs).toHaveLength(16)
    expect(addrs.at(-1)).toBe(relayed)
    expect(addrs.slice(0, 15)).toEqual(direct.slice(0, 15))
  })

  it("puts a relay's loopback address last among the relayed ones", () => {
    const via = (ip: string): string => `/ip4/${ip}/tcp/4001/p2p/${B}/p2p-circuit/p2p/${A}`
    const relayed = ['127.0.0.1', '203.0.113.10', '203.0.113.11', '203.0.113.12', '203.0.113.13'].map(via)
    expect(heartbeatAddrs(relayed)).toEqual(relayed.slice(1))
  })
})
