/**
 * The discovery benchmark's table (scripts/bench/discovery.ts measures): one row per mesh size (and
 * build, when a baseline build runs beside this one), the goals of a 100-node mesh as notes.
 */
import type { DiscoveryRow } from './discovery.ts'
import type { SectionResult } from './section.ts'

/** How the rows were measured. */
export interface TableSettings {
  workers: number
  /** The heartbeat interval when the bench overrode the default. */
  intervalMs: number | undefined
  idleMs: number
  settleLimitMs: number
  restLimitMs: number
  callableLimitMs: number
}

const seconds = (v: number): string => `${(v / 1000).toFixed(1)} s`
const within = (v: number, max: number, f: (v: number) => string): string =>
  Number.isNaN(v) ? `not within ${max / 1000} s` : f(v)
const bytes = (v: number | undefined): string => (v == null ? '—' : Math.round(v).toLocaleString('en-US'))

/** The section's table. */
export function discoveryTable(
  rows: Array<DiscoveryRow & { build?: string }>,
  s: TableSettings,
): SectionResult {
  const builds = rows.some((r) => r.build != null)
  return {
    title: `discovery: ${s.workers} processes, every node with the defaults of \`cord start\`${s.intervalMs != null ? ` but a heartbeat interval of ${s.intervalMs} ms` : ''}, bootstrapping to the first; at rest over ${s.idleMs / 1000} s`,
    header: [
      ...(builds ? ['build'] : []),
      'nodes',
      'all started',
      'all heard',
      'all catalogs',
      'failed pulls per node',
      'tool → callable at the farthest',
      'at rest after',
      'heartbeat period at rest',
      'connections per node (max)',
      'gossip B/s per node',
      'catalog B/s per node (joining, at rest)',
      'CPU at rest per node, % of a core',
      'CPU at rest, mesh',
      'RSS per node',
      'V8 heap per node (after GC)',
      'load',
    ],
    rows: rows.map((r) => [
      ...(builds ? [r.build ?? ''] : []),
      String(r.nodes),
      seconds(r.startAllMs),
      within(r.heardAllMs, s.settleLimitMs, seconds),
      Number.isNaN(r.catalogsMs)
        ? `not within ${s.settleLimitMs / 1000} s (${r.completeNodes} of ${r.nodes} complete)`
        : seconds(r.catalogsMs),
      r.pullsFailedPerNode.toFixed(1),
      within(r.toolToCallableMs, s.callableLimitMs, (v) => `${Math.round(v)} ms`),
      within(r.restMs, s.restLimitMs, seconds),
      seconds(r.periodMs),
      `${r.connectionsPerNode.toFixed(1)} (${r.maxConnections})`,
      bytes(r.gossipBytesPerNodePerSec),
      r.catalogBytesIdlePerNodePerSec == null
        ? '— (not counted)'
        : `${bytes(r.catalogBytesJoinPerNodePerSec)}, ${bytes(r.catalogBytesIdlePerNodePerSec)}`,
      `${r.idleCpuPercentPerNode.toFixed(2)}%`,
      `${Math.round(r.idleCpuPercent)}%`,
      `${Math.round(r.rssPerNodeMb)} MB`,
      `${Math.round(r.heapPerNodeMb)} MB`,
      r.load.toFixed(1),
    ]),
    notes: [
      '"all heard" and "all catalogs" count from the last node\'s start; a catalog is complete when it holds every other node\'s own tool.',
      'CPU and memory are those of the worker processes (the nodes and one Node.js runtime per process), divided by the nodes.',
      'goals (issue 12), 100 nodes: all catalogs within 60 s, all heard within 30 s, at rest ≤ 1% of a core and ≤ 60 MB resident per node.',
    ],
    json: rows,
  }
}
