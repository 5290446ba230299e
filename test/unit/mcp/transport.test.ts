/**
 * The /cord/mcp/1.0.0 transport over real in-memory libp2p streams: framing, the SDK's Client and
 * Server over it, and what it does with malformed and oversized frames.
 */
import type { Stream } from '@libp2p/interface'
import { lpStream, streamPair } from '@libp2p/utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { describe, expect, it } from 'vitest'
import { decodeFrame, encodeMessage } from '../../../src/mcp/frame.ts'
import { StreamTransport } from '../../../src/mcp/stream-transport.ts'
import { waitFor } from '../../helpers/harness.ts'

const LIMIT = 1024

function echoServer(): Server {
  const server = new Server({ name: 't', version: '1' }, { capabilities: { tools: {} } })
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: [{ name: 'echo', inputSchema: { type: 'object' } }],
  }))
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const text = String(req.params.arguments?.text ?? '')
    await new Promise((r) => setTimeout(r, Number(req.params.arguments?.delay ?? 0)))
    return { content: [{ type: 'text', text: text === 'big' ? 'x'.repeat(LIMIT * 2) : text }] }
  })
  return server
}

/** A transport on one end of a stream pair, and a raw length-prefixed reader/writer on the other. */
async function rawPair(maxProtocolErrors?: number) {
  const [local, remote] = await streamPair()
  const transport = new StreamTransport(local, {
    maxFrameBytes: LIMIT,
    role: 'server',
    ...(maxProtocolErrors != null ? { maxProtocolErrors } : {}),
  })
  const received: unknown[] = []
  let closed = 0
  transport.onmessage = (m) => received.push(m)
  transport.onclose = () => closed++
  await transport.start()
  const raw = lpStream(remote as Stream, { maxDataLength: LIMIT * 4 })
  const readJson = async (): Promise<Record<string, unknown>> =>
    JSON.parse(new TextDecoder().decode((await raw.read()).subarray()))
  return { transport, remote, raw, readJson, received, closed: () => closed }
}

describe('frames', () => {
  it('round-trips a message and classifies bad payloads', () => {
    const message = { jsonrpc: '2.0' as const, id: 7, method: 'ping' }
    expect(decodeFrame(encodeMessage(message))).toEqual({ ok: true, message })
    expect(decodeFrame(new Uint8Array([0xff, 0xfe]))).toMatchObject({
      ok: false,
      error: { code: -32700, reply: true },
    })
    expect(decodeFrame(new TextEncoder().encode('{"a":'))).toMatchObject({
      ok: false,
      error: { code: -32700, id: null },
    })
    expect(decodeFrame(new TextEncoder().encode('{"id":3,"method":5}'))).toMatchObject({
      ok: false,
      error: { code: -32600, id: 3, reply: true },
    })
    // a malformed response is never answered: two peers must not trade errors forever
    expect(
      decodeFrame(new TextEncoder().encode('{"id":null,"error":{"code":1,"message":"x"}}')),
    ).toMatchObject({
      ok: false,
      error: { reply: false },
    })
  })
})

describe('StreamTransport', () => {
  it('carries an SDK Client and Server, with concurrent requests on one stream', async () => {
    const [a, b] = await streamPair()
    const server = echoServer()
    await server.connect(new StreamTransport(b, { maxFrameBytes: LIMIT, role: 'server' }))
    const client = new Client({ name: 'c', version: '1' })
    await client.connect(new StreamTransport(a, { maxFrameBytes: LIMIT, role: 'client' }))
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['echo'])
    // later requests finish first: responses are matched by id, not by order
    const results = await Promise.all(
      [30, 0, 15, 5].map((delay, i) =>
        client.callTool({ name: 'echo', arguments: { text: `m${i}`, delay } }),
      ),
    )
    expect(results.map((r) => (r.content as Array<{ text: string }>)[0]?.text)).toEqual([
      'm0',
      'm1',
      'm2',
      'm3',
    ])
    await client.close()
  })

  it('writes each message as an unsigned-varint length and UTF-8 JSON', async () => {
    const [local, remote] = await streamPair()
    const transport = new StreamTransport(local, { maxFrameBytes: LIMIT, role: 'client' })
    await transport.start()
    const chunks: Uint8Array[] = []
    remote.addEventListener('message', (evt) =>
      chunks.push((evt as unknown as { data: { subarray(): Uint8Array } }).data.subarray()),
    )
    const message = {
      jsonrpc: '2.0' as const,
      method: 'notifications/initialized',
      params: { text: 'é'.repeat(100) },
    }
    await transport.send(message)
    const json = new TextEncoder().encode(JSON.stringify(message))
    await waitFor(() => chunks.reduce((n, c) => n + c.length, 0) >= json.length + 2)
    const bytes = new Uint8Array(chunks.flatMap((c) => [...c]))
    // 275 bytes as an unsigned varint: 0x93 0x02 (low 7 bits first, high bit = more)
    expect(json.length).toBe(275)
    expect([...bytes.slice(0, 2)]).toEqual([0x93, 0x02])
    expect(bytes.slice(2)).toEqual(json)
  })

  it('answers a non-JSON frame with -32700 and invalid JSON-RPC with -32600, then keeps working', async () => {
    const { raw, readJson, received } = await rawPair()
    await raw.write(new TextEncoder().encode('not json'))
    expect(await readJson()).toMatchObject({ jsonrpc: '2.0', id: null, error: { code: -32700 } })
    await raw.write(new TextEncoder().encode('{"jsonrpc":"2.0","id":9,"method":42}'))
    expect(await readJson()).toMatchObject({ id: 9, error: { code: -32600 } })
    await raw.write(encodeMessage({ jsonrpc: '2.0', id: 1, method: 'ping' }))
    await waitFor(() => received.length === 1)
    expect(received[0]).toEqual({ jsonrpc: '2.0', id: 1, method: 'ping' })
  })

  it('resets the stream on a frame over the limit', async () => {
    const { transport, raw, remote, closed } = await rawPair()
    const errors: Error[] = []
    transport.onerror = (e) => errors.push(e)
    await raw.write(new Uint8Array(LIMIT + 1))
    await waitFor(() => closed() === 1)
    expect(errors.map((e) => e.name)).toContain('FrameTooLargeError')
    await waitFor(() => remote.status !== 'open')
    expect(transport.isClosed).toBe(true)
  })

  it('resets the stream after too many malformed frames', async () => {
    const { raw, readJson, closed } = await rawPair(2)
    for (let i = 0; i < 3; i++) await raw.write(new TextEncoder().encode('garbage'))
    await readJson()
    await readJson()
    await waitFor(() => closed() === 1)
  })

  it('refuses to send an oversized request, and turns an oversized result into an error response', async () => {
    const [a, b] = await streamPair()
    const server = echoServer()
    await server.connect(new StreamTransport(b, { maxFrameBytes: LIMIT, role: 'server' }))
    const client = new Client({ name: 'c', version: '1' })
    await client.connect(new StreamTransport(a, { maxFrameBytes: LIMIT, role: 'client' }))
    await expect(
      client.callTool({ name: 'echo', arguments: { text: 'y'.repeat(LIMIT) } }),
    ).rejects.toMatchObject({
      name: 'FrameTooLargeError',
    })
    await expect(client.callTool({ name: 'echo', arguments: { text: 'big' } })).rejects.toThrow(
      /Result too large/,
    )
    // the session is still fine
    expect((await client.callTool({ name: 'echo', arguments: { text: 'ok' } })).content).toEqual([
      { type: 'text', text: 'ok' },
    ])
  })

  it('closes once when the remote closes, and refuses to send afterwards', async () => {
    const { transport, remote, closed } = await rawPair()
    await remote.close()
    await waitFor(() => closed() === 1)
    await expect(transport.send({ jsonrpc: '2.0', method: 'x' })).rejects.toMatchObject({
      name: 'TransportClosedError',
    })
    await transport.close()
    expect(closed()).toBe(1)
  })
})
