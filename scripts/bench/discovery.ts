/**
 * Discovery benchmark (part of `npm run bench`): meshes of 10, 50 and 100 nodes spread over several
 * processes (BENCH_WORKERS, default 4: one event loop cannot carry 100 nodes on two cores), set up as
 * a new user would: every node with the defaults of `cord start` (config/default.toml; its own data
 * directory; the demo tools and one tool of its own, `own_<alias>`), every node bootstrapping to the
 * first. For each size: how long until every node has heard every other and holds every other's own
 * tool in its mesh catalog, the catalog pulls that failed, the time from a tool being registered on
 * the first node to it being callable by name from the last; then, at rest, over a measured window:
 * the CPU time and resident memory of the mesh's processes per node, and the heartbeat (gossip) and
 * catalog bytes per node per second.
 *
 * Environment: BENCH_DISCOVERY_SIZES (default 10,50,100), BENCH_WORKERS (4), BENCH_HEARTBEAT_MS (the
 * default interval of config/default.toml unless set), BENCH_IDLE_MS (the idle window, 20 s),
 * BENCH_SETTLE_LIMIT_MS (how long a mesh may take to settle, 180 s: then it is measured anyway and
 * reported as not settled), BENCH_CPU_PROF=<dir> (a V8 CPU profile of each process over the idle
 * window, <dir>/idle-<nodes>-<worker>.cpuprofile), BENCH_BASELINE_DIST=<another checkout>/dist/index.js
 * (each size also runs on that build, just before this one: a before/after in one run),
 * BENCH_NODE_OPTIONS='{"metrics":{"enabled":false}}' (JSON merged into every node's createNode()
 * options, to try a setting against the defaults).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { discoveryTable } from './discovery-table.ts'
import type { NodeStats, ProcessStats, WorkerRequest } from './mesh-worker.ts'
import { progress, type Section, type SectionResult } from './section.ts'
import { WorkerRpc } from './worker-rpc.ts'

const INTERVAL_MS =
  process.env.BENCH_HEARTBEAT_MS != null ? Number(process.env.BENCH_HEARTBEAT_MS) : undefined
const IDLE_MS = Number(process.env.BENCH_IDLE_MS ?? process.env.BENCH_GOSSIP_MS ?? 20_000)
const WORKERS = Number(process.env.BENCH_WORKERS ?? 4)
/** How long a mesh may take to settle before it is reported as not settled (and measured anyway). */
export const SETTLE_LIMIT_MS = Number(process.env.BENCH_SETTLE_LIMIT_MS ?? 180_000)
/** How long the new tool may take to become callable at the farthest node. */
export const CALLABLE_LIMIT_MS = 60_000
/** After settling, before the idle window: the pull connections are trimmed, the gossip mesh settles. */
const QUIET_MS = 10_000
/** How long the settled mesh may take to come to rest (every node at its rest period). */
export const REST_LIMIT_MS = 180_000
const PROFILE_DIR = process.env.BENCH_CPU_PROF
/** Another build's dist/index.js: each size runs on it first, then on this one, side by side. */
const BASELINE = process.env.BENCH_BASELINE_DIST

/** A forked mesh-worker process. */
class Worker extends WorkerRpc<WorkerRequest> {
  constructor(dist?: string) {
    super(new URL('./mesh-worker.ts', import.meta.url), {
      execArgv: [...process.execArgv, '--expose-gc'],
      env: { ...process.env, ...(dist != null ? { BENCH_DIST: dist } : {}) },
    })
  }
}

/** What one mesh size measured. */
export interface DiscoveryRow {
  nodes: number
  processes: number
  /** From the first node's start to the last node's. */
  startAllMs: number
  /** From the last node's start until every node has heard every other's heartbeat. */
  heardAllMs: number
  /** From the last node's start until every node also holds every other's own tool in its catalog. */
  catalogsMs: number
  /** From settling until every node publishes at its rest period. */
  restMs: number
  /** Nodes that held every catalog at the end of the settling phase (all of them when settled). */
  completeNodes: number
  toolToCallableMs: number
  pullsFailedPerNode: number
  periodMs: number
  connectionsPerNode: number
  maxConnections: number
  /** Over the idle window: bytes each node wrote on its gossipsub streams per second. */
  gossipBytesPerNodePerSec: number
  /** Heartbeats the whole mesh published per second over the idle window. */
  meshHeartbeatsPerSec: number
  /** Catalog bytes per node per second while joining and over the idle window (when counted). */
  catalogBytesJoinPerNodePerSec?: number
  catalogBytesIdlePerNodePerSec?: number
  /** CPU time of the mesh's processes over the idle window, in % of one core: all, and per node. */
  idleCpuPercent: number
  idleCpuPercentPerNode: number
  /** Resident memory of the mesh's processes, summed, per node (MB); V8 heap in use after a GC, per node (MB). */
  rssPerNodeMb: number
  heapPerNodeMb: number
  /** The machine's 1-minute load average at the end of the idle window. */
  load: number
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** The mesh's processes, and every node's numbers in the same order each time. */
class Mesh {
  readonly workers: Worker[]
  private readonly tag: string
  constructor(
    readonly processes: number,
    dist?: string,
  ) {
    this.workers = Array.from({ length: processes }, () => new Worker(dist))
    this.tag = dist != null ? 'baseline-' : ''
  }
  /** Node i runs in worker i % processes, as that worker's node number floor(i / processes). */
  at(i: number): { worker: Worker; node: number } {
    return { worker: this.workers[i % this.processes]!, node: Math.floor(i / this.processes) }
  }
  async stats(gc = false): Promise<{ cpuUs: number; rss: number; heap: number; nodes: NodeStats[] }> {
    const all = await Promise.all(this.workers.map((w) => w.request<ProcessStats>({ op: 'stats', gc })))
    const sum = (f: (p: ProcessStats) => number): number => all.reduce((a, p) => a + f(p), 0)
    return {
      cpuUs: sum((p) => p.cpuUs),
      rss: sum((p) => p.rss),
      heap: sum((p) => p.heapUsed),
      nodes: all.flatMap((p) => p.nodes),
    }
  }
  profile(start: boolean, size: number): Promise<unknown> {
    if (PROFILE_DIR == null) return Promise.resolve()
    return Promise.all(
      this.workers.map((w, i) =>
        w.request({
          op: 'profile',
          start,
          file: join(PROFILE_DIR, `idle-${size}-${this.tag}${i}.cpuprofile`),
        }),
      ),
    )
  }
  close(): Promise<unknown> {
    return Promise.allSettled(this.workers.map((w) => w.close()))
  }
}

/** BENCH_VERBOSE=1: the settling mesh every 0.5 s on stderr (fewest peers heard, catalogs held, pulls failed). */
const VERBOSE = process.env.BENCH_VERBOSE != null

function trace(ms: number, nodes: NodeStats[]): void {
  const min = (f: (s: NodeStats) => number): number => Math.min(...nodes.map(f))
  const sum = (f: (s: NodeStats) => number): number => nodes.reduce((a, s) => a + f(s), 0)
  process.stderr.write(
    `  ${(ms / 1000).toFixed(1)} s: heard ≥ ${min((s) => s.peers)}, catalogs ≥ ${min((s) => s.catalogs)} ` +
      `(${nodes.filter((s) => s.catalogs === nodes.length - 1).length} complete), pulls failed ${sum((s) => s.pullsFailed)}, ` +
      `suspect ${sum((s) => s.suspect)}, dead ${sum((s) => s.dead)}, resting ${nodes.filter((s) => s.resting).length}, ` +
      `load ${loadavg()[0]!.toFixed(1)}; fewest heard: ${nodes
        .map((s, i) => ({ i, s }))
        .sort((a, b) => a.s.peers - b.s.peers)
        .slice(0, 3)
        .map(
          ({ i, s }) =>
            `n${i} ${s.peers} heard, ${s.connections} conns, ${s.catalogs} catalogs, gossip mesh ${s.gossipMesh} of ${s.subscribers}, exchanges ${s.exchanges} (${s.exchangesFailed} failed)`,
        )
        .join('; ')}\n`,
  )
}

/** Runs one mesh size. */
export async function measureMesh(size: number, dist?: string): Promise<DiscoveryRow> {
  const mesh = new Mesh(Math.min(WORKERS, size), dist)
  const dirs = mkdtempSync(join(tmpdir(), 'cord-bench-mesh-'))
  try {
    const started = Date.now()
    // The first node, then the others: each process starts its own one after another, the
    // processes side by side (as nodes started on several hosts at once would be).
    const spawn = (i: number, bootstrap: string[]): Promise<{ addr: string }> =>
      mesh.at(i).worker.request<{ addr: string }>({
        op: 'spawn',
        alias: `n${i}`,
        bootstrap,
        ...(INTERVAL_MS != null ? { intervalMs: INTERVAL_MS } : {}),
        dir: join(dirs, `n${i}`),
        tool: `own_n${i}`,
      })
    const first = (await spawn(0, [])).addr
    await Promise.all(
      mesh.workers.map(async (_w, k) => {
        for (let i = k === 0 ? mesh.processes : k; i < size; i += mesh.processes) await spawn(i, [first])
      }),
    )
    const lastStarted = Date.now()
    let heardAllMs = Number.NaN
    let catalogsMs = Number.NaN
    let nodes: NodeStats[] = []
    while (Date.now() - lastStarted < SETTLE_LIMIT_MS) {
      nodes = (await mesh.stats()).nodes
      if (Number.isNaN(heardAllMs) && nodes.every((s) => s.peers === size - 1))
        heardAllMs = Date.now() - lastStarted
      if (VERBOSE) trace(Date.now() - lastStarted, nodes)
      if (nodes.every((s) => s.catalogs === size - 1)) {
        catalogsMs = Date.now() - lastStarted
        break
      }
      await sleep(500)
    }
    const joinedMs = Date.now() - started
    // At rest: every node's view of the mesh still (its heartbeat period stretched), every tool's DHT
    // provide done, and no connection opened anywhere for QUIET_MS (a joining mesh's DHT queries dial
    // for a minute or more after the heartbeats rest); then a little more for the gossip mesh to settle.
    const restStarted = Date.now()
    let restMs = Number.NaN
    let opened = -1
    let quietSince = Date.now()
    while (Date.now() - restStarted < REST_LIMIT_MS) {
      const nodes = (await mesh.stats()).nodes
      const total = nodes.reduce((a, s) => a + s.opened, 0)
      if (total !== opened) quietSince = Date.now()
      opened = total
      if (nodes.every((s) => s.resting && !s.providing) && Date.now() - quietSince >= QUIET_MS) {
        restMs = Date.now() - restStarted
        break
      }
      await sleep(1_000)
    }
    await sleep(QUIET_MS)
    const before = await mesh.stats()
    await mesh.profile(true, size)
    await sleep(IDLE_MS)
    const after = await mesh.stats()
    // after the figures: writing a profile costs CPU time of its own
    await mesh.profile(false, size)
    const memory = await mesh.stats(true)
    const load = loadavg()[0]!
    const seconds = IDLE_MS / 1000
    const mean = (f: (s: NodeStats, i: number) => number): number =>
      after.nodes.reduce((a, s, i) => a + f(s, i), 0) / size
    const counted = after.nodes.every((s) => s.catalogBytes != null)
    const idleCpuPercent = (after.cpuUs - before.cpuUs) / (IDLE_MS * 10)
    return {
      nodes: size,
      processes: mesh.processes,
      startAllMs: lastStarted - started,
      heardAllMs,
      catalogsMs,
      restMs,
      completeNodes: nodes.filter((s) => s.catalogs === size - 1).length,
      toolToCallableMs: await toolToCallable(mesh, size),
      pullsFailedPerNode: mean((s) => s.pullsFailed),
      periodMs: mean((s) => s.periodMs),
      connectionsPerNode: mean((s) => s.connections),
      maxConnections: Math.max(...after.nodes.map((s) => s.connections)),
      gossipBytesPerNodePerSec: mean((s, i) => s.gossipBytes - before.nodes[i]!.gossipBytes) / seconds,
      meshHeartbeatsPerSec:
        after.nodes.reduce((a, s, i) => a + s.published - before.nodes[i]!.published, 0) / seconds,
      ...(counted
        ? {
            catalogBytesJoinPerNodePerSec:
              mean((_s, i) => before.nodes[i]!.catalogBytes!) / (joinedMs / 1000),
            catalogBytesIdlePerNodePerSec:
              mean((s, i) => s.catalogBytes! - before.nodes[i]!.catalogBytes!) / seconds,
          }
        : {}),
      idleCpuPercent,
      idleCpuPercentPerNode: idleCpuPercent / size,
      rssPerNodeMb: memory.rss / size / 2 ** 20,
      heapPerNodeMb: memory.heap / size / 2 ** 20,
      load,
    }
  } finally {
    await mesh.close()
    rmSync(dirs, { recursive: true, force: true })
  }
}

/** From a tool registered on the first node to it being callable by name from the last. */
async function toolToCallable(mesh: Mesh, size: number): Promise<number> {
  const first = mesh.at(0)
  const farthest = mesh.at(size - 1)
  const t = performance.now()
  await first.worker.request({ op: 'register', node: first.node, name: 'bench_new_tool' })
  while (performance.now() - t < CALLABLE_LIMIT_MS) {
    if (await farthest.worker.request<boolean>({ op: 'call', node: farthest.node, name: 'bench_new_tool' }))
      return performance.now() - t
    await sleep(20)
  }
  return Number.NaN
}

/** The mesh sizes to run: BENCH_DISCOVERY_SIZES (default 10,50,100). */
const SIZES = (process.env.BENCH_DISCOVERY_SIZES ?? process.env.BENCH_MESH_SIZES ?? '10,50,100')
  .split(',')
  .filter(Boolean)
  .map(Number)

/** Runs every size; one row each. */
async function run(): Promise<SectionResult> {
  const rows: Array<DiscoveryRow & { build?: string }> = []
  for (const size of SIZES) {
    if (BASELINE != null) {
      rows.push({ build: 'baseline', ...(await measureMesh(size, BASELINE)) })
      progress(`  discovery: ${size} nodes, baseline build done`)
    }
    rows.push({ ...(BASELINE != null ? { build: 'this' } : {}), ...(await measureMesh(size)) })
    progress(`  discovery: ${size} nodes done`)
  }
  return discoveryTable(rows, {
    workers: WORKERS,
    intervalMs: INTERVAL_MS,
    idleMs: IDLE_MS,
    settleLimitMs: SETTLE_LIMIT_MS,
    restLimitMs: REST_LIMIT_MS,
    callableLimitMs: CALLABLE_LIMIT_MS,
  })
}

const section: Section = {
  name: 'discovery',
  describe:
    'meshes of BENCH_DISCOVERY_SIZES nodes over worker processes: joining, idle CPU and memory, traffic',
  run,
}
export default section
