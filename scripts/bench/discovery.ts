/**
 * Discovery benchmark (part of `npm run bench`): for meshes of 10, 25 and 50 nodes in one process,
 * the time from a tool being registered on one node to it being callable by name from the farthest
 * node (the last to join, over a chain of bootstrap links), and the heartbeat traffic per node: the
 * bytes each node writes on its gossipsub streams per second (its own heartbeats and those it
 * relays), next to the bytes of its own heartbeats alone.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { type CordNode, createNode } from '../../dist/index.js'

const INTERVAL_MS = Number(process.env.BENCH_HEARTBEAT_MS ?? 2_000)
const MEASURE_MS = Number(process.env.BENCH_GOSSIP_MS ?? 20_000)
/** How long a mesh may take to settle (every node has heard every other) before it is reported as not settled. */
const SETTLE_LIMIT_MS = 90_000
/** How long the new tool may take to become callable at the farthest node. */
const CALLABLE_LIMIT_MS = 60_000

/**
 * Counts the bytes a node writes on its gossipsub streams (`/meshsub/…`): those open now, and those
 * of connections opened later (catalog pulls and churn open connections while the mesh runs).
 */
function countGossipBytes(node: CordNode): () => number {
  let bytes = 0
  const wrapStream = (stream: Stream): void => {
    if (!stream.protocol?.startsWith('/meshsub/') || (stream as { counted?: boolean }).counted) return
    ;(stream as { counted?: boolean }).counted = true
    const send = stream.send.bind(stream)
    stream.send = (data) => {
      bytes += data.byteLength
      return send(data)
    }
  }
  const wrapConnection = (connection: Connection): void => {
    for (const stream of connection.streams as Stream[]) wrapStream(stream)
    const newStream = connection.newStream.bind(connection)
    connection.newStream = (async (...args: Parameters<Connection['newStream']>) => {
      const stream = await newStream(...args)
      wrapStream(stream)
      return stream
    }) as Connection['newStream']
  }
  for (const connection of node.libp2p.getConnections()) wrapConnection(connection)
  node.libp2p.addEventListener('connection:open', (evt) => wrapConnection(evt.detail))
  return () => bytes
}

async function waitFor(probe: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 10))
  }
  return true
}

export interface DiscoveryRow {
  nodes: number
  settleMs: number
  toolToCallableMs: number
  gossipBytesPerNodePerSec: number
  ownHeartbeatBytesPerSec: number
  /** The heartbeat period the nodes announce, averaged, in ms. */
  periodMs: number
  /** Share of the peers' catalogs each node had pulled when the traffic was measured. */
  catalogsPulled: number
  connectionsPerNode: number
}

/** Runs one mesh size. */
export async function measureMesh(size: number): Promise<DiscoveryRow> {
  const options = {
    listen: ['/ip4/127.0.0.1/tcp/0'],
    logLevel: 'silent' as const,
    heartbeatIntervalMs: INTERVAL_MS,
  }
  const nodes: CordNode[] = []
  const started = Date.now()
  try {
    for (let i = 0; i < size; i++) {
      const bootstrap = i === 0 ? [] : [nodes[i - 1]!.multiaddrs[0]!]
      const node = await createNode({ ...options, alias: `n${i}`, bootstrap })
      await node.start()
      nodes.push(node)
    }
    // Settled: every node has heard a heartbeat from every other (its peer table is full and alive).
    const heardAll = (n: CordNode): boolean => {
      const d = n.status().discovery
      return d.peers === size - 1
    }
    const converged = await waitFor(() => nodes.every(heardAll), SETTLE_LIMIT_MS)
    const settleMs = converged ? Date.now() - started : Number.NaN
    await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS))

    const counters = nodes.map(countGossipBytes)
    const own = nodes.map((n) => n.status().discovery.publishedBytes)
    await new Promise((r) => setTimeout(r, MEASURE_MS))
    const seconds = MEASURE_MS / 1000
    const gossip = counters.map((c) => c() / seconds)
    const ownRate = nodes.map((n, i) => (n.status().discovery.publishedBytes - own[i]!) / seconds)

    const [first, farthest] = [nodes[0]!, nodes[size - 1]!]
    const t = performance.now()
    first.registerTool('bench_new_tool', {}, () => ({ content: [{ type: 'text', text: 'ok' }] }))
    let toolToCallableMs = Number.NaN
    while (performance.now() - t < CALLABLE_LIMIT_MS) {
      const ok = await farthest.callTool(undefined, 'bench_new_tool', {}, { timeout: 2_000 }).then(
        () => true,
        () => false,
      )
      if (ok) {
        toolToCallableMs = performance.now() - t
        break
      }
      await new Promise((r) => setTimeout(r, 20))
    }

    return {
      nodes: size,
      settleMs,
      toolToCallableMs,
      gossipBytesPerNodePerSec: gossip.reduce((a, b) => a + b, 0) / size,
      ownHeartbeatBytesPerSec: ownRate.reduce((a, b) => a + b, 0) / size,
      periodMs: nodes.reduce((a, n) => a + n.status().discovery.periodMs, 0) / size,
      catalogsPulled:
        nodes.reduce(
          (a, n) => a + (n.catalog().find((t) => t.name === 'echo')?.providers.length ?? 1) - 1,
          0,
        ) /
        (size * (size - 1)),
      connectionsPerNode: nodes.reduce((a, n) => a + n.libp2p.getConnections().length, 0) / size,
    }
  } finally {
    await Promise.allSettled(nodes.map((n) => n.stop()))
  }
}

/** Runs every size and prints the table. */
export async function discoveryBench(sizes: number[]): Promise<DiscoveryRow[]> {
  const rows: DiscoveryRow[] = []
  // Catalogs are measured too: the share of (node, peer) catalogs pulled when traffic is measured.
  for (const size of sizes) {
    rows.push(await measureMesh(size))
    process.stderr.write(`discovery: ${size} nodes done\n`)
  }
  const base = rows[0]!
  console.log(
    `\ndiscovery (nodes in one process, heartbeat interval ${INTERVAL_MS} ms, heartbeat_budget 16, traffic over ${MEASURE_MS / 1000} s)`,
  )
  console.log(
    '| nodes | settle s | tool → callable by name at the farthest node, ms | heartbeat period s | gossip bytes/s per node | ÷ smallest mesh | own heartbeat bytes/s | catalogs pulled | connections per node |',
  )
  console.log('|---|---|---|---|---|---|---|---|---|')
  for (const r of rows) {
    console.log(
      `| ${r.nodes} | ${Number.isNaN(r.settleMs) ? `not within ${SETTLE_LIMIT_MS / 1000}` : (r.settleMs / 1000).toFixed(1)} | ${Number.isNaN(r.toolToCallableMs) ? `not within ${CALLABLE_LIMIT_MS / 1000} s` : Math.round(r.toolToCallableMs)} | ${(r.periodMs / 1000).toFixed(1)} | ${Math.round(r.gossipBytesPerNodePerSec)} | ${(r.gossipBytesPerNodePerSec / base.gossipBytesPerNodePerSec).toFixed(2)}× | ${Math.round(r.ownHeartbeatBytesPerSec)} | ${Math.round(r.catalogsPulled * 100)}% | ${r.connectionsPerNode.toFixed(1)} |`,
    )
  }
  return rows
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = (process.env.BENCH_MESH_SIZES ?? '10,25,50').split(',').map(Number)
  await discoveryBench(sizes)
  process.exit(0)
}
