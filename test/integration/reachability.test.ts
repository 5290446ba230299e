/**
 * Across networks, on loopback: a relay serves nodes that nobody can dial, calls reach them by peer
 * ID alone through it, a private node reserves a slot on the relay it knows by itself, relayed
 * connections show as such, a relay with limits still carries MCP, and a WebSockets-only node serves
 * the mesh. (NAT itself, hole punching and mDNS need network namespaces: test/netns/.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CordNode, createNode } from '../../src/index.ts'
import { Harness, waitFor } from '../helpers/harness.ts'

const relayedAddr = (node: CordNode): string | undefined =>
  node.multiaddrs.find((a) => a.includes('/p2p-circuit'))

describe('across networks (loopback)', () => {
  const h = new Harness()
  let relay: CordNode
  beforeAll(async () => {
    relay = await h.spawn({ alias: 'relay', relay: { server: true } })
  })
  afterAll(() => h.teardown())

  it('a node that only listens on a relay is called by peer ID alone, over a relayed connection', async () => {
    const hidden = await h.spawn({
      alias: 'hidden',
      listen: ['/p2p-circuit'],
      bootstrap: [relay.multiaddrs[0]!],
    })
    const addr = await waitFor(() => relayedAddr(hidden))
    expect(addr).toBe(`${relay.multiaddrs[0]}/p2p-circuit/p2p/${hidden.peerId}`)
    expect(hidden.status().relay.reservations).toEqual([{ relay: relay.peerId, addrs: [addr] }])
    await waitFor(() => relay.status().relay.clients === 1)
    expect(relay.status().relay).toMatchObject({ server: true, clients: 1 })

    // The caller cannot be dialled either (else the hidden node, which dials out freely, would dial it
    // directly when gossip brings it the caller's address).
    const caller = await h.spawn({
      alias: 'caller',
      listen: ['/p2p-circuit'],
      bootstrap: [relay.multiaddrs[0]!],
    })
    // The caller learns the relayed address from the hidden node's heartbeats.
    await waitFor(
      async () => (await caller.peers()).find((p) => p.peerId === hidden.peerId)?.state === 'alive',
      20_000,
    )
    const result = await caller.callTool(hidden.peerId, 'echo', { text: 'through the relay' })
    expect(result.content).toEqual([{ type: 'text', text: 'through the relay' }])
    const seen = (await caller.peers()).find((p) => p.peerId === hidden.peerId)
    expect(seen).toMatchObject({ connected: true, connection: 'relayed' })
    expect(seen?.addrs).toContain(addr)
    // The relay itself is a direct peer.
    expect((await caller.peers()).find((p) => p.peerId === relay.peerId)?.connection).toBe('direct')
  })

  it('a node forced private reserves a slot on the relay it knows by itself; an unforced one on loopback stays unknown', async () => {
    const open = await h.spawn({ alias: 'open', bootstrap: [relay.multiaddrs[0]!] })
    const nated = await h.spawn({
      alias: 'nated',
      bootstrap: [relay.multiaddrs[0]!],
      nat: { reachability: 'private' },
    })
    await waitFor(() => relayedAddr(nated), 15_000)
    expect(nated.status().reachability).toMatchObject({ status: 'private', mode: 'private' })
    expect(nated.status().relay.reservations.map((r) => r.relay)).toEqual([relay.peerId])
    // Its direct address is still announced: a node on its LAN dials that first.
    expect(nated.multiaddrs.some((a) => a.startsWith('/ip4/127.0.0.1/tcp/') && !a.includes('circuit'))).toBe(
      true,
    )
    await waitFor(() => open.libp2p.getConnections().length > 0)
    expect(open.status().reachability.status).toBe('unknown')
    expect(open.status().relay.reservations).toEqual([])
  })

  it('a relay that limits its connections still carries MCP sessions over them', async () => {
    const strict = await h.spawn({
      alias: 'strict',
      relay: { server: true, maxDurationMs: 60_000, maxDataBytes: 10_000_000 },
    })
    const hidden = await h.spawn({ listen: ['/p2p-circuit'], bootstrap: [strict.multiaddrs[0]!] })
    const addr = await waitFor(() => relayedAddr(hidden))
    const caller = await h.spawn({ listen: ['/p2p-circuit'], bootstrap: [strict.multiaddrs[0]!] })
    const result = await caller.callTool(addr, 'add', { a: 2, b: 40 })
    expect(result.structuredContent).toEqual({ sum: 42 })
    const conns = caller.libp2p.getConnections(hidden.libp2p.peerId)
    expect(conns.length).toBeGreaterThan(0)
    expect(conns.every((c) => c.limits != null && !c.direct)).toBe(true)
  })

  it('a relay reserves no slot for a peer its deny list names', async () => {
    const picky = await h.spawn({ alias: 'picky', relay: { server: true } })
    const hidden = await h.spawn({ listen: ['/p2p-circuit'] })
    const denying = await h.spawn({
      relay: { server: true },
      access: { denyPeers: [hidden.peerId] },
    })
    // Connected to both, it may reserve only on the one that does not deny it.
    await hidden.connect(denying.multiaddrs[0]!).catch(() => {})
    await hidden.connect(picky.multiaddrs[0]!)
    await waitFor(() => relayedAddr(hidden))
    expect(hidden.status().relay.reservations.map((r) => r.relay)).toEqual([picky.peerId])
    expect(denying.status().relay.clients).toBe(0)
  })

  it('runs UPnP only when asked, and mDNS only when the node listens beyond loopback', async () => {
    // Created, not started: a started UPnP client would search the host's real LAN for a router.
    const asked = await createNode({
      nat: { upnp: true },
      listen: ['/ip4/127.0.0.1/tcp/0'],
      logLevel: 'silent',
    })
    const plain = await createNode({ listen: ['/ip4/127.0.0.1/tcp/0'], logLevel: 'silent' })
    const lan = await createNode({ listen: ['/ip4/0.0.0.0/tcp/0'], logLevel: 'silent' })
    const lanOff = await createNode({
      listen: ['/ip4/0.0.0.0/tcp/0'],
      discovery: { mdns: false },
      logLevel: 'silent',
    })
    expect(asked.libp2p.services.upnp).toBeDefined()
    expect(plain.libp2p.services.upnp).toBeUndefined()
    expect(plain.libp2p.services.mdns).toBeUndefined()
    expect(lan.libp2p.services.mdns).toBeDefined()
    expect(lanOff.libp2p.services.mdns).toBeUndefined()
    expect(plain.status()).toMatchObject({ mdns: { enabled: false }, reachability: { upnp: false } })
    await Promise.all([asked, plain, lan, lanOff].map((n) => n.stop()))
  })

  it('a node that listens only on WebSockets joins the mesh and serves it', async () => {
    const ws = await h.spawn({ alias: 'ws', listen: ['/ip4/127.0.0.1/tcp/0/ws'] })
    expect(ws.multiaddrs.every((a) => a.includes('/ws/'))).toBe(true)
    const joiner = await h.spawn({ alias: 'joiner', bootstrap: [ws.multiaddrs[0]!] })
    const third = await h.spawn({ alias: 'third', bootstrap: [ws.multiaddrs[0]!] })
    await joiner.waitForPeers(2, { timeout: 20_000 })
    const result = await joiner.callTool('ws', 'echo', { text: 'over websockets' })
    expect(result.content).toEqual([{ type: 'text', text: 'over websockets' }])
    // The joiner knows ws; ws learns the joiner's alias from its first heartbeat.
    await waitFor(async () => (await ws.peers()).some((p) => p.alias === 'joiner' && p.state === 'alive'))
    expect(await ws.callTool('joiner', 'add', { a: 1, b: 2 })).toMatchObject({
      structuredContent: { sum: 3 },
    })
    ws.registerTool('ws_only', { description: 'served over WebSockets' }, async () => ({
      content: [{ type: 'text', text: 'ws' }],
    }))
    await waitFor(async () => (await third.findTool('ws_only')).some((p) => p.peerId === ws.peerId), 20_000)
    expect((await third.callTool(undefined, 'ws_only', {}))._meta?.['cord/servedBy']).toBe(ws.peerId)
  })
})
