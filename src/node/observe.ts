/**
 * Wires a node's parts to its metrics and health: the readers metrics call on each scrape, and the
 * metrics listener (`/health`, `/ready`, `/metrics`).
 */
import { readiness } from '../observability/health.ts'
import type { CordMetrics } from '../observability/metrics.ts'
import { MetricsServer } from '../observability/server.ts'
import type { MetricSources } from '../observability/sources.ts'
import type { NodeParts } from './parts.ts'

/** The readers of a node's parts, for its metrics. */
export function metricSources(parts: NodeParts): MetricSources {
  const { registry, calls, mcp, pool, discovery, admission, hub, host } = parts
  return {
    inflight: () => ({ in: registry.activeCalls, out: calls.size }),
    sessions: () => ({ in: mcp.sessionCount, out: pool.peers().length }),
    peers: () => discovery.table.list(),
    heartbeats: () => {
      const s = discovery.status()
      return { sent: s.published, received: s.received, rejected: { ...s.rejected, denied: s.denied } }
    },
    catalogPulls: () => discovery.status().pulls,
    refusals: () => admission.refusals(),
    servers: () => hub?.status() ?? [],
    connections: () => host.getConnections().length,
  }
}

/** The metrics listener of a node, serving `metrics` and judging readiness from its parts. */
export function metricsServer(
  parts: NodeParts,
  metrics: CordMetrics,
  node: { running(): boolean; uptimeMs(): number },
): MetricsServer {
  const { host, options, hub } = parts
  return new MetricsServer(
    {
      metrics,
      log: parts.log.child({ part: 'metrics' }),
      health: () => ({ peerId: host.peerId.toString(), alias: options.alias, uptimeMs: node.uptimeMs() }),
      ready: () => {
        const addrs = host.getMultiaddrs().length
        return readiness({
          listening: node.running() && addrs > 0,
          addrs,
          bootstrap: options.bootstrap.length,
          connectedPeers: host.getPeers().length,
          failedServers: (hub?.status() ?? []).filter((s) => s.state === 'failed').map((s) => s.name),
        })
      },
    },
    { listen: options.metrics.listen },
  )
}
