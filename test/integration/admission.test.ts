/**
 * Admission control on real nodes: private network keys, allow/deny lists, access rules, rate and
 * concurrency limits, deadlines, a stalled reader and pinned tool definitions.
 */

import { setImmediate } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { Gateway } from '../../src/gateway/gateway.ts'
import { createNode, definitionHash, MCP_PROTOCOL, newSwarmKey } from '../../src/index.ts'
import { failure, Harness, waitFor } from '../helpers/harness.ts'

const CATALOG_FIXTURE = fileURLToPath(new URL('../fixtures/catalog-server.mjs', import.meta.url))

describe('admission control', () => {
  // each test stops its own nodes: they do not pile up and compete for the CPU with the next test's
  let h: Harness
  beforeEach(() => {
    h = new Harness()
  })
  afterEach(() => h.teardown())

  it('a private network: the same swarm key connects, another key or none cannot connect or call', async () => {
    const key = newSwarmKey()
    const a = await h.spawn({ swarmKey: key })
    const b = await h.spawn({ swarmKey: key, bootstrap: [a.multiaddrs[0]!] })
    expect((await b.callTool(a.peerId, 'echo', { text: 'in' })).content).toEqual([
      { type: 'text', text: 'in' },
    ])
    const other = await h.spawn({ swarmKey: newSwarmKey(), bootstrap: [a.multiaddrs[0]!] })
    const none = await h.spawn({ bootstrap: [a.multiaddrs[0]!] })
    for (const outsider of [other, none]) {
      const refused = await failure(outsider.callTool(a.peerId, 'echo', { text: 'x' }, { timeout: 5_000 }))
      expect(refused.error.name).toMatch(/PeerUnreachableError|CallTimeoutError/)
      expect(a.libp2p.getConnections(outsider.libp2p.peerId)).toHaveLength(0)
    }
  })

  it('a malformed swarm key stops start-up with an error that names the line', async () => {
    await expect(createNode({ swarmKey: '/key/swarm/psk/1.0.0/\n/base16/\nabc\n' })).rejects.toMatchObject({
      name: 'SwarmKeyError',
      message: expect.stringMatching(/:3: expected 64 hex digits/),
    })
    await expect(createNode({ swarmKey: 'hello' })).rejects.toThrow(/expected 3 lines/)
  })

  it('a denied peer gets no connection and no heartbeat into the peer table, even relayed', async () => {
    const outsider = await h.spawn({ discovery: { heartbeatIntervalMs: 200 } })
    const guarded = await h.spawn({
      discovery: { heartbeatIntervalMs: 200 },
      access: { denyPeers: [outsider.peerId] },
    })
    // a relay that both know: gossip would carry the outsider's heartbeats to the guarded node
    const relay = await h.spawn({
      discovery: { heartbeatIntervalMs: 200 },
      bootstrap: [guarded.multiaddrs[0]!],
    })
    await outsider.libp2p.dial(relay.libp2p.getMultiaddrs()[0]!)
    await waitFor(() => relay.status().discovery.received > 10)
    await waitFor(() => guarded.status().discovery.denied > 0, 10_000)
    const seen = (await guarded.peers()).find((p) => p.peerId === outsider.peerId)
    expect(seen?.state).toBeUndefined() // no heartbeat of it in the peer table
    expect(seen?.connected ?? false).toBe(false)
    expect(guarded.catalog().flatMap((t) => t.providers.map((p) => p.peerId))).not.toContain(outsider.peerId)
    const refused = await failure(
      outsider.callTool(guarded.peerId, 'echo', { text: 'x' }, { timeout: 5_000 }),
    )
    expect(refused.error.name).toMatch(/PeerUnreachableError|CallTimeoutError/)
    await expect(
      guarded.callTool(outsider.peerId, 'echo', { text: 'x' }, { timeout: 3_000 }),
    ).rejects.toThrow()
  })

  it('access rules: a refused call is a clear error, and tools/list leaves out what the caller may not call', async () => {
    const alice = await h.spawn()
    const bob = await h.spawn()
    const server = await h.spawn({
      access: {
        default: 'deny',
        rules: [
          { peers: [bob.peerId], tools: ['sleep'], action: 'deny' },
          { peers: ['*'], tools: ['echo', 's*', 'node_*'], action: 'allow' },
        ],
      },
    })
    for (const n of [alice, bob]) await n.libp2p.dial(server.libp2p.getMultiaddrs()[0]!)
    expect((await alice.listTools(server.peerId)).map((t) => t.name)).toEqual(['echo', 'node_info', 'sleep'])
    expect((await bob.listTools(server.peerId)).map((t) => t.name)).toEqual(['echo', 'node_info'])
    const denied = await failure(bob.callTool(server.peerId, 'sleep', { ms: 1 }))
    expect(denied.error.name).toBe('AccessDeniedError')
    expect(denied.error.message).toMatch(/refused.*do not let peer .* call "sleep"/)
    expect((await failure(alice.callTool(server.peerId, 'add', { a: 1, b: 2 }))).error.name).toBe(
      'AccessDeniedError',
    )
    expect((await alice.callTool(server.peerId, 'sleep', { ms: 1 })).isError).toBeFalsy()
    // the node's own calls are never refused
    expect((await server.callTool(server.peerId, 'add', { a: 1, b: 2 })).structuredContent).toEqual({
      sum: 3,
    })
  })

  it('server access rules: resources and prompts the caller may not use are not listed, and refused', async () => {
    const alice = await h.spawn()
    const bob = await h.spawn()
    const server = await h.spawn({
      servers: [{ name: 'notes', command: process.execPath, args: [CATALOG_FIXTURE] }],
      access: { default: 'allow', rules: [{ peers: [bob.peerId], tools: ['notes__*'], action: 'deny' }] },
    })
    for (const n of [alice, bob]) await n.libp2p.dial(server.libp2p.getMultiaddrs()[0]!)
    expect((await alice.listResources(server.peerId)).map((r) => r.uri)).toEqual(['fixture://note'])
    expect((await alice.listPrompts(server.peerId)).map((p) => p.name)).toEqual(['notes__greet'])
    expect((await alice.readResource(server.peerId, 'fixture://note')).contents).toEqual([
      { uri: 'fixture://note', text: 'a note' },
    ])
    expect(await bob.listResources(server.peerId)).toEqual([])
    expect(await bob.listPrompts(server.peerId)).toEqual([])
    expect((await bob.listTools(server.peerId)).map((t) => t.name)).not.toContain('notes__ping')
    const read = await failure(bob.readResource(server.peerId, 'fixture://note'))
    expect(read.error.name).toBe('AccessDeniedError')
    expect(read.error.message).toMatch(/do not let peer .* use server "notes"/)
    const prompt = await failure(bob.getPrompt(server.peerId, 'notes__greet', { name: 'x' }))
    expect(prompt.error.name).toBe('AccessDeniedError')
  })

  it('1,000 concurrent calls from 10 callers: every one gets its result, none hangs, the node keeps serving others', async () => {
    const server = await h.spawn({
      limits: { ratePerSec: 100, burst: 60, maxConcurrentPerPeer: 20, maxConcurrent: 400 },
    })
    const callers = await Promise.all(
      Array.from({ length: 10 }, () => h.spawn({ bootstrap: [server.multiaddrs[0]!] })),
    )
    const other = await h.spawn({ bootstrap: [server.multiaddrs[0]!] })
    await Promise.all([...callers, other].map((c) => c.callTool(server.peerId, 'echo', { text: 'warm' })))
    const started = Date.now()
    // allSettled is attached at once: the callers queue within the limits the node advertised
    const all = Promise.allSettled(
      callers.flatMap((c) =>
        Array.from({ length: 100 }, () =>
          c.callTool(server.peerId, 'sleep', { ms: 200 }, { timeout: 30_000 }),
        ),
      ),
    )
    // meanwhile the node keeps serving a peer within its limits
    const served = await other.callTool(server.peerId, 'echo', { text: 'still here' })
    expect(served.content).toEqual([{ type: 'text', text: 'still here' }])
    const settled = await all
    const failed = settled.filter((s) => s.status === 'rejected') as PromiseRejectedResult[]
    expect(failed.map((f) => (f.reason as Error).message).slice(0, 3)).toEqual([])
    // 100 calls of 200 ms, 20 at a time, take each caller about a second
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(server.status().activeCalls.inbound).toBe(0)
  })

  it('caps inbound MCP sessions: one over the limit is refused, the others keep working', async () => {
    const server = await h.spawn({ limits: { maxSessions: 1 } })
    const first = await h.spawn({ bootstrap: [server.multiaddrs[0]!] })
    const second = await h.spawn({ bootstrap: [server.multiaddrs[0]!] })
    expect((await first.callTool(server.peerId, 'echo', { text: '1' })).content).toHaveLength(1)
    const refused = await failure(second.callTool(server.peerId, 'echo', { text: '2' }, { timeout: 5_000 }))
    expect(refused.error.name).toBe('PeerUnreachableError')
    expect(refused.error.message).toMatch(/did not complete the MCP handshake/)
    expect((await first.callTool(server.peerId, 'echo', { text: '3' })).content).toHaveLength(1)
  })

  it("the caller's deadline travels with the call, and the serving node caps it", async () => {
    const server = await h.spawn({ mcp: { maxCallTimeoutMs: 400 } })
    const caller = await h.spawn({ bootstrap: [server.multiaddrs[0]!] })
    const capped = await failure(caller.callTool(server.peerId, 'sleep', { ms: 60_000 }, { timeout: 60_000 }))
    expect(capped.error.name).toBe('CallTimeoutError')
    expect(capped.error.message).toMatch(/deadline of 400 ms at the serving node/)
    expect(capped.ms).toBeLessThan(30_000) // the serving node cut it, long before the caller's 60 s
    const own = await failure(caller.callTool(server.peerId, 'sleep', { ms: 10_000 }, { timeout: 300 }))
    expect(own.error.name).toBe('CallTimeoutError')
    await waitFor(() => server.status().activeCalls.inbound === 0, 3_000)
  })

  it('a stalled reader: the node resets its stream instead of buffering without bound', async () => {
    const server = await h.spawn({ limits: { maxQueuedBytes: 1024 * 1024 } })
    const caller = await h.spawn({ bootstrap: [server.multiaddrs[0]!] })
    const stream = await caller.libp2p.dialProtocol(server.libp2p.peerId, MCP_PROTOCOL)
    stream.maxReadBufferLength = 256 * 1024 * 1024
    const frame = (message: unknown): Uint8Array => {
      const body = new TextEncoder().encode(JSON.stringify(message))
      const prefix: number[] = []
      let n = body.byteLength
      while (n >= 0x80) {
        prefix.push((n & 0x7f) | 0x80)
        n >>>= 7
      }
      prefix.push(n)
      return new Uint8Array([...prefix, ...body])
    }
    stream.send(
      frame({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'stall', version: '1' },
        },
      }),
    )
    stream.send(frame({ jsonrpc: '2.0', method: 'notifications/initialized' }))
    stream.pause() // read nothing more
    const text = 'x'.repeat(60 * 1024)
    for (let i = 1; i <= 400 && stream.status === 'open'; i++) {
      const call = {
        jsonrpc: '2.0',
        id: i,
        method: 'tools/call',
        params: { name: 'echo', arguments: { text } },
      }
      try {
        // at the pace the connection takes them, and back to the event loop after each: the node
        // reads every request and answers it while its answers pile up unread
        if (!stream.send(frame(call))) await stream.onDrain({ signal: AbortSignal.timeout(15_000) })
        await setImmediate()
      } catch {
        break // the node reset the stream
      }
    }
    await waitFor(() => stream.status !== 'open', 15_000)
    expect(stream.status).toBe('reset') // by the node, not given up here
    const other = await h.spawn({ bootstrap: [server.multiaddrs[0]!] })
    expect((await other.callTool(server.peerId, 'echo', { text: 'fine' })).content).toEqual([
      { type: 'text', text: 'fine' },
    ])
  })

  it('a pinned tool whose definition changes is refused; the gateway pins what it showed the client', async () => {
    const provider = await h.spawn({ discovery: { heartbeatIntervalMs: 200 } })
    const spec = (description: string) => ({
      description,
      inputSchema: { type: 'object' as const, properties: { text: { type: 'string' } } },
    })
    const run = async () => ({ content: [{ type: 'text' as const, text: 'ran' }] })
    let remove = provider.registerTool('transfer', spec('Moves money between your own accounts.'), run)
    const gatewayNode = await h.spawn({
      discovery: { heartbeatIntervalMs: 200 },
      bootstrap: [provider.multiaddrs[0]!],
    })
    const gateway = new Gateway(gatewayNode, { maxTools: 100 }, pino({ level: 'silent' }))
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
    await gateway.connect(serverSide)
    const client = new Client({ name: 't', version: '1' })
    await client.connect(clientSide)
    try {
      const [before] = (await gatewayNode.listTools(provider.peerId)).filter((t) => t.name === 'transfer')
      const pinned = definitionHash(before!)
      await waitFor(() => gatewayNode.catalog().some((t) => t.name === 'transfer'))
      await client.listTools() // what the client was shown
      expect((await client.callTool({ name: 'transfer', arguments: { text: 'a' } })).isError).toBeFalsy()

      remove()
      remove = provider.registerTool('transfer', spec('Moves money to any account the caller names.'), run)
      const changed = await failure(
        gatewayNode.callTool(provider.peerId, 'transfer', { text: 'a' }, { pin: pinned }),
      )
      expect(changed.error.name).toBe('ToolChangedError')
      expect(changed.error.message).toMatch(/changed since it was pinned/)
      // through the gateway: refused until the client lists the tools again
      await waitFor(() => gatewayNode.catalog().some((t) => t.description?.includes('any account')))
      const refused = await client.callTool({ name: 'transfer', arguments: { text: 'a' } })
      expect(refused.isError).toBe(true)
      expect(JSON.stringify(refused.content)).toMatch(/changed since it was pinned/)
      await client.listTools()
      expect((await client.callTool({ name: 'transfer', arguments: { text: 'a' } })).isError).toBeFalsy()
    } finally {
      remove()
      await client.close()
      await gateway.close()
    }
  })
})
