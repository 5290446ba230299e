/**
 * Property-based fuzzing of /cord/mcp/1.0.0 (fast-check): streams of malformed frames, oversized
 * frames, invalid JSON, invalid JSON-RPC and huge arguments. The node must stay up, keep serving,
 * close the sessions it was sent, and keep its memory bounded.
 */
import fc from 'fast-check'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CordNode, MCP_PROTOCOL } from '../../src/index.ts'
import { Harness, waitFor } from '../helpers/harness.ts'

const LIMIT = 64 * 1024

function varint(n: number): number[] {
  const out: number[] = []
  while (n >= 0x80) {
    out.push((n % 0x80) | 0x80)
    n = Math.floor(n / 0x80)
  }
  out.push(n)
  return out
}

const framed = (body: Uint8Array): Uint8Array => new Uint8Array([...varint(body.byteLength), ...body])
const text = (s: string): Uint8Array => framed(new TextEncoder().encode(s))

/** One chunk a hostile or broken peer might send. */
const chunk = fc.oneof(
  fc.uint8Array({ maxLength: 512 }), // raw bytes, no framing at all
  fc.string({ maxLength: 200 }).map(text), // a frame of (mostly) invalid JSON
  fc.json({ maxDepth: 3 }).map(text), // valid JSON, rarely JSON-RPC
  fc
    .record(
      {
        jsonrpc: fc.constantFrom('2.0', '1.0', 2),
        id: fc.oneof(fc.integer(), fc.string({ maxLength: 10 }), fc.constant(null), fc.object()),
        method: fc.oneof(
          fc.constantFrom('initialize', 'tools/list', 'tools/call', 'ping', 'resources/read', 'prompts/get'),
          fc.string({ maxLength: 20 }),
        ),
        params: fc.oneof(
          fc.anything({ maxDepth: 2 }),
          fc.record({ name: fc.constantFrom('echo', 'add'), arguments: fc.anything({ maxDepth: 2 }) }),
        ),
      },
      { requiredKeys: [] },
    )
    .map((m) => text(JSON.stringify(m))), // JSON-RPC-shaped, mostly invalid
  fc.integer({ min: LIMIT + 1, max: 1 << 30 }).map((n) => new Uint8Array([...varint(n), 0x7b])), // oversized length
  fc.integer({ min: 1, max: 3 }).map((k) =>
    text(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'echo', arguments: { text: 'y'.repeat(k * LIMIT) } },
      }),
    ),
  ), // huge arguments (over the frame limit)
  fc.constant(
    text(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'fuzz', version: '1' },
        },
      }),
    ),
  ),
)

describe('fuzzing /cord/mcp/1.0.0', () => {
  const h = new Harness()
  let server: CordNode
  let caller: CordNode
  beforeAll(async () => {
    server = await h.spawn({ mcp: { maxFrameBytes: LIMIT } })
    caller = await h.spawn({ bootstrap: [server.multiaddrs[0]!], mcp: { maxFrameBytes: LIMIT } })
  })
  afterAll(() => h.teardown())

  it('stays up, keeps serving and bounded under malformed, oversized and invalid input', async () => {
    const echo = async () =>
      expect((await caller.callTool(server.peerId, 'echo', { text: 'alive' })).content).toEqual([
        { type: 'text', text: 'alive' },
      ])
    await echo()
    const baseline = server.status().inboundSessions
    const heapBefore = process.memoryUsage().heapUsed
    let runs = 0
    await fc.assert(
      fc.asyncProperty(
        fc.array(chunk, { minLength: 1, maxLength: 12 }),
        fc.constantFrom('close', 'reset'),
        async (chunks, ending) => {
          const stream = await caller.libp2p.dialProtocol(server.libp2p.peerId, MCP_PROTOCOL)
          for (const c of chunks) {
            if (stream.status !== 'open') break
            try {
              if (!stream.send(c)) await stream.onDrain({ signal: AbortSignal.timeout(2_000) })
            } catch {
              break // the node reset the stream: that is an allowed answer
            }
          }
          if (ending === 'close') {
            // the peer ends its side: the node ends the stream once it has dealt with all it was sent
            await stream.close({ signal: AbortSignal.timeout(10_000) }).catch(() => undefined) // a reset by the node is an allowed answer
            await waitFor(() => stream.status !== 'open', 10_000)
          } else {
            // the peer vanishes, once every chunk has left it (a reset drops what has not)
            await waitFor(() => stream.status !== 'open' || stream.writeBufferLength === 0, 10_000)
            stream.abort(new Error('fuzz run over'))
          }
          if (++runs % 10 === 0) await echo()
        },
      ),
      { numRuns: 80, seed: Number(process.env.FUZZ_SEED ?? Date.now() % 100_000), verbose: 1 },
    )
    await echo()
    // every fuzzed session is gone, and the heap did not grow without bound
    await waitFor(() => server.status().inboundSessions <= baseline + 1, 10_000)
    const grown = process.memoryUsage().heapUsed - heapBefore
    expect(grown).toBeLessThan(256 * 1024 * 1024)
  })
})
