/**
 * Flow control on the calling side: the serving node advertises its per-peer limits when a session
 * opens, a calling node queues its calls within them (and retries refusals after `retryAfterMs`), and
 * a client that ignores the advertisement is still refused by the serving node.
 */
import { Writable } from 'node:stream'
import { setTimeout as sleep } from 'node:timers/promises'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { McpError } from '@modelcontextprotocol/sdk/types.js'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type CordNode, MCP_PROTOCOL } from '../../src/index.ts'
import { StreamTransport } from '../../src/mcp/stream-transport.ts'
import { Harness } from '../helpers/harness.ts'

/** A debug logger that counts the serving node's refusals by a limit. */
function refusalCounter(): { logger: pino.Logger; refused: () => number } {
  let refused = 0
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.includes('"call refused by a limit"')) refused++
      done()
    },
  })
  return { logger: pino({ level: 'debug' }, sink), refused: () => refused }
}

/** Registers `work` on `node`: a tool that holds each call for `ms` and records the most in flight at once. */
function concurrencyProbe(node: CordNode, ms: number) {
  const seen = { now: 0, max: 0, calls: 0 }
  node.registerTool(
    'work',
    { description: 'holds a call for a moment', inputSchema: { type: 'object' } },
    async () => {
      seen.now++
      seen.calls++
      seen.max = Math.max(seen.max, seen.now)
      await sleep(ms)
      seen.now--
      return { content: [{ type: 'text', text: 'done' }] }
    },
  )
  return seen
}

describe('flow control', () => {
  let h: Harness
  beforeEach(() => {
    h = new Harness()
  })
  afterEach(() => h.teardown())

  it('2,000 concurrent calls from one node all succeed against default limits, none refused', async () => {
    const counter = refusalCounter()
    const server = await h.spawn({ logger: counter.logger })
    const seen = concurrencyProbe(server, 2)
    const caller = await h.spawn({ bootstrap: [server.multiaddrs[0]!] })
    const results = await Promise.allSettled(
      Array.from({ length: 2000 }, () => caller.callTool(server.peerId, 'work', {}, { timeout: 60_000 })),
    )
    const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[]
    expect(failed.map((f) => (f.reason as Error).message).slice(0, 3)).toEqual([])
    expect(seen.calls).toBe(2000)
    // the default per-peer limit is 128 calls in flight: the caller kept to it
    expect(seen.max).toBeLessThanOrEqual(128)
    expect(seen.max).toBeGreaterThan(1)
    expect(counter.refused()).toBe(0)
  })

  it('calls beyond the node-wide limit (several callers) are refused, retried by the callers, and all succeed', async () => {
    const counter = refusalCounter()
    const server = await h.spawn({
      logger: counter.logger,
      limits: { ratePerSec: 1000, burst: 1000, maxConcurrentPerPeer: 20, maxConcurrent: 30 },
    })
    const seen = concurrencyProbe(server, 20)
    const callers = await Promise.all(
      Array.from({ length: 4 }, () => h.spawn({ bootstrap: [server.multiaddrs[0]!] })),
    )
    const results = await Promise.allSettled(
      callers.flatMap((c) =>
        Array.from({ length: 100 }, () => c.callTool(server.peerId, 'work', {}, { timeout: 60_000 })),
      ),
    )
    expect(results.filter((r) => r.status === 'rejected')).toEqual([])
    expect(seen.calls).toBe(400)
    expect(seen.max).toBeLessThanOrEqual(30)
    // 4 callers × 20 advertised > 30: the node refused some, and the callers retried them
    expect(counter.refused()).toBeGreaterThan(0)
  })

  it('a call queued behind a full window ends at its own deadline', async () => {
    const server = await h.spawn({ limits: { maxConcurrentPerPeer: 1 } })
    concurrencyProbe(server, 1_500)
    const caller = await h.spawn({ bootstrap: [server.multiaddrs[0]!] })
    const first = caller.callTool(server.peerId, 'work', {}, { timeout: 30_000 })
    const queued = await caller.callTool(server.peerId, 'work', {}, { timeout: 300 }).then(
      () => undefined,
      (err: Error) => err,
    )
    expect(queued?.name).toBe('CallTimeoutError')
    await first
    const aborted = new AbortController()
    const blocker = caller.callTool(server.peerId, 'work', {}, { timeout: 30_000 })
    const waiting = caller.callTool(server.peerId, 'work', {}, { signal: aborted.signal }).then(
      () => undefined,
      (err: Error) => err,
    )
    aborted.abort(new Error('the caller gave up'))
    expect((await waiting)?.message).toBe('the caller gave up')
    await blocker
  })

  it('a raw MCP client sees the advertised limits, and one that ignores them is refused with retryAfterMs', async () => {
    const server = await h.spawn({ limits: { maxConcurrentPerPeer: 8, ratePerSec: 1000, burst: 1000 } })
    concurrencyProbe(server, 200)
    const caller = await h.spawn({ bootstrap: [server.multiaddrs[0]!] })
    const stream = await caller.libp2p.dialProtocol(server.libp2p.peerId, MCP_PROTOCOL)
    const client = new Client({ name: 'raw', version: '1' })
    await client.connect(new StreamTransport(stream, { maxFrameBytes: 1 << 20, role: 'client' }))
    expect(client.getServerCapabilities()?.experimental?.['cord/flow']).toEqual({
      maxConcurrent: 8,
      ratePerSec: 1000,
      burst: 1000,
    })
    const results = await Promise.allSettled(
      Array.from({ length: 40 }, () => client.callTool({ name: 'work', arguments: {} })),
    )
    const refused = results.filter((r) => r.status === 'rejected').map((r) => r.reason as McpError)
    expect(results.filter((r) => r.status === 'fulfilled').length).toBeGreaterThanOrEqual(8)
    expect(refused.length).toBeGreaterThan(0)
    for (const err of refused) {
      expect(err.code).toBe(-32053)
      expect(err.data).toMatchObject({ error: 'RateLimitedError', retryAfterMs: expect.any(Number) })
    }
    await client.close()
  })
})
