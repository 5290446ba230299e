/**
 * Relay benchmark child (scripts/bench/relay.ts): `relay` runs a Cord node that serves as a circuit
 * relay; `target <relay address>` runs a node with the demo echo tool that listens on TCP and holds a
 * reservation on that relay. Prints one JSON line with its peer ID and addresses once ready (for a
 * target: once its relayed address is there), and runs until its stdin closes.
 */
import { createNode } from '../../dist/index.js'

const [role, relayAddr] = process.argv.slice(2)
const node = await createNode({
  listen: role === 'relay' ? ['/ip4/127.0.0.1/tcp/0'] : ['/ip4/127.0.0.1/tcp/0', '/p2p-circuit'],
  ...(relayAddr != null ? { bootstrap: [relayAddr] } : {}),
  relay: { server: role === 'relay' },
  logLevel: 'silent',
  // No heartbeats during the benchmark: discovery would dial the callers directly (see relay.ts).
  discovery: { heartbeatIntervalMs: 3_600_000 },
  // The benchmark measures the data path: the per-peer rate limit (1,000 calls/s by default) is lifted.
  limits: { ratePerSec: 1e9, burst: 1e9, maxConcurrentPerPeer: 1e6, maxConcurrent: 1e6 },
})
await node.start()
while (role !== 'relay' && !node.multiaddrs.some((a) => a.includes('/p2p-circuit/')))
  await new Promise((resolve) => setTimeout(resolve, 20))
process.stdout.write(`${JSON.stringify({ peerId: node.peerId, addrs: node.multiaddrs })}\n`)
process.stdin.resume()
process.stdin.on('end', () => void node.stop().then(() => process.exit(0)))
