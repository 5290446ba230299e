/**
 * One process of the discovery benchmark's mesh (scripts/bench/discovery.ts forks several): it runs
 * the nodes the coordinator asks for and answers its requests over the IPC channel. Every node
 * counts the bytes it writes on its gossipsub streams from the moment it starts.
 */
import { writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { join } from 'node:path'
import type { Connection, Stream } from '@libp2p/interface'
import type { CordNode, createNode as CreateNode } from '../../dist/index.js'

/** The build whose nodes run here: this checkout's dist/, or another's (a baseline, BENCH_BASELINE_DIST). */
const dist = process.env.BENCH_DIST ?? new URL('../../dist/index.js', import.meta.url).pathname
const { createNode } = (await import(dist)) as { createNode: typeof CreateNode }

/** A request from the coordinator. */
export type WorkerRequest =
  | {
      id: number
      op: 'spawn'
      alias: string
      bootstrap: string[]
      /** Only when the bench overrides the default heartbeat interval (BENCH_HEARTBEAT_MS). */
      intervalMs?: number
      /** A data directory, as `cord start` has one (identity, LevelDB peer store). */
      dir: string
      /** The node's own tool, besides the demo tools. */
      tool: string
    }
  /** `gc`: collect garbage first (the worker runs with --expose-gc), for the heap at rest. */
  | { id: number; op: 'stats'; gc?: boolean }
  | { id: number; op: 'register'; node: number; name: string }
  | { id: number; op: 'call'; node: number; name: string }
  | { id: number; op: 'profile'; start: boolean; file?: string }
  | { id: number; op: 'stop' }

/** What one node reports. */
export interface NodeStats {
  peerId: string
  /** Peers whose heartbeat it has heard (alive or not). */
  peers: number
  /** Peers it holds suspect, and dead, now. */
  suspect: number
  dead: number
  /** Own tools of other nodes (`own_*`) in its mesh catalog. */
  catalogs: number
  published: number
  publishedBytes: number
  gossipBytes: number
  /** Catalog bytes sent and received, when discovery counts them (`status().discovery.catalogBytes`). */
  catalogBytes?: number
  connections: number
  periodMs: number
  /** Whether the node publishes at its rest period (its view of the mesh has been still a while). */
  resting: boolean
  trimmed: number
  pullsFailed: number
  /** Peers in its gossip mesh of the heartbeat topic, and connected subscribers of the topic. */
  gossipMesh: number
  subscribers: number
  /** Catalog exchanges it asked for, and those that failed. */
  exchanges: number
  exchangesFailed: number
  /** Connections opened so far (both directions), and whether some tool still waits for its DHT provide. */
  opened: number
  providing: boolean
}

/** What one process reports: its nodes, its CPU time so far in µs, and its resident memory. */
export interface ProcessStats {
  cpuUs: number
  rss: number
  heapUsed: number
  nodes: NodeStats[]
}

/**
 * Counts the bytes a node writes on its gossipsub streams (`/meshsub/…`) on every connection
 * (gossipsub writes on the streams it opens, so wrapping `newStream` sees them all).
 */
function countGossipBytes(node: CordNode, i: number): () => number {
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
  node.libp2p.addEventListener('connection:open', (evt) => {
    opened[i] = (opened[i] ?? 0) + 1
    wrapConnection(evt.detail)
  })
  return () => bytes
}

/** The catalog byte counter of discovery's stats, if it has one (a number, or `{ bytes }`). */
function catalogBytes(discovery: object): number | undefined {
  // Signed catalog records: the bytes a node took in (gossip or exchange) and served to others.
  const records = (discovery as { catalogs?: { receivedBytes?: number; servedBytes?: number } }).catalogs
  if (records?.receivedBytes != null) return records.receivedBytes + (records.servedBytes ?? 0)
  const value = (discovery as { catalogBytes?: unknown }).catalogBytes
  if (typeof value === 'number') return value
  if (value != null && typeof value === 'object') {
    const sum = Object.values(value).filter((v): v is number => typeof v === 'number')
    return sum.length > 0 ? sum.reduce((a, b) => a + b, 0) : undefined
  }
  return undefined
}

/** BENCH_NODE_OPTIONS: JSON merged into every node's options (to try a setting against the defaults). */
const EXTRA_OPTIONS = JSON.parse(process.env.BENCH_NODE_OPTIONS ?? '{}') as Record<string, unknown>

const nodes: CordNode[] = []
const counters: Array<() => number> = []
/** Connections each node opened (by its index). */
const opened: number[] = []
let profiler: Session | undefined

/** Peers the node holds suspect and dead, in one pass over its peer table (a private part). */
function states(n: CordNode): { suspect: number; dead: number } {
  const parts = (n as unknown as { parts: { discovery: { table: { list(): Array<{ state: string }> } } } })
    .parts
  const count = { suspect: 0, dead: 0 }
  for (const p of parts.discovery.table.list())
    if (p.state === 'suspect' || p.state === 'dead') count[p.state]++
  return count
}

function nodeStats(n: CordNode, i: number): NodeStats {
  const d = n.status().discovery
  const bytes = catalogBytes(d)
  return {
    peerId: n.peerId,
    peers: d.peers,
    ...states(n),
    catalogs: n.catalog().filter((t) => t.name.startsWith('own_') && t.name !== `own_${n.alias}`).length,
    published: d.published,
    publishedBytes: d.publishedBytes,
    gossipBytes: counters[i]!(),
    ...(bytes != null ? { catalogBytes: bytes } : {}),
    connections: new Set(n.libp2p.getConnections().map((c) => c.remotePeer.toString())).size,
    periodMs: d.periodMs,
    resting: (d as { resting?: boolean }).resting ?? true,
    trimmed: d.trimmed,
    pullsFailed: d.pulls.failed,
    gossipMesh: (n.libp2p.services.pubsub as unknown as { getMeshPeers(t: string): string[] }).getMeshPeers(
      'cord/heartbeat/1',
    ).length,
    subscribers: n.libp2p.services.pubsub.getSubscribers('cord/heartbeat/1').length,
    exchanges: d.catalogs.requests,
    exchangesFailed: d.catalogs.failedRequests,
    opened: opened[i] ?? 0,
    providing:
      (
        n as unknown as { parts: { discovery: { advertiser?: { behind(): boolean } } } }
      ).parts.discovery.advertiser?.behind() ?? false,
  }
}

/** BENCH_CPU_PROF: a V8 CPU profile of the idle window only, written to `file`. */
async function profile(start: boolean, file?: string): Promise<boolean> {
  if (start) {
    profiler = new Session()
    profiler.connect()
    await profiler.post('Profiler.enable')
    await profiler.post('Profiler.start')
    return true
  }
  if (profiler == null) return false
  const { profile } = await profiler.post('Profiler.stop')
  if (file != null) writeFileSync(file, JSON.stringify(profile))
  profiler.disconnect()
  profiler = undefined
  return true
}

async function handle(req: WorkerRequest): Promise<unknown> {
  switch (req.op) {
    case 'spawn': {
      // The defaults of `cord start` (config/default.toml), on loopback: listening on 0.0.0.0 would
      // also start mDNS, which the bench must not send on the machine's real network.
      const node = await createNode({
        dir: req.dir,
        alias: req.alias,
        bootstrap: req.bootstrap,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        logLevel: 'silent',
        ...(req.intervalMs != null ? { discovery: { heartbeatIntervalMs: req.intervalMs } } : {}),
        ...EXTRA_OPTIONS,
      })
      node.registerTool(req.tool, {}, () => ({ content: [{ type: 'text', text: req.alias }] }))
      counters.push(countGossipBytes(node, counters.length))
      await node.start()
      nodes.push(node)
      return { index: nodes.length - 1, addr: node.multiaddrs[0], peerId: node.peerId }
    }
    case 'stats': {
      if (req.gc === true) (globalThis as { gc?: () => void }).gc?.()
      const usage = process.cpuUsage()
      const memory = process.memoryUsage()
      return {
        cpuUs: usage.user + usage.system,
        rss: memory.rss,
        heapUsed: memory.heapUsed,
        nodes: nodes.map(nodeStats),
      } satisfies ProcessStats
    }
    case 'register':
      nodes[req.node]!.registerTool(req.name, {}, () => ({ content: [{ type: 'text', text: 'ok' }] }))
      return true
    case 'call':
      return nodes[req.node]!.callTool(undefined, req.name, {}, { timeout: 2_000 }).then(
        () => true,
        () => false,
      )
    case 'profile':
      return profile(req.start, req.file != null ? join(req.file) : undefined)
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
