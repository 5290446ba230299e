/**
 * Discovery benchmark (part of `npm run bench`): meshes of 10, 25 and 50 nodes spread over several
 * processes (BENCH_WORKERS, default 4: one event loop cannot carry 50 nodes on two cores), each node
 * bootstrapping to the one before it, so that the last is the farthest from the first. For each
 * size: how long until every node has heard every other and pulled every catalog, the time from a
 * tool being registered on the first node to it being callable by name from the last, and the
 * heartbeat traffic per node — the bytes each node writes on its gossipsub streams per second (its
 * own heartbeats and those it relays), next to the heartbeats the whole mesh publishes per second.
 */
import { type ChildProcess, fork } from 'node:child_process'
import type { NodeStats, ProcessStats, WorkerRequest } from './mesh-worker.ts'
import { progress, type Section, type SectionResult } from './section.ts'

const INTERVAL_MS = Number(process.env.BENCH_HEARTBEAT_MS ?? 2_000)
const MEASURE_MS = Number(process.env.BENCH_GOSSIP_MS ?? 20_000)
const WORKERS = Number(process.env.BENCH_WORKERS ?? 4)
/** How long a mesh may take to settle before it is reported as not settled. */
const SETTLE_LIMIT_MS = 240_000
/** How long the new tool may take to become callable at the farthest node. */
const CALLABLE_LIMIT_MS = 60_000

type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never

/** A forked mesh-worker process and its pending requests. */
class Worker {
  private readonly child: ChildProcess
  private nextId = 0
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()

  constructor() {
    // BENCH_CPU_PROF=<dir>: each process writes a V8 CPU profile there when it exits
    const prof = process.env.BENCH_CPU_PROF
    this.child = fork(new URL('./mesh-worker.ts', import.meta.url).pathname, [], {
      stdio: 'inherit',
      execArgv: [...process.execArgv, ...(prof != null ? ['--cpu-prof', '--cpu-prof-dir', prof] : [])],
    })
    this.child.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
      const waiting = this.pending.get(msg.id)
      this.pending.delete(msg.id)
      if (msg.error != null) waiting?.reject(new Error(msg.error))
      else waiting?.resolve(msg.result)
    })
    this.child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`mesh worker exited with ${code}`))
      this.pending.clear()
    })
  }

  request<T>(req: Distribute<WorkerRequest>): Promise<T> {
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.child.send({ ...req, id })
    })
  }

  async close(): Promise<void> {
    await this.request({ op: 'stop' }).catch(() => {})
    this.child.disconnect()
  }
}

export interface DiscoveryRow {
  nodes: number
  processes: number
  /** Until every node has heard every other's heartbeat. */
  heardAllMs: number
  /** Until every node also holds every other's catalog. */
  catalogsMs: number
  toolToCallableMs: number
  gossipBytesPerNodePerSec: number
  /** Heartbeats the whole mesh published per second while traffic was measured. */
  meshHeartbeatsPerSec: number
  ownHeartbeatBytesPerSec: number
  periodMs: number
  connectionsPerNode: number
  maxConnections: number
  trimmedPerNode: number
  pullsFailedPerNode: number
  /** CPU time of all the mesh's processes while traffic was measured, in % of one core. */
  cpuPercent: number
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Runs one mesh size. */
export async function measureMesh(size: number): Promise<DiscoveryRow> {
  const processes = Math.min(WORKERS, size)
  const workers = Array.from({ length: processes }, () => new Worker())
  // node i runs in worker i % processes, as that worker's node number floor(i / processes)
  const at = (i: number): { worker: Worker; node: number } => ({
    worker: workers[i % processes]!,
    node: Math.floor(i / processes),
  })
  let cpuUs = 0
  // every node's numbers, in the same order each time; and the CPU time of all the processes
  const stats = async (): Promise<NodeStats[]> => {
    const all = await Promise.all(workers.map((w) => w.request<ProcessStats>({ op: 'stats' })))
    cpuUs = all.reduce((a, p) => a + p.cpuUs, 0)
    return all.flatMap((p) => p.nodes)
  }
  try {
    const started = Date.now()
    let previous: string | undefined
    for (let i = 0; i < size; i++) {
      const spawned = await at(i).worker.request<{ addr: string }>({
        op: 'spawn',
        alias: `n${i}`,
        bootstrap: previous != null ? [previous] : [],
        intervalMs: INTERVAL_MS,
      })
      previous = spawned.addr
    }
    let heardAllMs = Number.NaN
    let catalogsMs = Number.NaN
    while (Date.now() - started < SETTLE_LIMIT_MS) {
      const all = await stats()
      if (Number.isNaN(heardAllMs) && all.every((s) => s.peers === size - 1))
        heardAllMs = Date.now() - started
      if (all.every((s) => s.catalogs === size - 1)) {
        catalogsMs = Date.now() - started
        break
      }
      await sleep(250)
    }
    // Let the pull connections be trimmed and the gossip mesh settle before measuring.
    await sleep(3 * INTERVAL_MS)
    const before = await stats()
    const cpuBefore = cpuUs
    await sleep(MEASURE_MS)
    const after = await stats()
    const cpuPercent = (cpuUs - cpuBefore) / (MEASURE_MS * 10)
    const seconds = MEASURE_MS / 1000
    const mean = (f: (s: NodeStats, i: number) => number): number =>
      after.reduce((a, s, i) => a + f(s, i), 0) / size

    const first = at(0)
    const farthest = at(size - 1)
    const t = performance.now()
    await first.worker.request({ op: 'register', node: first.node, name: 'bench_new_tool' })
    let toolToCallableMs = Number.NaN
    while (performance.now() - t < CALLABLE_LIMIT_MS) {
      if (
        await farthest.worker.request<boolean>({ op: 'call', node: farthest.node, name: 'bench_new_tool' })
      ) {
        toolToCallableMs = performance.now() - t
        break
      }
      await sleep(20)
    }
    return {
      nodes: size,
      processes,
      heardAllMs,
      catalogsMs,
      toolToCallableMs,
      gossipBytesPerNodePerSec: mean((s, i) => s.gossipBytes - before[i]!.gossipBytes) / seconds,
      meshHeartbeatsPerSec: after.reduce((a, s, i) => a + s.published - before[i]!.published, 0) / seconds,
      ownHeartbeatBytesPerSec: mean((s, i) => s.publishedBytes - before[i]!.publishedBytes) / seconds,
      periodMs: mean((s) => s.periodMs),
      connectionsPerNode: mean((s) => s.connections),
      maxConnections: Math.max(...after.map((s) => s.connections)),
      trimmedPerNode: mean((s) => s.trimmed),
      pullsFailedPerNode: mean((s) => s.pullsFailed),
      cpuPercent,
    }
  } finally {
    await Promise.allSettled(workers.map((w) => w.close()))
  }
}

/** The mesh sizes to run: BENCH_MESH_SIZES (default 10,25,50). */
const SIZES = (process.env.BENCH_MESH_SIZES ?? '10,25,50').split(',').filter(Boolean).map(Number)

/** Runs every size; one row each. */
async function run(): Promise<SectionResult> {
  const rows: DiscoveryRow[] = []
  for (const size of SIZES) {
    rows.push(await measureMesh(size))
    progress(`  discovery: ${size} nodes done`)
  }
  const base = rows[0]!
  const limit = (v: number, max: number, f: (v: number) => string): string =>
    Number.isNaN(v) ? `not within ${max / 1000} s` : f(v)
  const seconds = (v: number): string => `${(v / 1000).toFixed(1)} s`
  return {
    title: `discovery: up to ${WORKERS} processes, heartbeat interval ${INTERVAL_MS} ms, heartbeat_budget 16, traffic over ${MEASURE_MS / 1000} s`,
    header: [
      'nodes',
      'processes',
      'all heard',
      'all catalogs',
      'tool → callable by name at the farthest node',
      'heartbeat period',
      'heartbeats/s in the mesh',
      'gossip bytes/s written per node',
      '÷ smallest mesh',
      'per mesh heartbeat',
      'own heartbeat bytes/s',
      'connections per node (max)',
      'trimmed per node',
      'failed pulls per node',
      'CPU, % of one core',
    ],
    rows: rows.map((r) => [
      String(r.nodes),
      String(r.processes),
      limit(r.heardAllMs, SETTLE_LIMIT_MS, seconds),
      limit(r.catalogsMs, SETTLE_LIMIT_MS, seconds),
      limit(r.toolToCallableMs, CALLABLE_LIMIT_MS, (v) => `${Math.round(v)} ms`),
      `${(r.periodMs / 1000).toFixed(1)} s`,
      r.meshHeartbeatsPerSec.toFixed(1),
      Math.round(r.gossipBytesPerNodePerSec).toLocaleString('en-US'),
      `${(r.gossipBytesPerNodePerSec / base.gossipBytesPerNodePerSec).toFixed(2)}×`,
      `${Math.round(r.gossipBytesPerNodePerSec / r.meshHeartbeatsPerSec)} B`,
      String(Math.round(r.ownHeartbeatBytesPerSec)),
      `${r.connectionsPerNode.toFixed(1)} (${r.maxConnections})`,
      r.trimmedPerNode.toFixed(1),
      r.pullsFailedPerNode.toFixed(1),
      `${Math.round(r.cpuPercent)}%`,
    ]),
    json: rows,
  }
}

const section: Section = {
  name: 'discovery',
  describe: 'meshes of BENCH_MESH_SIZES nodes over worker processes: settling, heartbeat traffic, CPU',
  run,
}
export default section
