/**
 * A node's metrics: one prom-client `Registry` per node (several nodes may share a process, so never
 * the global default registry), Cord's own metrics, and libp2p's when they are on. Names carry their
 * unit; labels stay few (no peer IDs unless `peerLabels`).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { type CallObserver, CallRecorder } from './calls.ts'
import { collectedCounter, collectedGauge } from './collected.ts'
import type { MetricSources } from './sources.ts'

/** Latency buckets of calls, in seconds: from an in-process call (~0.1 ms) to a long tool (1 min). */
export const CALL_SECONDS_BUCKETS = [
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
]

/** How a node's metrics are built. */
export interface CordMetricsInit {
  /** Add `peer` labels (peer IDs) to per-peer series. */
  peerLabels: boolean
  /** Labels of `cord_node_info`. */
  info: { version: string; alias: string }
}

/** What the gateway reports. */
export interface GatewayObserver {
  /** One HTTP request to the gateway's endpoint. */
  recordGatewayRequest(method: string): void
}

const GATEWAY_METHODS = new Set(['GET', 'POST', 'DELETE'])

/** The metrics of one node. */
export class CordMetrics implements CallObserver, GatewayObserver {
  readonly registry = new Registry()
  readonly peerLabels: boolean
  private readonly calls: CallRecorder
  private readonly gatewayRequests: Counter<string>
  private sources?: MetricSources
  private gatewaySessions?: () => number

  constructor(init: CordMetricsInit) {
    this.peerLabels = init.peerLabels
    const registers = [this.registry]
    new Gauge({
      name: 'cord_node_info',
      help: 'This node: its Cord version and alias (always 1).',
      labelNames: ['version', 'alias'],
      registers,
    }).set({ version: init.info.version, alias: init.info.alias }, 1)
    this.calls = new CallRecorder(
      new Counter({
        name: 'cord_calls_total',
        help: 'Tool calls served (direction="in") and made (direction="out"), by tool and outcome.',
        labelNames: ['direction', 'tool', 'outcome'],
        registers,
      }),
      new Histogram({
        name: 'cord_call_duration_seconds',
        help: 'How long tool calls took, by direction and tool.',
        labelNames: ['direction', 'tool'],
        buckets: CALL_SECONDS_BUCKETS,
        registers,
      }),
      init.peerLabels
        ? new Counter({
            name: 'cord_peer_calls_total',
            help: 'Tool calls by peer: the caller (in) or the serving peer (out).',
            labelNames: ['direction', 'peer'],
            registers,
          })
        : undefined,
    )
    this.gatewayRequests = new Counter({
      name: 'cord_gateway_requests_total',
      help: 'HTTP requests to the MCP gateway, by method.',
      labelNames: ['method'],
      registers,
    })
    this.collectors()
  }

  /** Connects the readers of the node's parts (once they exist). */
  observe(sources: MetricSources): void {
    this.sources = sources
  }

  /** Connects the gateway's session count. */
  observeGateway(sessions: () => number): void {
    this.gatewaySessions = sessions
  }

  recordCall(...args: Parameters<CallObserver['recordCall']>): void {
    this.calls.recordCall(...args)
  }

  recordGatewayRequest(method: string): void {
    this.gatewayRequests.labels(GATEWAY_METHODS.has(method) ? method : 'other').inc()
  }

  /** The metrics in the Prometheus text format. */
  text(): Promise<string> {
    return this.registry.metrics()
  }

  /** The content type of `text()`. */
  get contentType(): string {
    return this.registry.contentType
  }

  /** The metrics read from the parts on each scrape. */
  private collectors(): void {
    const r = this.registry
    const src = (): MetricSources | undefined => this.sources
    collectedGauge(r, 'cord_calls_in_flight', 'Tool calls in flight, by direction.', ['direction'], () => {
      const n = src()?.inflight()
      return n == null
        ? []
        : [
            [{ direction: 'in' }, n.in],
            [{ direction: 'out' }, n.out],
          ]
    })
    collectedGauge(
      r,
      'cord_mcp_sessions',
      'MCP sessions open over /cord/mcp/1.0.0, by direction.',
      ['direction'],
      () => {
        const n = src()?.sessions()
        return n == null
          ? []
          : [
              [{ direction: 'in' }, n.in],
              [{ direction: 'out' }, n.out],
            ]
      },
    )
    collectedGauge(r, 'cord_connections', 'Open libp2p connections.', [], () => {
      const n = src()?.connections()
      return n == null ? [] : [[{}, n]]
    })
    collectedGauge(r, 'cord_peers', 'Cord nodes in the peer table, by state.', ['state'], () => {
      const counts: Record<string, number> = { alive: 0, suspect: 0, dead: 0 }
      for (const p of src()?.peers() ?? []) counts[p.state] = (counts[p.state] ?? 0) + 1
      return Object.entries(counts).map(([state, n]) => [{ state }, n])
    })
    if (this.peerLabels)
      collectedGauge(
        r,
        'cord_peer_state',
        'Each peer of the peer table (1 in its state).',
        ['peer', 'alias', 'state'],
        () =>
          [...(src()?.peers() ?? [])].map((p) => [
            { peer: p.peerId, alias: p.alias ?? '', state: p.state },
            1,
          ]),
      )
    collectedCounter(r, 'cord_heartbeats_sent_total', 'Heartbeats this node published.', [], () => {
      const h = src()?.heartbeats()
      return h == null ? [] : [[{}, h.sent]]
    })
    collectedCounter(
      r,
      'cord_heartbeats_received_total',
      'Valid heartbeats received from other nodes.',
      [],
      () => {
        const h = src()?.heartbeats()
        return h == null ? [] : [[{}, h.received]]
      },
    )
    collectedCounter(r, 'cord_heartbeats_rejected_total', 'Heartbeats dropped, by reason.', ['reason'], () =>
      Object.entries(src()?.heartbeats().rejected ?? {}).map(([reason, n]) => [{ reason }, n]),
    )
    collectedCounter(
      r,
      'cord_catalog_pulls_total',
      'Catalog pulls from peers, by outcome.',
      ['outcome'],
      () => {
        const p = src()?.catalogPulls()
        return p == null
          ? []
          : [
              [{ outcome: 'ok' }, p.ok],
              [{ outcome: 'failed' }, p.failed],
            ]
      },
    )
    collectedCounter(
      r,
      'cord_call_refusals_total',
      'Incoming calls refused before their handler ran, by reason.',
      ['reason'],
      () => Object.entries(src()?.refusals() ?? {}).map(([reason, n]) => [{ reason }, n]),
    )
    collectedGauge(r, 'cord_hosted_servers', 'Hosted MCP servers, by state.', ['state'], () => {
      const counts: Record<string, number> = { starting: 0, ready: 0, restarting: 0, failed: 0, stopped: 0 }
      for (const s of src()?.servers() ?? []) counts[s.state] = (counts[s.state] ?? 0) + 1
      return Object.entries(counts).map(([state, n]) => [{ state }, n])
    })
    collectedCounter(
      r,
      'cord_hosted_server_restarts_total',
      'Restarts of each hosted MCP server.',
      ['server'],
      () => (src()?.servers() ?? []).map((s) => [{ server: s.name }, s.restarts]),
    )
    collectedGauge(r, 'cord_gateway_sessions', 'MCP gateway client sessions open.', [], () =>
      this.gatewaySessions != null ? [[{}, this.gatewaySessions()]] : [],
    )
  }
}
