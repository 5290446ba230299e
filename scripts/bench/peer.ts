/**
 * Benchmark child: a Cord node (the built package) with the demo `echo` tool, the SDK echo server
 * bridged as `bench__echo`, plus a raw
 * length-prefixed echo protocol on the same libp2p host (the floor). Prints one JSON line with its
 * peer ID and addresses, and runs until its stdin closes.
 */
import { lpStream } from '@libp2p/utils'
import { createNode } from '../../dist/index.js'

export const RAW_ECHO_PROTOCOL = '/cord-bench/echo/1.0.0'

// It also hosts the plain SDK echo server over stdio, for "remote call to a bridged stdio server".
const echoServer = new URL('./mcp-server.ts', import.meta.url).pathname
const node = await createNode({
  listen: ['/ip4/127.0.0.1/tcp/0'],
  logLevel: 'silent',
  servers: [{ name: 'bench', command: process.execPath, args: ['--import', 'tsx', echoServer, 'stdio'] }],
  // The benchmark measures the data path: the per-peer rate limit (1,000 calls/s by default) is lifted.
  limits: { ratePerSec: 1e9, burst: 1e9, maxConcurrentPerPeer: 1e6, maxConcurrent: 1e6 },
})
await node.start()
await node.libp2p.handle(
  RAW_ECHO_PROTOCOL,
  async (stream) => {
    const lp = lpStream(stream)
    try {
      for (;;) await lp.write(await lp.read())
    } catch {
      stream.abort(new Error('done'))
    }
  },
  { maxInboundStreams: 128 },
)
process.stdout.write(`${JSON.stringify({ peerId: node.peerId, addrs: node.multiaddrs })}\n`)
process.stdin.resume()
process.stdin.on('end', () => void node.stop().then(() => process.exit(0)))
