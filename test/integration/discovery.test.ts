/**
 * An in-process mesh of 12 nodes: discovery by heartbeats and the DHT, calls by tool name and alias,
 * failover when a provider dies, a node that restarts, the bootstrap node dying, forged heartbeats.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_HEARTBEAT_REST_BUDGET, HEARTBEAT_TOPIC } from '../../src/constants.ts'
import { encodeHeartbeat } from '../../src/discovery/heartbeat.ts'
import type { CordNode, NodeOptions } from '../../src/index.ts'
import { failure, Harness, waitFor } from '../helpers/harness.ts'

// The default interval: a 12-node mesh in one process on two cores needs its time per hop.
const INTERVAL = 1_000
const DEAD_AFTER = 4
/** The longest period a node of this mesh announces: at rest, 12–13 nodes over the rest budget (4). */
const LONGEST_PERIOD = INTERVAL * Math.ceil(13 / DEFAULT_HEARTBEAT_REST_BUDGET)
const MESH: NodeOptions = {
  discovery: { heartbeatIntervalMs: INTERVAL, suspectAfter: 2, deadAfter: DEAD_AFTER, targetConnections: 4 },
  redial: { minMs: 100, maxMs: 500 },
}
const servedBy = (r: { _meta?: Record<string, unknown> }): unknown => r._meta?.['cord/servedBy']

describe('a mesh of 12 nodes', () => {
  const h = new Harness()
  const nodes: CordNode[] = []
  let boot: CordNode

  beforeAll(async () => {
    boot = await h.spawn({ ...MESH, alias: 'boot' })
    nodes.push(boot)
    for (let i = 1; i < 12; i++)
      nodes.push(await h.spawn({ ...MESH, alias: `n${i}`, bootstrap: [boot.multiaddrs[0]!] }))
    // every node hears every other one, and has pulled every catalog (the start-up churn is over)
    const settled = (n: CordNode): boolean =>
      n.catalog().find((t) => t.name === 'echo')?.providers.length === 12
    // a readiness wait, not a speed test (the bench measures settling): generous for a busy machine
    await waitFor(() => nodes.every(settled), 60_000)
  }, 120_000)
  afterAll(() => h.teardown())

  it('finds a new tool and calls it by name from every node within 3 heartbeat intervals', async () => {
    const provider = nodes[11]!
    // Intervals are counted on the provider's own heartbeat clock (one publish at once on the change,
    // then one per interval), so that a slow shared machine stretches both sides alike.
    const before = provider.status().discovery.published
    // Read-only, as such a tool would declare: a call that meets a session broken by the connection
    // churn of a forming mesh is then retried on a new one (this test is about discovery).
    provider.registerTool(
      'only_on_n11',
      { description: 'served by n11 alone', annotations: { readOnlyHint: true } },
      () => ({
        content: [{ type: 'text', text: 'n11 here' }],
      }),
    )
    await waitFor(
      () => nodes.slice(0, 11).every((n) => n.catalog().some((t) => t.name === 'only_on_n11')),
      30_000,
    )
    const intervals = provider.status().discovery.published - before - 1
    expect(intervals).toBeLessThanOrEqual(3)
    for (const node of nodes.slice(0, 11)) {
      const result = await node.callTool(undefined, 'only_on_n11', {})
      expect(result.content).toEqual([{ type: 'text', text: 'n11 here' }])
      expect(servedBy(result)).toBe(provider.peerId)
    }
    // and the DHT knows it too
    await waitFor(
      async () =>
        (await nodes[3]!.findTool('only_on_n11', { timeout: 2_000 })).some(
          (p) => p.peerId === provider.peerId,
        ),
      20_000,
    )
  })

  it('calls by alias, and refuses an unknown or ambiguous alias with the candidates', async () => {
    const result = await nodes[2]!.callTool('n7', 'echo', { text: 'by alias' })
    expect(servedBy(result)).toBe(nodes[7]!.peerId)
    expect((await failure(nodes[2]!.callTool('nobody', 'echo', {}))).error.name).toBe('UnknownTargetError')
    const twin = await h.spawn({ ...MESH, alias: 'n7', bootstrap: [nodes[1]!.multiaddrs[0]!] })
    await waitFor(() => nodes[2]!.status().discovery.peers === 12, 30_000)
    const ambiguous = await failure(nodes[2]!.callTool('n7', 'echo', { text: 'x' }))
    expect(ambiguous.error.name).toBe('AmbiguousAliasError')
    expect(ambiguous.error.message).toContain(twin.peerId)
    expect(ambiguous.error.message).toContain(nodes[7]!.peerId)
    await twin.stop()
  })

  it('calls a peer it never dialled, by peer ID, from what the mesh told it', async () => {
    const [caller, target] = [nodes[4]!, nodes[9]!]
    await caller.libp2p.hangUp(target.libp2p.peerId).catch(() => {})
    const result = await caller.callTool(target.peerId, 'echo', { text: 'found you' })
    expect(result.content).toEqual([{ type: 'text', text: 'found you' }])
  })

  it('marks a killed provider dead within the bound and fails over to another provider', async () => {
    const [a, b] = [nodes[5]!, nodes[6]!]
    for (const n of [a, b]) {
      n.registerTool('shared_ro', { annotations: { readOnlyHint: true } }, () => ({
        content: [{ type: 'text', text: n.alias }],
      }))
    }
    const caller = nodes[1]!
    await waitFor(() => caller.catalog().find((t) => t.name === 'shared_ro')?.providers.length === 2, 30_000)
    const stopped = Date.now()
    await a.stop()
    // dead after `deadAfter` of its announced periods (plus one for the tick that notices); the period
    // is the interval while the mesh changes, longer once it rests
    await waitFor(async () => (await peerState(caller, a.peerId)) === 'dead', 60_000)
    expect(Date.now() - stopped).toBeLessThanOrEqual((DEAD_AFTER + 2) * LONGEST_PERIOD)
    for (let i = 0; i < 5; i++) {
      const result = await caller.callTool(undefined, 'shared_ro', {})
      expect(servedBy(result)).toBe(b.peerId)
    }
  })

  it('takes a restarted node back, on a new port, within a few intervals', async () => {
    const dir = await h.tempDir()
    const first = await h.spawn({ ...MESH, dir, alias: 'phoenix', bootstrap: [nodes[2]!.multiaddrs[0]!] })
    first.registerTool('phoenix_tool', {}, () => ({ content: [{ type: 'text', text: 'risen' }] }))
    const caller = nodes[8]!
    await waitFor(() => caller.catalog().some((t) => t.name === 'phoenix_tool'), 30_000)
    await first.stop()
    await waitFor(async () => (await peerState(caller, first.peerId)) !== 'alive', 30_000)
    const again = await h.spawn({ ...MESH, dir, alias: 'phoenix', bootstrap: [nodes[3]!.multiaddrs[0]!] })
    again.registerTool('phoenix_tool', {}, () => ({ content: [{ type: 'text', text: 'risen again' }] }))
    expect(again.peerId).toBe(first.peerId)
    expect(again.multiaddrs[0]).not.toBe(first.multiaddrs[0])
    await waitFor(async () => (await peerState(caller, again.peerId)) === 'alive', 5 * INTERVAL + 5_000)
    await waitFor(async () => {
      const r = await caller
        .callTool('phoenix', 'phoenix_tool', {}, { timeout: 1_000 })
        .catch(() => undefined)
      return r?.content[0]?.type === 'text' && (r.content[0] as { text: string }).text === 'risen again'
    }, 30_000)
  })

  it("rejects forged heartbeats: another peer's ID, or a bad schema", async () => {
    const [forger, victim] = [nodes[10]!, nodes[3]!]
    const forged = encodeHeartbeat({
      v: 1,
      peerId: victim.peerId,
      alias: 'evil',
      addrs: [],
      seq: 1e9,
      load: { inflight: 0, capacity: 64 },
      uptimeMs: 1,
      version: 'x',
      tools: 0,
      digest: '0'.repeat(32),
    })
    await forger.libp2p.services.pubsub.publish(HEARTBEAT_TOPIC, forged)
    await forger.libp2p.services.pubsub.publish(
      HEARTBEAT_TOPIC,
      new TextEncoder().encode('{"v":2,"hello":"world"}'),
    )
    await forger.libp2p.services.pubsub.publish(HEARTBEAT_TOPIC, new TextEncoder().encode('not json'))
    const neighbours = nodes.filter(
      (n) => n !== forger && n.libp2p.getConnections(forger.libp2p.peerId).length > 0,
    )
    await waitFor(() => neighbours.some((n) => n.status().discovery.rejected['signer-mismatch'] > 0), 5_000)
    await waitFor(() => neighbours.some((n) => n.status().discovery.rejected.schema > 0), 5_000)
    await waitFor(() => neighbours.some((n) => n.status().discovery.rejected['not-json'] > 0), 5_000)
    // the victim's entry is untouched everywhere
    for (const n of nodes.filter((x) => x !== victim && x.status().state === 'running')) {
      expect((await n.peers()).find((p) => p.peerId === victim.peerId)?.alias).toBe('n3')
    }
  })

  it('carries on when the bootstrap node dies: a tool added afterwards still spreads', async () => {
    await boot.stop()
    const provider = nodes[9]!
    provider.registerTool('after_boot_died', {}, () => ({ content: [{ type: 'text', text: 'still here' }] }))
    const live = nodes.filter((n) => n.status().state === 'running' && n !== provider)
    await waitFor(() => live.every((n) => n.catalog().some((t) => t.name === 'after_boot_died')), 30_000)
    for (const n of live)
      expect((await n.callTool(undefined, 'after_boot_died', {})).content).toEqual([
        { type: 'text', text: 'still here' },
      ])
    // and a new node joins through any member
    const late = await h.spawn({ ...MESH, alias: 'late', bootstrap: [nodes[4]!.multiaddrs[0]!] })
    await waitFor(() => late.catalog().some((t) => t.name === 'after_boot_died'), 30_000)
  })
})

/** A peer's state in `node`'s peer table, as `node.peers()` reports it. */
async function peerState(node: CordNode, peerId: string): Promise<string | undefined> {
  return (await node.peers()).find((p) => p.peerId === peerId)?.state
}
