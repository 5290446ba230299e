/**
 * Joining: calls made right after start (while the bootstrap dials are in flight), waiting for peers,
 * multiaddr targets, and connecting to or disconnecting from a node at run time.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CordNode, createNode } from '../../src/index.ts'
import { failure, Harness, waitFor } from '../helpers/harness.ts'

describe('joining', () => {
  const h = new Harness()
  let a: CordNode
  let c: CordNode
  beforeAll(async () => {
    a = await h.spawn()
    c = await h.spawn({ bootstrap: [a.multiaddrs[0]!] })
    await waitFor(() => a.libp2p.getConnections(c.libp2p.peerId).length > 0)
  })
  afterAll(() => h.teardown())

  it('a call made at once after start reaches a peer known only through the bootstrap peer', async () => {
    const b = await createNode({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: [a.multiaddrs[0]!],
      logLevel: 'silent',
    })
    h.nodes.push(b)
    await b.start()
    const result = await b.callTool(c.peerId, 'echo', { text: 'right away' })
    expect(result.content).toEqual([{ type: 'text', text: 'right away' }])
  })

  it('with no bootstrap peer and nobody connected, a call to an unknown peer fails at once', async () => {
    const alone = await h.spawn()
    const { error, ms } = await failure(alone.callTool(c.peerId, 'echo', { text: 'x' }))
    expect(error.name).toBe('PeerUnreachableError')
    expect(error.message).toMatch(/no known address, and no connected peer to ask/)
    expect(ms).toBeLessThan(2_000)
  })

  it('waitForPeers resolves once enough peers are alive, and says how many there are when it gives up', async () => {
    const b = await h.spawn({ bootstrap: [a.multiaddrs[0]!] })
    await b.waitForPeers(2, { timeout: 30_000 })
    expect(b.status().discovery.peers).toBeGreaterThanOrEqual(2)
    const { error } = await failure(b.waitForPeers(50, { timeout: 300 }))
    expect(error.name).toBe('CallTimeoutError')
    expect(error.message).toMatch(/^only \d+ of 50 peers alive after 300 ms \(bootstrap: \/ip4\//)
    const aborted = new AbortController()
    const waiting = failure(b.waitForPeers(50, { signal: aborted.signal }))
    aborted.abort(new Error('enough waiting'))
    expect((await waiting).error.message).toBe('enough waiting')
  })

  it('takes a full multiaddr wherever it takes a peer ID: it dials, then calls', async () => {
    const stranger = await h.spawn()
    const target = a.multiaddrs[0]!
    expect(stranger.libp2p.getConnections(a.libp2p.peerId)).toHaveLength(0)
    const result = await stranger.callTool(target, 'echo', { text: 'by address' })
    expect(result.content).toEqual([{ type: 'text', text: 'by address' }])
    expect(result._meta?.['cord/servedBy']).toBe(a.peerId)
    expect((await stranger.listTools(target)).map((t) => t.name)).toContain('echo')

    const noPeer = await failure(stranger.callTool('/ip4/127.0.0.1/tcp/9', 'echo'))
    expect(noPeer.error.name).toBe('InvalidArgumentError')
    expect(noPeer.error.message).toMatch(/does not say which peer it reaches: expected it to end in \/p2p\//)
    const garbage = await failure(stranger.callTool('/ip4/not-an-ip/tcp/1', 'echo'))
    expect(garbage.error.name).toBe('InvalidArgumentError')
    expect(garbage.error.message).toMatch(/^not a multiaddr: "\/ip4\/not-an-ip\/tcp\/1"/)
    // a closed port on this host, for a peer nobody knows (for a connected peer, libp2p would use
    // the connection it has): refused at once
    const closed = '/ip4/127.0.0.1/tcp/1/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
    const unreachable = await failure(stranger.callTool(closed, 'echo', {}, { timeout: 10_000 }))
    expect(unreachable.error.name).toBe('PeerUnreachableError')
    expect(unreachable.error.message).toContain(`cannot reach ${closed}`)
  })

  it('connect joins a running node to another; with keep it redials; disconnect hangs up and forgets', async () => {
    const e = await h.spawn()
    const joined = await e.connect(a.multiaddrs[0]!, { keep: true })
    expect(joined).toEqual({ peerId: a.peerId, keep: true })
    expect(e.libp2p.getConnections(a.libp2p.peerId).length).toBeGreaterThan(0)
    const kept = (await e.peers()).find((p) => p.peerId === a.peerId)
    expect(kept).toMatchObject({ connected: true, keep: true, bootstrap: false })
    // the mesh comes with it: heartbeats from a and c
    await e.waitForPeers(2, { timeout: 30_000 })

    // kept: when the connection drops, e dials again
    const before = new Set(e.libp2p.getConnections(a.libp2p.peerId).map((c) => c.id))
    await a.libp2p.hangUp(e.libp2p.peerId)
    await waitFor(
      () => e.libp2p.getConnections(a.libp2p.peerId).some((c) => c.status === 'open' && !before.has(c.id)),
      30_000,
    )

    const left = await e.disconnect(a.peerId)
    expect(left).toEqual({ peerId: a.peerId, wasConnected: true, wasKept: true })
    expect(e.libp2p.getConnections(a.libp2p.peerId)).toHaveLength(0)
    expect((await e.peers()).find((p) => p.peerId === a.peerId)?.keep).toBe(false)

    // the mesh may connect to a again (connection upkeep dials alive peers); a peer e never met:
    const stranger = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
    const twice = await failure(e.disconnect(stranger))
    expect(twice.error.name).toBe('UnknownTargetError')
    expect(twice.error.message).toMatch(/not connected to peer .*, and not keeping it connected/)
    const self = await failure(e.connect(e.multiaddrs[0]!))
    expect(self.error.message).toMatch(/is this node's own address/)
    // (a peer e may be connected to again would be reached over that connection: one it never met)
    const refused = await failure(e.connect(`/ip4/127.0.0.1/tcp/1/p2p/${stranger}`, { timeout: 5_000 }))
    expect(refused.error.name).toBe('PeerUnreachableError')
    expect(refused.error.message).toMatch(/^cannot connect to \/ip4\/127\.0\.0\.1\/tcp\/1\/p2p\//)
  })
})
