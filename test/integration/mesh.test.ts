/**
 * Three real nodes on 127.0.0.1: calls both ways, concurrency on one session, cancellation, a remote
 * that restarts, keep-alive, and graceful stop.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CordNode } from '../../src/index.ts'
import { failure, Harness, waitFor } from '../helpers/harness.ts'

describe('a mesh of three nodes', () => {
  const h = new Harness()
  let a: CordNode
  let b: CordNode
  let c: CordNode

  beforeAll(async () => {
    a = await h.spawn({ alias: 'a' })
    ;[b, c] = await Promise.all([
      h.spawn({ alias: 'b', bootstrap: [a.multiaddrs[0]!] }),
      h.spawn({ alias: 'c', bootstrap: [a.multiaddrs[0]!] }),
    ])
    await waitFor(() => a.libp2p.getConnections().length === 2)
  })
  afterAll(() => h.teardown())

  it('calls both ways, including a tool registered through the API', async () => {
    const unregister = a.registerTool(
      'shout',
      {
        description: 'Upper-cases text',
        inputSchema: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'] },
      },
      async (args, { caller }) => ({
        content: [{ type: 'text', text: `${String(args.text).toUpperCase()} from ${caller}` }],
      }),
    )
    expect(await b.callTool(a.peerId, 'shout', { text: 'hi' }, { timeout: 5000 })).toEqual({
      content: [{ type: 'text', text: `HI from ${b.peerId}` }],
      _meta: { 'cord/servedBy': a.peerId },
    })
    expect((await a.callTool(b.peerId, 'echo', { text: 'back' })).content).toEqual([
      { type: 'text', text: 'back' },
    ])
    expect((await a.callTool(c.peerId, 'add', { a: 1, b: 2 })).structuredContent).toEqual({ sum: 3 })
    expect((await c.listTools(a.peerId)).map((t) => t.name)).toContain('shout')
    unregister()
    expect((await c.listTools(a.peerId)).map((t) => t.name)).not.toContain('shout')
  })

  it('runs 50 concurrent calls over one session', async () => {
    const before = a.status().inboundSessions
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => c.callTool(a.peerId, 'echo', { text: `n${i}` })),
    )
    expect(results.map((r) => (r.content[0] as { text: string }).text)).toEqual(
      Array.from({ length: 50 }, (_, i) => `n${i}`),
    )
    expect(c.status().outboundSessions).toBe(1)
    expect(a.status().inboundSessions).toBeLessThanOrEqual(Math.max(before, 2))
    // and again: no new session
    await Promise.all(Array.from({ length: 20 }, () => c.callTool(a.peerId, 'echo', { text: 'x' })))
    expect(a.status().inboundSessions).toBeLessThanOrEqual(Math.max(before, 2))
  })

  it('cancels a call at the remote when the caller aborts', async () => {
    let remoteAborted = false
    a.registerTool(
      'hang',
      {},
      (_args, { signal }) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            remoteAborted = true
            resolve({ content: [] })
          })
        }),
    )
    const controller = new AbortController()
    const call = b.callTool(a.peerId, 'hang', {}, { signal: controller.signal })
    await waitFor(() => a.status().activeCalls.inbound === 1)
    controller.abort(new Error('user gave up'))
    await expect(call).rejects.toThrow('user gave up')
    await waitFor(() => remoteAborted)
    const timedOut = await failure(b.callTool(a.peerId, 'sleep', { ms: 10_000 }, { timeout: 200 }))
    expect(timedOut.error.name).toBe('CallTimeoutError')
    expect(timedOut.ms).toBeLessThan(5_000)
  })

  it('re-establishes a broken session when the remote restarts with the same identity', async () => {
    const dir = await h.tempDir()
    const first = await h.spawn({ dir, alias: 'r' })
    const port = first.multiaddrs[0]!.split('/')[4]!
    const peerId = first.peerId
    const caller = await h.spawn({ bootstrap: [first.multiaddrs[0]!], redial: { minMs: 50, maxMs: 200 } })
    expect((await caller.callTool(peerId, 'echo', { text: 'one' })).content).toEqual([
      { type: 'text', text: 'one' },
    ])
    await first.stop()
    const down = await failure(caller.callTool(peerId, 'echo', { text: 'x' }, { timeout: 3000 }))
    expect(down.error.name).toMatch(/PeerUnreachableError|SessionClosedError/)
    const again = await h.spawn({ dir, alias: 'r', listen: [`/ip4/127.0.0.1/tcp/${port}`] })
    expect(again.peerId).toBe(peerId)
    // keep-alive redials the bootstrap peer by itself
    await waitFor(() => caller.libp2p.getConnections(again.libp2p.peerId).length > 0)
    expect((await caller.callTool(peerId, 'echo', { text: 'two' })).content).toEqual([
      { type: 'text', text: 'two' },
    ])
  })

  it('stops gracefully: a call within the grace period finishes, a longer one fails clearly', async () => {
    const server = await h.spawn({ shutdownGraceMs: 500 })
    const caller = await h.spawn({ bootstrap: [server.multiaddrs[0]!] })
    const quick = caller.callTool(server.peerId, 'sleep', { ms: 200 })
    const slow = failure(caller.callTool(server.peerId, 'sleep', { ms: 20_000 }))
    await waitFor(() => server.status().activeCalls.inbound === 2)
    const started = Date.now()
    await server.stop()
    expect(Date.now() - started).toBeLessThan(5_000)
    expect((await quick).content).toEqual([{ type: 'text', text: 'slept 200 ms' }])
    expect((await slow).error.name).toBe('NodeStoppingError')
    await expect(server.callTool(caller.peerId, 'echo', { text: 'x' })).rejects.toMatchObject({
      name: 'NodeStoppingError',
    })
    await server.stop()
  })
})
