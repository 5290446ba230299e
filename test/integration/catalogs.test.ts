/**
 * Signed catalog records on real nodes (see protocols/catalog.md): a change is seen everywhere with
 * no pulls, a late joiner gets every catalog from a neighbour, forged records are rejected and
 * counted, and tools the access rules hide stay hidden from peers that may not see them.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CATALOG_TOPIC } from '../../src/constants.ts'
import { signRecord } from '../../src/discovery/catalog-record.ts'
import type { CordNode, NodeOptions } from '../../src/index.ts'
import { Harness, waitFor } from '../helpers/harness.ts'

const MESH: NodeOptions = {
  discovery: { heartbeatIntervalMs: 500, targetConnections: 1 },
  redial: { minMs: 100, maxMs: 500 },
}
const has = (n: CordNode, tool: string, provider?: CordNode): boolean =>
  n
    .catalog()
    .some(
      (t) => t.name === tool && (provider == null || t.providers.some((p) => p.peerId === provider.peerId)),
    )
const catalogs = (n: CordNode) => n.status().discovery.catalogs
const pulls = (n: CordNode) => n.status().discovery.pulls

describe('catalog records', () => {
  const h = new Harness()
  const nodes: CordNode[] = []

  beforeAll(async () => {
    // a chain: each node bootstraps to the one before it, so the last is far from the first
    for (let i = 0; i < 4; i++)
      nodes.push(
        await h.spawn({ ...MESH, alias: `c${i}`, bootstrap: i > 0 ? [nodes[i - 1]!.multiaddrs[0]!] : [] }),
      )
    await waitFor(
      () => nodes.every((n) => n.catalog().find((t) => t.name === 'echo')?.providers.length === 4),
      60_000,
    )
  }, 90_000)
  afterAll(() => h.teardown())

  it('a new tool reaches every node by its record, with no pull over MCP', async () => {
    const before = nodes.map((n) => pulls(n).ok + pulls(n).failed)
    nodes[0]!.registerTool('fresh_tool', { description: 'new on c0' }, () => ({ content: [] }))
    await waitFor(() => nodes.slice(1).every((n) => has(n, 'fresh_tool', nodes[0])), 20_000)
    expect(nodes.map((n) => pulls(n).ok + pulls(n).failed)).toEqual(before)
    expect(catalogs(nodes[3]!).received).toBeGreaterThan(0)
  })

  it('a late joiner gets every catalog from its neighbour, pulling from no provider', async () => {
    const late = await h.spawn({ ...MESH, alias: 'late', bootstrap: [nodes[3]!.multiaddrs[0]!] })
    await waitFor(() => late.catalog().find((t) => t.name === 'echo')?.providers.length === 5, 30_000)
    expect(has(late, 'fresh_tool', nodes[0])).toBe(true)
    expect(pulls(late)).toEqual({ ok: 0, failed: 0 })
    expect(catalogs(late).fallbackPulls).toBe(0)
    expect(catalogs(late).fetched).toBeGreaterThanOrEqual(4)
  })

  it('rejects and counts a forged record: signed by another key, or sent by a peer it does not name', async () => {
    const [forger, victim] = [nodes[2]!, nodes[1]!]
    const pubsub = forger.libp2p.services.pubsub
    const stranger = await generateKeyPair('Ed25519')
    const forged = await signRecord(
      { v: 1, peerId: nodes[0]!.peerId, digest: '0'.repeat(32), seq: Date.now() + 1e9, tools: [] },
      stranger,
    )
    const before = catalogs(victim).rejected
    // the forger's own peer ID with a stranger's signature; and node c0's record sent by the forger
    const ownName = await signRecord(
      { v: 1, peerId: forger.peerId, digest: '0'.repeat(32), seq: Date.now() + 1e9, tools: [] },
      stranger,
    )
    await pubsub.publish(CATALOG_TOPIC, ownName.bytes)
    await pubsub.publish(CATALOG_TOPIC, forged.bytes)
    await waitFor(() => {
      const r = catalogs(victim).rejected
      return r.signature > before.signature && r['signer-mismatch'] > before['signer-mismatch']
    }, 10_000)
    expect(has(victim, 'fresh_tool', nodes[0])).toBe(true)
    expect(has(victim, 'echo', forger)).toBe(true)
  })
})

describe('catalog records and access rules', () => {
  const h = new Harness()
  afterAll(() => h.teardown())

  it('a restricted tool reaches only the peer allowed to see it; a hidden one reaches nobody', async () => {
    const allowed = await h.spawn({ ...MESH, alias: 'allowed' })
    const provider = await h.spawn({
      ...MESH,
      alias: 'provider',
      bootstrap: [allowed.multiaddrs[0]!],
      access: {
        rules: [
          { peers: [allowed.peerId], tools: ['secret'], action: 'allow' },
          { peers: ['*'], tools: ['secret', 'hidden'], action: 'deny' },
        ],
      },
    })
    const other = await h.spawn({ ...MESH, alias: 'other', bootstrap: [allowed.multiaddrs[0]!] })
    provider.registerTool('secret', { description: 'for one peer' }, () => ({ content: [] }))
    provider.registerTool('hidden', { description: 'for nobody' }, () => ({ content: [] }))
    provider.registerTool('open_tool', { description: 'for all' }, () => ({ content: [] }))
    await waitFor(() => has(allowed, 'secret', provider) && has(other, 'open_tool', provider), 30_000)
    // the other peer has the provider's record, and it does not list the restricted tools
    await waitFor(() => catalogs(other).held >= 3, 10_000)
    expect(has(other, 'secret')).toBe(false)
    expect(has(other, 'hidden')).toBe(false)
    expect(has(allowed, 'hidden')).toBe(false)
    // the peer allowed to see more pulled its own list from the provider
    expect(pulls(allowed).ok).toBeGreaterThan(0)
  }, 60_000)
})
