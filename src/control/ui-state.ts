/**
 * What the dashboard shows, in one JSON snapshot: this node, its peers (with the links their
 * heartbeats name, for the mesh graph), the mesh catalog, the hosted servers and the call window.
 */
import type { CordNode } from '../node/node.ts'
import type { NodeStatus, PeerInfo } from '../node/types.ts'
import { type CallSecond, callWindow } from '../observability/call-window.ts'

/** A tool of the mesh catalog, as the dashboard lists it. */
export interface UiTool {
  name: string
  description: string
  inputSchema: unknown
  providers: Array<{ peerId: string; alias?: string; state: string }>
}

/** The dashboard's snapshot. */
export interface UiState {
  /** When it was taken, ms since the epoch. */
  time: number
  node: Pick<NodeStatus, 'peerId' | 'alias' | 'version' | 'uptimeMs' | 'addrs' | 'connections'> & {
    reachability: NodeStatus['reachability']['status']
    /** The peers this node is connected to (its own edges of the graph). */
    links: string[]
    activeCalls: NodeStatus['activeCalls']
    discovery: { periodMs: number; received: number; published: number }
  }
  peers: PeerInfo[]
  catalog: UiTool[]
  servers: NodeStatus['upstreams']
  calls: CallSecond[]
}

/** Takes the snapshot. */
export async function uiState(node: CordNode): Promise<UiState> {
  const status = node.status()
  const peers = await node.peers()
  return {
    time: Date.now(),
    node: {
      peerId: status.peerId,
      alias: status.alias,
      version: status.version,
      uptimeMs: status.uptimeMs,
      addrs: status.addrs,
      connections: status.connections,
      reachability: status.reachability.status,
      links: peers.filter((p) => p.connected).map((p) => p.peerId),
      activeCalls: status.activeCalls,
      discovery: {
        periodMs: status.discovery.periodMs,
        received: status.discovery.received,
        published: status.discovery.published,
      },
    },
    peers,
    catalog: node.catalog().map((t) => ({
      name: t.name,
      description: t.description ?? '',
      inputSchema: t.inputSchema,
      providers: t.providers.map((p) => ({
        peerId: p.peerId,
        ...(p.alias != null ? { alias: p.alias } : {}),
        state: p.state,
      })),
    })),
    servers: status.upstreams,
    calls: callWindow.snapshot(),
  }
}
