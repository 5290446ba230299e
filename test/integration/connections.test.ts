/**
 * Connections a node keeps: past `targetConnections`, a connection it dialled that carries nothing
 * but gossip (a catalog exchange's, a pull's, a DHT query's) is closed; one with an MCP session, or
 * to a peer tagged keep-alive (a bootstrap peer), stays. kad-dht's closest peers are not kept.
 */
import { KEEP_ALIVE } from '@libp2p/interface'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CordNode, NodeOptions } from '../../src/index.ts'
import { Harness, waitFor } from '../helpers/harness.ts'

const INTERVAL = 300
const MESH: NodeOptions = { discovery: { heartbeatIntervalMs: INTERVAL, suspectAfter: 3, deadAfter: 6 } }

describe('connections kept by discovery', () => {
  const h = new Harness()
  let seed: CordNode
  let node: CordNode
  let pulled: CordNode
  let called: CordNode

  beforeAll(async () => {
    seed = await h.spawn({ ...MESH, alias: 'seed' })
    const bootstrap = [seed.multiaddrs[0]!]
    ;[pulled, called] = await Promise.all([
      // Each end closes what it dialled; whichever dialled first, one of the two wants no more.
      h.spawn({ alias: 'pulled', bootstrap, discovery: { ...MESH.discovery, targetConnections: 1 } }),
      h.spawn({ ...MESH, alias: 'called', bootstrap }),
    ])
    // One connection is all this node wants: its bootstrap peer's.
    node = await h.spawn({ alias: 'node', bootstrap, discovery: { ...MESH.discovery, targetConnections: 1 } })
  })
  afterAll(() => h.teardown())

  /**
   * Drops the keep-alive tags kad-dht put on `peer` (in a mesh this small every peer is among the 20
   * closest; in a large one most are not). kad-dht tags a peer when it joins the closest set, so
   * this polls until the tags are gone for good.
   */
  const untagged = async (peer: CordNode, at = node): Promise<boolean> => {
    const stored = await at.libp2p.peerStore.get(peer.libp2p.peerId)
    const tags = [...stored.tags.keys()].filter((t) => t.startsWith(KEEP_ALIVE) || t === 'kad-close')
    if (tags.length === 0) return true
    await at.libp2p.peerStore.merge(peer.libp2p.peerId, {
      tags: Object.fromEntries(tags.map((t) => [t, undefined])),
    })
    return false
  }
  const connected = (peer: CordNode): boolean => node.libp2p.getConnections(peer.libp2p.peerId).length > 0

  it('closes an idle connection it dialled, keeps the one with a session and the bootstrap one', async () => {
    // the node learns of both peers from gossip (their catalogs come as signed records)
    const hasCatalog = (peer: CordNode): boolean =>
      node
        .catalog()
        .find((t) => t.name === 'echo')
        ?.providers.some((p) => p.peerId === peer.peerId) === true
    await waitFor(() => hasCatalog(pulled) && hasCatalog(called), 20_000)
    const result = await node.callTool(called.peerId, 'echo', { text: 'session' })
    expect(result.content).toEqual([{ type: 'text', text: 'session' }])
    // a connection that will carry nothing but gossip, as a catalog exchange or a DHT query leaves
    await node.libp2p.dial(pulled.libp2p.peerId)
    // kad-dht tags its closest peers (every few seconds) but keeps none of them alive (dht-tags.ts)
    const tags = async (): Promise<string[]> =>
      (await node.libp2p.peerStore.all()).flatMap((peer) => [...peer.tags.keys()])
    await waitFor(async () => (await tags()).includes('kad-close'), 20_000)
    expect((await tags()).filter((t) => t.startsWith(KEEP_ALIVE) && t.includes('kad'))).toEqual([])

    await waitFor(
      async () =>
        (await untagged(pulled)) &&
        (await untagged(called)) &&
        (await untagged(node, pulled)) &&
        !connected(pulled),
      20_000,
    )
    expect(node.status().discovery.trimmed + pulled.status().discovery.trimmed).toBeGreaterThan(0)
    // the connection with an MCP session on it stays, and so does the bootstrap peer's
    expect(connected(called)).toBe(true)
    expect(connected(seed)).toBe(true)

    // gossip still reaches the node through the seed: the trimmed peer stays alive, its tools listed
    const heard = node.status().discovery.received
    await waitFor(() => node.status().discovery.received > heard + 6, 10_000)
    const peers = await node.peers()
    expect(peers.find((p) => p.peerId === pulled.peerId)?.state).toBe('alive')
    expect(hasCatalog(pulled)).toBe(true)
    // and the peer is still one call away
    expect((await node.callTool(pulled.peerId, 'echo', { text: 'again' })).content).toEqual([
      { type: 'text', text: 'again' },
    ])
  })
})

describe("libp2p's connection monitor", () => {
  const h = new Harness()
  afterAll(() => h.teardown())

  // libp2p pings every connection every 10 s and aborts one whose ping fails. With the ping
  // service's default of one outbound ping stream per connection, a second ping in flight (kad-dht
  // pings its contacts through the same service) made the monitor's fail: the connection went,
  // with the MCP session and its calls ("closed before the answer arrived").
  it('leaves a call in flight alone while another ping stream is open on its connection', async () => {
    const a = await h.spawn({ alias: 'a' })
    const b = await h.spawn({ alias: 'b', bootstrap: [a.multiaddrs[0]!] })
    expect((await b.callTool(a.peerId, 'echo', { text: 'hi' })).content).toHaveLength(1)
    // a ping stream held open, as a kad-dht ping is while its peer is slow to answer
    const held = await b.libp2p.dialProtocol(a.libp2p.peerId, '/ipfs/ping/1.0.0')
    try {
      // longer than the monitor's 10 s interval: its ping runs while the call is in flight
      const result = await b.callTool(a.peerId, 'sleep', { ms: 12_000 }, { timeout: 30_000 })
      expect(result.isError).toBeFalsy()
    } finally {
      held.abort(new Error('done'))
    }
  }, 40_000)
})
