/**
 * What the node's metrics are read from at scrape time: the counters and tables the parts keep
 * anyway (discovery's stats, the peer table, admission's refusals, the hosted servers' status), so
 * that most metrics cost nothing between scrapes.
 */

/** Why an incoming call was refused before its handler ran. */
export type RefusalReason = 'access' | 'rate' | 'concurrency' | 'pin'

/** One peer of the peer table, as metrics see it. */
export interface PeerSample {
  peerId: string
  alias?: string
  state: string
}

/** One hosted MCP server, as metrics see it. */
export interface ServerSample {
  name: string
  state: string
  restarts: number
}

/** The node's readers, each called on scrape. */
export interface MetricSources {
  /** Calls in flight: served (`in`) and made (`out`). */
  inflight(): { in: number; out: number }
  /** MCP sessions open: inbound (peers calling this node) and outbound (one per peer it calls). */
  sessions(): { in: number; out: number }
  peers(): Iterable<PeerSample>
  heartbeats(): { sent: number; received: number; rejected: Record<string, number> }
  catalogPulls(): { ok: number; failed: number }
  refusals(): Record<RefusalReason, number>
  servers(): ServerSample[]
  /** The node's open libp2p connections. */
  connections(): number
}
