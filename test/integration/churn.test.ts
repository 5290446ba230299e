/**
 * Calls by tool name while providers come and go: a provider that went away is out of routing at
 * once (before any heartbeat is missed), a new provider is callable as soon as it is heard, and a
 * tool's own error is never retried on another provider. Heartbeat intervals are long here, so that
 * only the events of the transport (a connection closed, a session lost) can explain the timings.
 */
import type { PeerId } from '@libp2p/interface'
import { afterAll, describe, expect, it } from 'vitest'
import { type CordNode, createNode, type NodeOptions } from '../../src/index.ts'
import { Harness, waitFor } from '../helpers/harness.ts'

const INTERVAL = 4_000
const SUSPECT_AFTER = 3
const MESH: NodeOptions = {
  discovery: { heartbeatIntervalMs: INTERVAL, suspectAfter: SUSPECT_AFTER, deadAfter: 6 },
}
/** Longer still where the bound is one interval: a loaded host stretches joining to seconds. */
const LONG_INTERVAL = 6_000
const LONG: NodeOptions = { discovery: { ...MESH.discovery, heartbeatIntervalMs: LONG_INTERVAL } }
const READ_ONLY = { annotations: { readOnlyHint: true } }
const servedBy = (r: { _meta?: Record<string, unknown> }): unknown => r._meta?.['cord/servedBy']

/** The peers `node` opens MCP streams to from now on (sessions, and the pulls of catalogs). */
function recordDials(node: CordNode): string[] {
  const dialled: string[] = []
  const libp2p = node.libp2p
  const dialProtocol = libp2p.dialProtocol.bind(libp2p)
  libp2p.dialProtocol = ((peer: PeerId, ...rest: unknown[]) => {
    dialled.push(peer.toString())
    return (dialProtocol as (...a: unknown[]) => ReturnType<typeof dialProtocol>)(peer, ...rest)
  }) as typeof libp2p.dialProtocol
  return dialled
}

/** Drops every tag `node` holds on `peer`, so that libp2p does not redial it. */
async function untag(node: CordNode, peer: CordNode): Promise<void> {
  const id = peer.libp2p.peerId
  const tags = [...(await node.libp2p.peerStore.get(id)).tags.keys()]
  await node.libp2p.peerStore.merge(id, { tags: Object.fromEntries(tags.map((t) => [t, undefined])) })
}

async function peerState(node: CordNode, peerId: string): Promise<string | undefined> {
  return (await node.peers()).find((p) => p.peerId === peerId)?.state
}

async function lastHeard(node: CordNode, peerId: string): Promise<string | undefined> {
  return (await node.peers()).find((p) => p.peerId === peerId)?.lastHeartbeat
}

describe('calls by name under churn', () => {
  const h = new Harness()
  afterAll(() => h.teardown())

  it('skips a provider whose connection closed at once, long before a heartbeat is missed', async () => {
    // The caller is connected to `first` alone (its bootstrap peer, and a target of one connection);
    // it reaches `second` by dialling. Both rank alike by load and RTT, and `first` comes first by alias.
    // One connection wanted everywhere: no node dials the caller on its own.
    const ONE: NodeOptions = { discovery: { ...MESH.discovery, targetConnections: 1 } }
    const hub = await h.spawn({ ...ONE, alias: 'hub' })
    const first = await h.spawn({ ...ONE, alias: 'a-first', bootstrap: [hub.multiaddrs[0]!] })
    const second = await h.spawn({ ...ONE, alias: 'b-second', bootstrap: [hub.multiaddrs[0]!] })
    for (const n of [first, second])
      n.registerTool('ro_lookup', READ_ONLY, () => ({ content: [{ type: 'text', text: n.alias }] }))
    const caller = await h.spawn({ ...ONE, alias: 'caller', bootstrap: [first.multiaddrs[0]!] })
    await waitFor(() => caller.catalog().find((t) => t.name === 'ro_lookup')?.providers.length === 2, 30_000)
    // The caller drops the connection the catalog pull opened to `second`; once `second` is heard
    // again, nothing but the missing connection tells the two apart.
    // (untagged first on both sides: kad-dht tags its closest peers keep-alive, and libp2p redials them)
    await untag(caller, second)
    await untag(second, caller)
    await caller.libp2p.hangUp(second.libp2p.peerId)
    await waitFor(() => caller.libp2p.getConnections(second.libp2p.peerId).length === 0, 30_000)
    const heard = await lastHeard(caller, second.peerId)
    await waitFor(async () => (await lastHeard(caller, second.peerId)) !== heard, 4 * INTERVAL)

    expect(servedBy(await caller.callTool(undefined, 'ro_lookup', {}))).toBe(first.peerId)
    const dialled = recordDials(caller)
    const stopped = Date.now()
    await first.stop()
    for (let i = 0; i < 3; i++) {
      const result = await caller.callTool(undefined, 'ro_lookup', {}, { timeout: 5_000 })
      expect(servedBy(result)).toBe(second.peerId)
    }
    // Well within one heartbeat interval, and the peer table has not noticed yet: the connection
    // closing did it. The stopped provider was not even tried.
    expect(Date.now() - stopped).toBeLessThan(INTERVAL)
    expect(await peerState(caller, first.peerId)).toBe('alive')
    expect(dialled).not.toContain(first.peerId)
  }, 90_000)

  it('routes to a new provider right after it joins, within one heartbeat interval', async () => {
    const caller = await h.spawn({ ...LONG, alias: 'caller2' })
    const started = Date.now()
    // Its tool is there before it starts: no registry change announces it early.
    const fresh = await createNode({
      ...LONG,
      alias: 'fresh',
      bootstrap: [caller.multiaddrs[0]!],
      listen: ['/ip4/127.0.0.1/tcp/0'],
      logLevel: 'silent',
    })
    h.nodes.push(fresh)
    fresh.registerTool('fresh_tool', READ_ONLY, () => ({ content: [{ type: 'text', text: 'new' }] }))
    await fresh.start()
    const result = await waitFor(
      () => caller.callTool(undefined, 'fresh_tool', {}, { timeout: 1_000 }).catch(() => undefined),
      4 * LONG_INTERVAL,
    )
    expect(servedBy(result)).toBe(fresh.peerId)
    // Its periodic heartbeat comes an interval after start; the one it publishes at start reaches
    // the caller through gossipsub's gossip (IHAVE/IWANT) about a second later, then the pull.
    expect(Date.now() - started).toBeLessThan(LONG_INTERVAL * 0.6)
  }, 60_000)

  it('never retries a tool’s own error on another provider', async () => {
    const caller = await h.spawn({ ...MESH, alias: 'caller3' })
    let runs = 0
    const providers = await Promise.all(
      ['err-a', 'err-b'].map((alias) => h.spawn({ ...MESH, alias, bootstrap: [caller.multiaddrs[0]!] })),
    )
    for (const n of providers)
      n.registerTool('failing_ro', READ_ONLY, () => {
        runs++
        throw new Error(`${n.alias} cannot`)
      })
    await waitFor(() => caller.catalog().find((t) => t.name === 'failing_ro')?.providers.length === 2, 30_000)
    const result = await caller.callTool(undefined, 'failing_ro', {}).catch((err: Error) => err)
    expect(runs).toBe(1)
    const failed = result instanceof Error || (result as { isError?: boolean }).isError === true
    expect(failed).toBe(true)
  }, 60_000)
})
