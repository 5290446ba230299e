/** Stale links: which connections of a peer that went dead are aborted. */
import { TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { describe, expect, it, vi } from 'vitest'
import { createLogger } from '../../../src/logger.ts'
import { StaleLinks } from '../../../src/node/stale-links.ts'

const A = '12D3KooWRKwfqDug8ds6zLVSB3bWtuxydJ3nAZ8kLv46TozoVwpK'
const B = '12D3KooWQHSb4rQ734ERe9PKYdTYVRHKjPVh6zK4cqrCodLVeoxX'
const R = '12D3KooWJyTBp9iHMexFXSbenjAwAgK8Yxwz9PKZdvCanCj3LBZy'

const conn = (peer: string, addr: string) => ({
  remotePeer: peerIdFromString(peer),
  remoteAddr: multiaddr(addr),
  abort: vi.fn(),
})

function setup(kept: string[] = [], clients: string[] = []) {
  const table = new TypedEventEmitter<{ state: CustomEvent }>()
  const conns = [
    conn(A, '/ip4/10.0.0.1/tcp/4001'),
    conn(B, `/ip4/203.0.113.10/tcp/4001/p2p/${R}/p2p-circuit`),
    conn(B, '/ip4/10.0.0.2/tcp/4001'),
  ]
  const links = new StaleLinks({
    table,
    libp2p: { getConnections: () => conns as never },
    isKept: (p) => kept.includes(p),
    isRelayClient: (p) => clients.includes(p.toString()),
    log: createLogger('silent'),
  })
  links.start()
  const state = (peerId: string, s: string): void => {
    table.safeDispatchEvent('state', { detail: { peerId, state: s } })
  }
  return { links, conns, state }
}

describe('StaleLinks', () => {
  it('aborts the relayed connections of a peer that went dead, and leaves its direct ones to libp2p', () => {
    const { links, conns, state } = setup()
    state(B, 'suspect')
    expect(links.aborted).toBe(0)
    state(B, 'dead')
    expect(conns[1]!.abort).toHaveBeenCalled()
    expect(conns[2]!.abort).not.toHaveBeenCalled()
    state(A, 'dead')
    expect(conns[0]!.abort).not.toHaveBeenCalled()
    expect(links.aborted).toBe(1)
  })

  it('aborts every connection of a kept peer or of a relay client that went dead', () => {
    const kept = setup([A])
    kept.state(A, 'dead')
    expect(kept.conns[0]!.abort).toHaveBeenCalled()
    const client = setup([], [B])
    client.state(B, 'dead')
    expect(client.conns[1]!.abort).toHaveBeenCalled()
    expect(client.conns[2]!.abort).toHaveBeenCalled()
    client.links.stop()
    client.state(A, 'dead')
    expect(client.conns[0]!.abort).not.toHaveBeenCalled()
  })
})
