/**
 * Benchmark child: a Cord node (the built package) with the demo `echo` tool, plus a raw
 * length-prefixed echo protocol on the same libp2p host (the floor). Prints one JSON line with its
 * peer ID and addresses, and runs until its stdin closes.
 */
import { lpStream } from '@libp2p/utils'
import { createNode } from '../../dist/index.js'

export const RAW_ECHO_PROTOCOL = '/cord-bench/echo/1.0.0'

const node = await createNode({ listen: ['/ip4/127.0.0.1/tcp/0'], logLevel: 'silent' })
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
