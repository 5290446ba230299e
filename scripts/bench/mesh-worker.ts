/**
 * One process of the discovery benchmark's mesh (scripts/bench/discovery.ts forks several): it runs
 * the nodes the coordinator asks for and answers its requests over the IPC channel. Every node
 * counts the bytes it writes on its gossipsub streams from the moment it starts.
 */
import type { Connection, Stream } from '@libp2p/interface'
import { type CordNode, createNode } from '../../dist/index.js'

/** A request from the coordinator. */
export type WorkerRequest =
  | { id: number; op: 'spawn'; alias: string; bootstrap: string[]; intervalMs: number }
  | { id: number; op: 'stats' }
  | { id: number; op: 'register'; node: number; name: string }
  | { id: number; op: 'call'; node: number; name: string }
  | { id: number; op: 'stop' }

/** What one node reports. */
export interface NodeStats {
  peerId: string
  /** Peers whose heartbeat it has heard (alive or not). */
  peers: number
  /** Peers whose catalog it holds. */
  catalogs: number
  published: number
  publishedBytes: number
  gossipBytes: number
  connections: number
  periodMs: number
  trimmed: number
  pullsFailed: number
}

/** What one process reports: its nodes, and its CPU time so far in µs. */
export interface ProcessStats {
  cpuUs: number
  nodes: NodeStats[]
}

/**
 * Counts the bytes a node writes on its gossipsub streams (`/meshsub/…`) on every connection
 * (gossipsub writes on the streams it opens, so wrapping `newStream` sees them all).
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

const nodes: CordNode[] = []
const counters: Array<() => number> = []

async function handle(req: WorkerRequest): Promise<unknown> {
  switch (req.op) {
    case 'spawn': {
      const node = await createNode({
        alias: req.alias,
        bootstrap: req.bootstrap,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        logLevel: 'silent',
        discovery: { heartbeatIntervalMs: req.intervalMs },
      })
      counters.push(countGossipBytes(node))
      await node.start()
      nodes.push(node)
      return { index: nodes.length - 1, addr: node.multiaddrs[0], peerId: node.peerId }
    }
    case 'stats': {
      const usage = process.cpuUsage()
      const stats: ProcessStats = { cpuUs: usage.user + usage.system, nodes: [] }
      stats.nodes = nodes.map((n, i): NodeStats => {
        const d = n.status().discovery
        return {
          peerId: n.peerId,
          peers: d.peers,
          catalogs: (n.catalog().find((t) => t.name === 'echo')?.providers.length ?? 1) - 1,
          published: d.published,
          publishedBytes: d.publishedBytes,
          gossipBytes: counters[i]!(),
          connections: new Set(n.libp2p.getConnections().map((c) => c.remotePeer.toString())).size,
          periodMs: d.periodMs,
          trimmed: d.trimmed,
          pullsFailed: d.pulls.failed,
        }
      })
      return stats
    }
    case 'register':
      nodes[req.node]!.registerTool(req.name, {}, () => ({ content: [{ type: 'text', text: 'ok' }] }))
      return true
    case 'call':
      return nodes[req.node]!.callTool(undefined, req.name, {}, { timeout: 2_000 }).then(
        () => true,
        () => false,
      )
    case 'stop':
      await Promise.allSettled(nodes.map((n) => n.stop()))
      return true
  }
}

process.on('message', (req: WorkerRequest) => {
  handle(req).then(
    (result) => process.send?.({ id: req.id, result }),
    (err: Error) => process.send?.({ id: req.id, error: err.message }),
  )
})
process.on('disconnect', () => process.exit(0))
