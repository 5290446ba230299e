import { describe, expect, it } from 'vitest'
import { PeerTable } from '../../../src/discovery/peer-table.ts'
import { RateLimitedError, TransportClosedError } from '../../../src/errors.ts'
import { ToolRegistry } from '../../../src/registry/registry.ts'
import { DownPeers, IN_FLIGHT_HEARTBEAT_MS } from '../../../src/router/down.ts'
import { afterFailure } from '../../../src/router/policy.ts'
import { CandidateQueue, isTransportFailure } from '../../../src/router/queue.ts'
import { type Link, Router } from '../../../src/router/router.ts'

const A = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
const B = '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq'

function heartbeat(peerId: string, alias: string, seq: number) {
  return {
    v: 1 as const,
    peerId,
    alias,
    addrs: [],
    seq,
    load: { inflight: 0, capacity: 64 },
    uptimeMs: 1,
    version: 'x',
    tools: 1,
    digest: 'c'.repeat(32),
  }
}

describe('down peers', () => {
  it('stay down until a heartbeat sent after the mark, or a connection', () => {
    const down = new DownPeers()
    down.mark(A, 1_000)
    expect(down.isDown(A)).toBe(true)
    expect(down.isDown(A, 900)).toBe(true) // heard before the mark
    expect(down.isDown(A, 1_000 + IN_FLIGHT_HEARTBEAT_MS)).toBe(true) // one already on its way
    expect(down.isDown(A, 1_000 + IN_FLIGHT_HEARTBEAT_MS + 1)).toBe(false)
    expect(down.size).toBe(0)
    down.mark(B)
    down.up(B)
    expect(down.isDown(B)).toBe(false)
  })

  it('put a provider marked down behind every other, and prefer one with a session to one needing a dial', async () => {
    const table = new PeerTable({ intervalMs: 1_000, suspectAfter: 3, deadAfter: 6, forgetAfterMs: 60_000 })
    const links: Record<string, Link> = { [A]: 'session', [B]: 'none' }
    const router = new Router({
      self: { peerId: 'self', alias: 'me' },
      table,
      registry: new ToolRegistry(),
      findProviders: async () => [],
      // B is nearer by RTT, but A has a session open
      rtt: (peer) => (peer === A ? 20 : 1),
      link: (peer) => links[peer] ?? 'none',
    })
    const now = Date.now()
    for (const [peerId, alias] of [
      [A, 'a'],
      [B, 'b'],
    ] as const) {
      table.onHeartbeat(heartbeat(peerId, alias, 1), now)
      table.setCatalog(peerId, [{ name: 'tool', inputSchema: { type: 'object' } }], 'c'.repeat(32))
    }
    const order = async (): Promise<string[]> =>
      (await router.candidates(undefined, 'tool', AbortSignal.timeout(1_000))).map((c) => c.peerId)
    expect(await order()).toEqual([A, B])
    router.disconnected(A)
    expect(await order()).toEqual([B, A])
    router.connected(A)
    expect(await order()).toEqual([A, B])
    router.failed(A)
    expect(await order()).toEqual([B, A])
    // its next heartbeat brings it back
    table.onHeartbeat(heartbeat(A, 'a', 2), Date.now() + IN_FLIGHT_HEARTBEAT_MS + 10)
    expect(await order()).toEqual([A, B])
  })

  it('a call tries the candidates not marked down first, and moves on from a rate limit at once', () => {
    const down = new Set([A])
    const queue = new CandidateQueue([{ peerId: A }, { peerId: B }], (p) => down.has(p))
    expect(queue.next()?.peerId).toBe(B)
    expect(queue.remaining).toBe(1)
    expect(queue.next()?.peerId).toBe(A)
    expect(queue.next()).toBeUndefined()
    const limited = new RateLimitedError('slow down', 50)
    expect(afterFailure(limited, 0, true, true)).toBe('next')
    expect(afterFailure(limited, 0, true, false)).toBe('wait')
    expect(isTransportFailure(new TransportClosedError('closed'), 0)).toBe(false)
    expect(isTransportFailure(new TransportClosedError('closed'), 1)).toBe(true)
  })
})
