/** `node.status()`: the node's state and counters, gathered from its parts. */
import { VERSION } from '../constants.ts'
import type { NodeParts } from './parts.ts'
import { reachabilityStatus } from './peers.ts'
import type { NodeStatus } from './types.ts'

/** What the node itself knows of its run: its state, since when, and its metrics listener. */
export interface RunState {
  state: NodeStatus['state']
  startedAt: number
  metricsUrl: string | undefined
}

/** The node's state and counters. */
export function nodeStatus(parts: NodeParts, run: RunState): NodeStatus {
  const { host, mcp, pool, calls, registry, hub, discovery, options } = parts
  return {
    peerId: host.peerId.toString(),
    alias: options.alias,
    version: VERSION,
    state: run.state,
    uptimeMs: run.startedAt > 0 ? Date.now() - run.startedAt : 0,
    addrs: host.getMultiaddrs().map((a) => a.toString()),
    ...(options.dir != null ? { dir: options.dir } : {}),
    connections: host.getConnections().length,
    inboundSessions: mcp.sessionCount,
    outboundSessions: pool.peers().length,
    activeCalls: { inbound: registry.activeCalls, outbound: calls.size },
    tools: registry.list().length,
    upstreams: hub?.status() ?? [],
    network: parts.network,
    discovery: discovery.status(),
    topics: { ...parts.topics.status(), messages: { ...parts.messenger.stats } },
    ...reachabilityStatus(host, options, parts.lan),
    metrics: run.metricsUrl != null ? { url: run.metricsUrl } : null,
  }
}
