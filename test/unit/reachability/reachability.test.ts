/** The reachability judge: what makes a node public, private or unknown, and when it listens on a relay. */
import { TypedEventEmitter } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { afterEach, describe, expect, it, vi } from 'vitest'
import {
  RELAY_HOP_PROTOCOL,
  type ReachabilityInit,
  ReachabilityService,
  relayReservations,
} from '../../../src/reachability/reachability.ts'

// 8.8.4.4 stands for any public address: libp2p counts the documentation ranges as private.
const RELAY = '12D3KooWRKwfqDug8ds6zLVSB3bWtuxydJ3nAZ8kLv46TozoVwpK'
const SELF = '12D3KooWQHSb4rQ734ERe9PKYdTYVRHKjPVh6zK4cqrCodLVeoxX'
const interfaces = () => ({
  lo: [{ address: '127.0.0.1', cidr: '127.0.0.1/8', family: 'IPv4' }],
  eth0: [{ address: '10.1.0.2', cidr: '10.1.0.2/24', family: 'IPv4' }],
})

interface AddrMeta {
  multiaddr: Multiaddr
  verified: boolean
  expires: number
}

function setup(init: Partial<ReachabilityInit> = {}) {
  const addrs: AddrMeta[] = [{ multiaddr: multiaddr('/ip4/10.1.0.2/tcp/4001'), verified: true, expires: 0 }]
  const listeners: Array<{ close: () => Promise<void> }> = []
  const listen = vi.fn(async () => {
    listeners.push({ close: vi.fn(async () => {}) })
  })
  const events = new TypedEventEmitter<Record<string, CustomEvent>>()
  const log = Object.assign(() => {}, { error: () => {}, trace: () => {} })
  const service = new ReachabilityService(
    {
      addressManager: {
        getAddressesWithMetadata: () => addrs,
        getAddresses: () => addrs.filter((a) => a.verified).map((a) => a.multiaddr),
      } as never,
      transportManager: { listen, getListeners: () => [...listeners] } as never,
      peerStore: { all: async () => [] } as never,
      events: events as never,
      logger: { forComponent: () => log } as never,
    },
    { mode: 'auto', relays: 0, autoRelay: true, interfaces: interfaces as never, ...init },
  )
  const identify = (observed: string, protocols: string[] = []): void => {
    events.safeDispatchEvent('peer:identify', {
      detail: {
        observedAddr: multiaddr(observed),
        protocols,
        connection: { remoteAddr: multiaddr('/ip4/198.51.100.7/tcp/4001') },
      },
    })
  }
  return { service, addrs, listen, listeners, identify }
}

describe('reachability', () => {
  let service: ReachabilityService | undefined
  afterEach(async () => service?.stop())

  it('is unknown with nothing to go on, and private once a peer sees the node at an address not its own', async () => {
    const t = setup()
    service = t.service
    await service.start()
    await service.afterStart()
    expect(service.reachability).toBe('unknown')
    t.identify('/ip4/10.1.0.2/tcp/51000') // seen at its own address: no NAT between them
    expect(service.reachability).toBe('unknown')
    t.identify('/ip4/203.0.113.1/tcp/61000') // seen at the router's address
    expect(service.status()).toMatchObject({
      reachability: 'private',
      observed: '/ip4/203.0.113.1/tcp/61000',
    })
  })

  it('listens on a relay once private and a relay is known, once', async () => {
    const t = setup()
    service = t.service
    await service.start()
    t.identify('/ip4/203.0.113.1/tcp/61000')
    await vi.waitFor(() => expect(service?.reachability).toBe('private'))
    expect(t.listen).not.toHaveBeenCalled() // no relay known yet
    t.identify('/ip4/203.0.113.1/tcp/61001', [RELAY_HOP_PROTOCOL])
    await vi.waitFor(() => expect(t.listen).toHaveBeenCalledTimes(1))
    expect(t.listen).toHaveBeenCalledWith([multiaddr('/p2p-circuit')])
    t.identify('/ip4/203.0.113.1/tcp/61002', [RELAY_HOP_PROTOCOL])
    await new Promise((r) => setTimeout(r, 10))
    expect(t.listen).toHaveBeenCalledTimes(1)
  })

  it('is public once AutoNAT verified a public address, and then stops listening on the relay', async () => {
    const t = setup({ relays: 1 })
    service = t.service
    await service.start()
    t.identify('/ip4/203.0.113.1/tcp/61000')
    await vi.waitFor(() => expect(t.listen).toHaveBeenCalledTimes(1))
    const relayListener = t.listeners[0]!
    t.addrs.push({
      multiaddr: multiaddr('/ip4/8.8.4.4/tcp/4001'),
      verified: true,
      expires: Date.now() + 60_000,
    })
    service.recheck()
    expect(service.reachability).toBe('public')
    await vi.waitFor(() => expect(relayListener.close).toHaveBeenCalled())
  })

  it('is private when AutoNAT found a public address undialable', async () => {
    const t = setup()
    service = t.service
    await service.start()
    t.addrs.push({
      multiaddr: multiaddr('/ip4/8.8.4.4/tcp/4001'),
      verified: false,
      expires: Date.now() + 60_000,
    })
    service.recheck()
    expect(service.reachability).toBe('private')
  })

  it('does what it is told when forced, and never listens on a relay by itself when told not to', async () => {
    const forced = setup({ mode: 'private', relays: 1, autoRelay: false })
    service = forced.service
    await service.start()
    await service.afterStart()
    expect(service.reachability).toBe('private')
    await new Promise((r) => setTimeout(r, 10))
    expect(forced.listen).not.toHaveBeenCalled()
    await service.stop()
    const pub = setup({ mode: 'public', relays: 1 })
    service = pub.service
    await service.start()
    pub.identify('/ip4/203.0.113.1/tcp/61000')
    expect(service.reachability).toBe('public')
    expect(pub.listen).not.toHaveBeenCalled()
  })

  it('names the relay of each relayed address', () => {
    const addr = `/ip4/203.0.113.10/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${SELF}`
    const local = `/ip4/127.0.0.1/tcp/4001/p2p/${RELAY}/p2p-circuit/p2p/${SELF}`
    const direct = `/ip4/10.1.0.2/tcp/4001/p2p/${SELF}`
    expect(relayReservations([addr, direct, local].map((a) => multiaddr(a)))).toEqual([
      { relay: RELAY, addrs: [addr, local] },
    ])
  })
})
