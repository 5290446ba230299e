import type {
  CallToolResult,
  CompleteRequest,
  CompleteResult,
  GetPromptResult,
  LoggingMessageNotification,
  Progress,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  Tool,
} from '@modelcontextprotocol/sdk/types.js'
import type { DiscoveryStatus } from '../discovery/discovery.ts'
import type { Reachability, RelayReservationInfo } from '../reachability/reachability.ts'
import type { CallerRelay } from '../registry/types.ts'
import type { TopicsStatus } from '../topics/types.ts'
import type { UpstreamStatus } from '../upstream/upstream.ts'

export type {
  CallToolResult,
  CompleteRequest,
  CompleteResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  Tool,
  UpstreamStatus,
}

/** Options of an outgoing call. */
export interface CallOptions {
  /** Cancels the call; the remote handler is told and aborted too. */
  signal?: AbortSignal
  /** Deadline in milliseconds (default: the node's `mcp.callTimeoutMs`, 30 s). */
  timeout?: number
  /** Called with each progress notification of the call (the call then carries a progress token). */
  onprogress?: (progress: Progress) => void
  /** Calls by tool name only: the peer IDs that may serve the call (others are skipped). */
  among?: string[]
  /**
   * The tool's definition hash (`definitionHash()`, as `cord tools --json` shows it): the serving
   * node refuses the call with `ToolChangedError` if its definition no longer matches. A record
   * pins per provider (peer ID → hash).
   */
  pin?: string | Record<string, string>
  /**
   * Answers the requests the remote tool sends back during this call (sampling, elicitation, roots):
   * a gateway passes its client's, a tool that calls on passes its own caller's (`context.relay`).
   * Without it, the node's `clientHandlers` answer.
   */
  relay?: CallerRelay
  /**
   * The `_meta` of the request this call continues: its W3C trace context (`traceparent`,
   * `tracestate`) and call ID (`cord/callId`) are carried on; without them the call starts a trace
   * of its own (when tracing is on) and gets a new call ID.
   */
  meta?: Record<string, unknown>
}

/** What the node knows of another peer. */
export interface PeerInfo {
  peerId: string
  /** The peer's alias, when it is a Cord node that told us (identify). */
  alias?: string
  /** Known addresses, each with /p2p/<id>. */
  addrs: string[]
  /** Whether a connection is open now. */
  connected: boolean
  /** How it is connected: `direct`, or `relayed` through a relay (only when connected). */
  connection?: 'direct' | 'relayed'
  /** Round-trip time of the last ping on the connection, in milliseconds. */
  rttMs?: number
  /** Whether an outgoing MCP session to the peer is open. */
  session: boolean
  /** Whether the peer is one of this node's bootstrap peers. */
  bootstrap: boolean
  /** Whether the node keeps the peer connected (its bootstrap peers, and `connect(…, { keep })`). */
  keep: boolean
  /** Liveness from heartbeats (Cord nodes only). */
  state?: 'alive' | 'suspect' | 'dead'
  /** When its last heartbeat arrived (ISO 8601). */
  lastHeartbeat?: string
  /** Calls in flight and capacity, from its last heartbeat. */
  load?: { inflight: number; capacity: number }
  /** The Cord peers it is connected to, from its last heartbeat (edges of the mesh graph). */
  links?: string[]
}

/** The node's state, as `cord status` shows it. */
export interface NodeStatus {
  peerId: string
  alias: string
  version: string
  state: 'created' | 'running' | 'stopping' | 'stopped'
  uptimeMs: number
  addrs: string[]
  dir?: string
  connections: number
  inboundSessions: number
  outboundSessions: number
  activeCalls: { inbound: number; outbound: number }
  tools: number
  /** The hosted MCP servers and their state. */
  upstreams: UpstreamStatus[]
  /** Whether the node is in a private network (a swarm key), and the key's fingerprint (not the key). */
  network: { private: boolean; keyFingerprint?: string }
  /** Heartbeats sent, received and rejected; peers in the table; this node's catalog digest and heartbeat period. */
  discovery: DiscoveryStatus
  /** Topic messages published, delivered, rejected (by reason) and missed; direct messages sent and received. */
  topics: TopicsStatus
  /** Whether other nodes can dial this one, as judged (`mode: auto`) or forced. */
  reachability: {
    status: Reachability
    mode: 'auto' | 'public' | 'private'
    /** Where a peer saw this node's connection come from, when that was not one of its own addresses (a NAT). */
    observed?: string
    /** Whether the node asks its router for a port mapping (UPnP). */
    upnp: boolean
  }
  /** Relays this node holds a reservation on; whether it serves as a relay, and for how many clients. */
  relay: { reservations: RelayReservationInfo[]; server: boolean; clients: number }
  /** LAN discovery: whether mDNS runs, and how many answers it has had. */
  mdns: { enabled: boolean; found: number }
  /** The metrics listener's base URL (`/health`, `/ready`, `/metrics`); null when metrics are off. */
  metrics: { url: string } | null
}

/** Events of a node. */
export interface CordNodeEvents {
  /** The mesh catalog changed: this node's tools, a peer's pulled catalog, or a provider's state. */
  catalog: CustomEvent<void>
  /** A peer sent a logging message (see `setRemoteLogLevel`). */
  'log-message': CustomEvent<{ peer: string; params: LoggingMessageNotification['params'] }>
  /** A resource this node subscribed to (`subscribeResource`) changed at `peer`. */
  'resource-updated': CustomEvent<{ peer: string; uri: string }>
  /** A peer this node has a session with says its resources or prompts changed. */
  'list-changed': CustomEvent<{ peer: string; list: 'resources' | 'prompts' }>
}
