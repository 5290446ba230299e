/** What a node is made of: the parts `createNode()` builds and wires, and `CordNode` drives. */
import type { LevelDatastore } from 'datastore-level'
import type { Admission } from '../admission/admission.ts'
import type { Discovery } from '../discovery/discovery.ts'
import type { LanDiscovery } from '../discovery/lan.ts'
import type { Logger } from '../logger.ts'
import type { BackRequests } from '../mcp/client-handlers.ts'
import type { McpService } from '../mcp/server.ts'
import type { SessionPool } from '../mcp/session-pool.ts'
import type { CordMetrics } from '../observability/metrics.ts'
import type { Tracing } from '../observability/tracing.ts'
import type { ToolRegistry } from '../registry/registry.ts'
import type { Messenger } from '../topics/direct.ts'
import type { Topics } from '../topics/topics.ts'
import type { UpstreamHub } from '../upstream/hub.ts'
import type { Calls } from './calls.ts'
import type { Host } from './host.ts'
import type { KeepAlive } from './keep-alive.ts'
import type { ResolvedNodeOptions } from './options.ts'
import type { RemoteReads } from './remote-reads.ts'
import type { StaleLinks } from './stale-links.ts'
import type { NodeStatus } from './types.ts'
import type { Unidentified } from './unidentified.ts'

/** The parts of a node, as `createNode()` builds and wires them. */
export interface NodeParts {
  options: ResolvedNodeOptions
  host: Host
  log: Logger
  datastore?: LevelDatastore
  registry: ToolRegistry
  /** The serving side of `/cord/mcp/1.0.0`. */
  mcp: McpService
  /** Outgoing MCP sessions, one per peer. */
  pool: SessionPool
  /** Outgoing requests: tool calls, and the engine under every request. */
  calls: Calls
  /** Lists and reads of other peers' MCP servers (through `calls`). */
  reads: RemoteReads
  /** Who answers the requests remote tools send back. */
  answers: BackRequests
  keepAlive: KeepAlive
  discovery: Discovery
  /** Aborts the connections of peers that went silent, where redialling beats waiting for TCP. */
  staleLinks: StaleLinks
  /** Identifies again the connections libp2p's identify left undescribed. */
  unidentified: Unidentified
  /** Dials the Cord nodes mDNS finds on the LAN, when mDNS runs. */
  lan?: LanDiscovery
  /** The hosted MCP servers, when there are any. */
  hub?: UpstreamHub
  /** Whether the node is in a private network, and its key's fingerprint. */
  network: NodeStatus['network']
  topics: Topics
  /** Direct messages (`/cord/msg/1.0.0`). */
  messenger: Messenger
  /** Spans of the node's calls, or trace context passed on when tracing is off. */
  tracing: Tracing
  /** Who may call what, and how much (its refusals are counted in metrics). */
  admission: Admission
  /** The node's metrics, when `metrics.enabled`. */
  metrics?: CordMetrics
}
