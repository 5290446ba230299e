/** Stale links: which connections of a peer that went dead are aborted, and when. */
import { TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createLogger } from '../../../src/logger.ts'
import { StaleLinks } from '../../../src/node/stale-links.ts'

const A = '12D3KooWRKwfqDug8ds6zLVSB3bWtuxydJ3nAZ8kLv46TozoVwpK'
const B = '12D3KooWQHSb4rQ734ERe9PKYdTYVRHKjPVh6zK4cqrCodLVeoxX'
const R = '12D3KooWJyTBp9iHMexFXSbenjAwAgK8Yxwz9PKZdvCanCj3LBZy'
const GRACE = 1000
const PING_TIMEOUT = 5000

const conn = (peer: string, addr: string) => ({
  remotePeer: peerIdFromString(peer),
  remoteAddr: multiaddr(addr),
  abort: vi.fn(),
})

function setup(kept: string[] = [], clients: string[] = [], answers = false) {
  const ping = vi.fn(
    (_peer: unknown, { signal }: { signal: AbortSignal }): Promise<unknown> =>
      answers
        ? Promise.resolve(3)
        : new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))),
  )
  const events = new TypedEventEmitter<{ state: CustomEvent }>()
  const states = new Map<string, string>()
  const conns = [
    conn(A, '/ip4/10.0.0.1/tcp/4001'),
    conn(B, `/ip4/203.0.113.10/tcp/4001/p2p/${R}/p2p-circuit`),
    conn(B, '/ip4/10.0.0.2/tcp/4001'),
  ]
  const links = new StaleLinks(
    {
      table: Object.assign(events, { get: (p: string) => ({ state: states.get(p) as never }) }),
      libp2p: { getConnections: () => conns as never },
      isKept: (p) => kept.includes(p),
      isRelayClient: (p) => clients.includes(p.toString()),
      ping,
      log: createLogger('silent'),
    },
    { graceMs: GRACE, pingTimeoutMs: PING_TIMEOUT },
  )
  links.start()
  /** The table says `peerId` is now `state`. */
  const becomes = (peerId: string, state: string): void => {
    states.set(peerId, state)
    events.safeDispatchEvent('state', { detail: { peerId, state } })
  }
  /** …and stays so past the grace and a ping's wait. */
  const stays = async (peerId: string, state: string): Promise<void> => {
    becomes(peerId, state)
    await vi.advanceTimersByTimeAsync(GRACE + PING_TIMEOUT)
  }
  return { links, conns, ping, becomes, stays }
}

describe('StaleLinks', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('aborts the relayed connections of a peer that stayed dead, and leaves its direct ones to libp2p', async () => {
    const { links, conns, stays } = setup()
    await stays(B, 'suspect')
    expect(links.aborted).toBe(0)
    await stays(B, 'dead')
    expect(conns[1]!.abort).toHaveBeenCalled()
    expect(conns[2]!.abort).not.toHaveBeenCalled()
    await stays(A, 'dead')
    expect(conns[0]!.abort).not.toHaveBeenCalled()
    expect(links.aborted).toBe(1)
  })

  it('leaves a peer that is alive again within the grace (a stalled event loop saw everyone dead)', () => {
    const { links, conns, becomes } = setup([A])
    becomes(A, 'dead')
    vi.advanceTimersByTime(GRACE / 2)
    becomes(A, 'alive')
    vi.advanceTimersByTime(GRACE)
    expect(conns[0]!.abort).not.toHaveBeenCalled()
    expect(links.aborted).toBe(0)
  })

  it('aborts every connection of a kept peer or of a relay client that went dead', async () => {
    const kept = setup([A])
    kept.becomes(A, 'dead')
    await vi.advanceTimersByTimeAsync(GRACE + PING_TIMEOUT - 1)
    expect(kept.ping).toHaveBeenCalledOnce()
    expect(kept.conns[0]!.abort).not.toHaveBeenCalled() // the ping may still answer
    await vi.advanceTimersByTimeAsync(1)
    expect(kept.conns[0]!.abort).toHaveBeenCalled()
    const client = setup([], [B])
    await client.stays(B, 'dead')
    expect(client.conns[1]!.abort).toHaveBeenCalled()
    expect(client.conns[2]!.abort).toHaveBeenCalled()
    client.links.stop()
    await client.stays(A, 'dead')
    expect(client.conns[0]!.abort).not.toHaveBeenCalled()
  })

  it('leaves the connections of a silent peer that answers a ping (slow, not cut off)', async () => {
    const { links, conns, ping, stays } = setup([A], [], true)
    await stays(A, 'dead')
    expect(ping).toHaveBeenCalledOnce()
    expect(conns[0]!.abort).not.toHaveBeenCalled()
    expect(links.aborted).toBe(0)
    expect(links.answered).toBe(1)
  })

  it('leaves a peer whose heartbeat came while the ping waited', async () => {
    const { links, conns, becomes } = setup([A])
    becomes(A, 'dead')
    await vi.advanceTimersByTimeAsync(GRACE + PING_TIMEOUT / 2)
    becomes(A, 'alive')
    await vi.advanceTimersByTimeAsync(PING_TIMEOUT)
    expect(conns[0]!.abort).not.toHaveBeenCalled()
    expect(links.aborted).toBe(0)
  })
})
