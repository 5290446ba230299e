/**
 * The metrics listener of real nodes: /metrics scraped and parsed with a Prometheus text parser
 * (call counters move by exactly the calls made, refusals by reason), /health and /ready, the
 * loopback rule and the default port's fallback.
 */
import { createServer, type Server } from 'node:net'
import { afterAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/config/load.ts'
import { DEFAULT_METRICS_LISTEN } from '../../src/constants.ts'
import { createNode } from '../../src/index.ts'
import { failure, Harness, waitFor } from '../helpers/harness.ts'
import { scrape } from '../helpers/prometheus.ts'

const FREE = { listen: '127.0.0.1:0' }
const N = 7

describe('metrics', () => {
  const h = new Harness()
  afterAll(() => h.teardown())

  it('counts N calls exactly, both ways, in the counter and the histogram', async () => {
    const b = await h.spawn({ alias: 'b', metrics: FREE })
    const a = await h.spawn({ alias: 'a', metrics: FREE, bootstrap: [b.multiaddrs[0]!] })
    await a.waitForPeers(1)
    await a.callTool(b.peerId, 'echo', { text: 'warm-up' })
    const out = { direction: 'out', tool: 'echo', outcome: 'ok' }
    const inn = { direction: 'in', tool: 'echo', outcome: 'ok' }
    const [a0, b0] = [await scrape(a.metricsUrl!), await scrape(b.metricsUrl!)]
    for (let i = 0; i < N; i++) await a.callTool(b.peerId, 'echo', { text: `call ${i}` })
    const [a1, b1] = [await scrape(a.metricsUrl!), await scrape(b.metricsUrl!)]
    expect(a1.value('cord_calls_total', out) - a0.value('cord_calls_total', out)).toBe(N)
    expect(b1.value('cord_calls_total', inn) - b0.value('cord_calls_total', inn)).toBe(N)
    const hist = { direction: 'out', tool: 'echo' }
    expect(a1.value('cord_call_duration_seconds', hist) - a0.value('cord_call_duration_seconds', hist)).toBe(
      N,
    )
    const served = { direction: 'in', tool: 'echo' }
    expect(
      b1.value('cord_call_duration_seconds', served) - b0.value('cord_call_duration_seconds', served),
    ).toBe(N)
    // The rest is there too: peers by state, heartbeats, sessions, and libp2p's own.
    expect(a1.value('cord_peers', { state: 'alive' })).toBe(1)
    expect(a1.value('cord_mcp_sessions', { direction: 'out' })).toBe(1)
    expect(b1.value('cord_mcp_sessions', { direction: 'in' })).toBe(1)
    expect(a1.value('cord_heartbeats_sent_total')).toBeGreaterThan(0)
    expect(a1.family('cord_heartbeats_received_total')?.type).toBe('COUNTER')
    expect(a1.families.some((f) => f.name.startsWith('libp2p_'))).toBe(true)
    // Gossipsub reports apart from libp2p's metrics component (observability/gossipsub.ts).
    expect(a1.family('gossipsub_mesh_peer_count')).toBeDefined()
    // No peer IDs in labels by default.
    expect(JSON.stringify(a1.families)).not.toContain(b.peerId)
  })

  it('counts refusals by reason', async () => {
    const server = await h.spawn({
      metrics: FREE,
      access: { rules: [{ peers: ['*'], tools: ['add'], action: 'deny' }] },
    })
    const caller = await h.spawn({ metrics: FREE, bootstrap: [server.multiaddrs[0]!] })
    await caller.waitForPeers(1)
    const denied = await failure(caller.callTool(server.peerId, 'add', { a: 1, b: 2 }))
    expect(denied.error.name).toBe('AccessDeniedError')
    const pinned = await failure(
      caller.callTool(server.peerId, 'echo', { text: 'x' }, { pin: 'f'.repeat(64) }),
    )
    expect(pinned.error.name).toBe('ToolChangedError')
    const s = await scrape(server.metricsUrl!)
    expect(s.value('cord_call_refusals_total', { reason: 'access' })).toBe(1)
    expect(s.value('cord_call_refusals_total', { reason: 'pin' })).toBe(1)
    expect(s.value('cord_call_refusals_total', { reason: 'rate' })).toBe(0)
    expect(s.value('cord_calls_total', { direction: 'in', tool: 'add', outcome: 'rejected' })).toBe(1)
    const c = await scrape(caller.metricsUrl!)
    expect(c.value('cord_calls_total', { direction: 'out', tool: 'add', outcome: 'rejected' })).toBe(1)
  })

  it('adds peer labels only when asked', async () => {
    const b = await h.spawn({ metrics: FREE })
    const a = await h.spawn({ metrics: { ...FREE, peerLabels: true }, bootstrap: [b.multiaddrs[0]!] })
    await a.waitForPeers(1)
    await a.callTool(b.peerId, 'echo', { text: 'x' })
    const s = await scrape(a.metricsUrl!)
    expect(s.value('cord_peer_calls_total', { direction: 'out', peer: b.peerId })).toBe(1)
    expect(s.value('cord_peer_state', { peer: b.peerId, state: 'alive' })).toBe(1)
  })
})

describe('health and readiness', () => {
  const h = new Harness()
  afterAll(() => h.teardown())

  it('is live at once; ready only once a bootstrap peer is connected', async () => {
    const target = await h.spawn({ metrics: FREE })
    // A bootstrap address where nothing listens (the peer ID is the target's: it never answers here).
    const nowhere = `/ip4/127.0.0.1/tcp/1/p2p/${target.peerId}`
    const node = await h.spawn({ metrics: FREE, bootstrap: [nowhere], redial: { minMs: 50, maxMs: 100 } })
    const base = node.metricsUrl!
    const health = await fetch(`${base}/health`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'ok', peerId: node.peerId })
    const notReady = await fetch(`${base}/ready`)
    expect(notReady.status).toBe(503)
    const report = (await notReady.json()) as { ready: boolean; checks: Array<{ name: string; ok: boolean }> }
    expect(report.ready).toBe(false)
    expect(report.checks).toContainEqual(expect.objectContaining({ name: 'peers', ok: false }))
    expect(report.checks).toContainEqual(expect.objectContaining({ name: 'listening', ok: true }))
    await node.connect(target.multiaddrs[0]!)
    await waitFor(async () => (await fetch(`${base}/ready`)).status === 200)
    // A node with no bootstrap peers is ready alone.
    expect((await fetch(`${target.metricsUrl}/ready`)).status).toBe(200)
  })

  it('is not ready while a hosted server has failed', async () => {
    const node = await h.spawn({
      metrics: FREE,
      servers: [
        { name: 'broken', command: process.execPath, args: ['-e', 'process.exit(3)'], maxRestarts: 0 },
      ],
    })
    await waitFor(() => node.status().upstreams[0]?.state === 'failed', 20_000)
    const res = await fetch(`${node.metricsUrl}/ready`)
    expect(res.status).toBe(503)
    expect(await res.json()).toMatchObject({
      ready: false,
      checks: expect.arrayContaining([expect.objectContaining({ name: 'servers', ok: false })]),
    })
    const s = await scrape(node.metricsUrl!)
    expect(s.value('cord_hosted_servers', { state: 'failed' })).toBe(1)
  })

  it('answers 404 for other paths and 405 for other methods', async () => {
    const node = await h.spawn({ metrics: FREE })
    expect((await fetch(`${node.metricsUrl}/nope`)).status).toBe(404)
    const post = await fetch(`${node.metricsUrl}/metrics`, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('GET, HEAD')
    const res = await fetch(`${node.metricsUrl}/metrics`)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/)
  })

  it('is off with enabled = false', async () => {
    const node = await h.spawn({ metrics: { enabled: false } })
    expect(node.metricsUrl).toBeUndefined()
    expect(node.status().metrics).toBeNull()
  })
})

describe('the metrics address', () => {
  const h = new Harness()
  let blocker: Server | undefined
  afterAll(async () => {
    await h.teardown()
    blocker?.close()
  })

  it('refuses a non-loopback address without allow_remote, naming the field', async () => {
    const err = await failure(createNode({ metrics: { listen: '0.0.0.0:0' } }))
    expect(err.error.name).toBe('ConfigError')
    expect(err.error.message).toMatch(/metrics\.listen/)
    expect(err.error.message).toMatch(/allowRemote/)
    expect(() => parseConfig('[metrics]\nlisten = "0.0.0.0:9464"\n', 'c.toml')).toThrow(/allow_remote/)
    expect(
      parseConfig('[metrics]\nlisten = "0.0.0.0:9464"\nallow_remote = true\n', 'c.toml').metrics,
    ).toMatchObject({
      allowRemote: true,
    })
  })

  it('falls back to a free port when the default one is taken, and fails on a chosen one', async () => {
    // Hold the default port (or find it held already by another node on this host).
    blocker = createServer()
    await new Promise<void>((resolve) => {
      blocker!.once('error', () => resolve())
      blocker!.listen(9464, '127.0.0.1', () => resolve())
    })
    const node = await h.spawn({})
    expect(node.options.metrics.listen).toBe(DEFAULT_METRICS_LISTEN)
    expect(node.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    expect(node.metricsUrl).not.toBe('http://127.0.0.1:9464')
    expect((await fetch(`${node.metricsUrl}/health`)).status).toBe(200)
    const taken = new URL(node.metricsUrl!).port
    const err = await failure(h.spawn({ metrics: { listen: `127.0.0.1:${taken}` } }))
    expect(err.error.name).toBe('ConfigError')
    expect(err.error.message).toMatch(/port is taken/)
  })
})
