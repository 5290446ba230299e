/**
 * Bad input against real nodes: each case gets a clear, named error, and the node serves afterwards.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type CordNode, MCP_PROTOCOL } from '../../src/index.ts'
import { failure, Harness, waitFor } from '../helpers/harness.ts'

const LIMIT = 64 * 1024

describe('bad input', () => {
  const h = new Harness()
  let server: CordNode
  let caller: CordNode
  let ran = 0

  beforeAll(async () => {
    server = await h.spawn({ mcp: { maxFrameBytes: LIMIT } })
    caller = await h.spawn({ bootstrap: [server.multiaddrs[0]!], mcp: { maxFrameBytes: LIMIT } })
    server.registerTool(
      'counted',
      { inputSchema: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } },
      () => {
        ran++
        return { content: [{ type: 'text', text: 'ran' }] }
      },
    )
    server.registerTool('huge', {}, () => ({ content: [{ type: 'text', text: 'x'.repeat(LIMIT * 2) }] }))
  })
  afterAll(() => h.teardown())

  const stillServes = async (): Promise<void> => {
    expect((await caller.callTool(server.peerId, 'echo', { text: 'alive' })).content).toEqual([
      { type: 'text', text: 'alive' },
    ])
  }

  it('an unknown peer fails fast, an unreachable one within the timeout, a bad peer ID at once', async () => {
    const stranger = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const unknown = await failure(caller.callTool(stranger, 'echo', { text: 'x' }, { timeout: 5_000 }))
    expect(unknown.error.name).toBe('PeerUnreachableError')
    expect(unknown.ms).toBeLessThan(5_000)

    const gone = await h.spawn()
    const goneId = gone.peerId
    await caller.callTool(goneId, 'echo', { text: 'x' }).catch(() => undefined) // no address known yet: fine
    await caller.libp2p.peerStore.merge(gone.libp2p.peerId, {
      multiaddrs: gone.libp2p.getMultiaddrs().map((m) => m.decapsulateCode(421)),
    })
    await gone.stop()
    const unreachable = await failure(caller.callTool(goneId, 'echo', { text: 'x' }, { timeout: 3_000 }))
    expect(unreachable.error.name).toMatch(/PeerUnreachableError|CallTimeoutError/)
    expect(unreachable.ms).toBeLessThan(4_500)

    expect((await failure(caller.callTool('not-a-peer-id', 'echo', {}))).error.name).toBe(
      'UnknownTargetError',
    )
    await stillServes()
  })

  it('an unknown tool, and arguments that fail the schema (the handler never runs)', async () => {
    expect((await failure(caller.callTool(server.peerId, 'nope', {}))).error.name).toBe('UnknownToolError')
    const invalid = await failure(caller.callTool(server.peerId, 'counted', { n: 'seven' }))
    expect(invalid.error.name).toBe('InvalidToolArgumentsError')
    expect(invalid.error.message).toMatch(/n must be integer/)
    expect(ran).toBe(0)
    await stillServes()
  })

  it('a result larger than the frame limit comes back as an error, not a hang', async () => {
    const tooBig = await failure(caller.callTool(server.peerId, 'huge', {}, { timeout: 5_000 }))
    expect(tooBig.error.name).toBe('RemoteRequestError')
    expect(tooBig.error.message).toMatch(/Result too large/)
    await stillServes()
  })

  describe('raw frames on /cord/mcp/1.0.0', () => {
    const open = async () => {
      const stream = await caller.libp2p.dialProtocol(server.libp2p.peerId, MCP_PROTOCOL)
      const lp = lpStream(stream, { maxDataLength: LIMIT * 4 })
      const write = (text: string) => lp.write(new TextEncoder().encode(text))
      const read = async () =>
        JSON.parse(
          new TextDecoder().decode((await lp.read({ signal: AbortSignal.timeout(5_000) })).subarray()),
        )
      return { stream, lp, write, read }
    }

    it('answers non-JSON with -32700, invalid JSON-RPC with -32600, an unknown method with -32601', async () => {
      const s = await open()
      await s.write('this is not json')
      expect(await s.read()).toMatchObject({ id: null, error: { code: -32700 } })
      await s.write('{"jsonrpc":"2.0","id":1,"method":{"not":"a string"}}')
      expect(await s.read()).toMatchObject({ id: 1, error: { code: -32600 } })
      await s.write('{"jsonrpc":"2.0","id":2,"method":"no/such/method"}')
      expect(await s.read()).toMatchObject({ id: 2, error: { code: -32601 } })
      await s.write('{"jsonrpc":"2.0","id":3,"method":"ping"}')
      expect(await s.read()).toMatchObject({ id: 3, result: {} })
      await s.stream.close()
      await stillServes()
    })

    it('resets the stream on an oversized frame, and on a flood of garbage', async () => {
      const s = await open()
      await s.lp.write(new Uint8Array(LIMIT + 1)).catch(() => undefined)
      await waitFor(() => s.stream.status !== 'open')
      const g = await open()
      for (let i = 0; i < 40; i++) await g.write(`garbage ${i}`).catch(() => undefined)
      await waitFor(() => g.stream.status !== 'open')
      await stillServes()
    })

    it('survives a stream that sends half a frame and goes away', async () => {
      const s = await open()
      s.stream.send(new Uint8Array([0x90, 0x03, 0x7b])) // declares 400 bytes, sends 1
      s.stream.abort(new Error('gone'))
      await stillServes()
    })
  })
})
