/**
 * The settings of a node, as TypeScript callers give them to `createNode()` and as `config.toml`
 * holds them (the same names in snake_case: `discovery.heartbeatIntervalMs` is
 * `[discovery] heartbeat_interval_ms`). Every field is optional; `@default` says what applies
 * without it. The zod schema in schema.ts checks them and applies the defaults, for both.
 */
import type { LogLevel } from '../logger.ts'
import type { LogSettingsInput } from './log.ts'

/** A hosted MCP server: a stdio child the node starts and supervises (`command`), or a Streamable HTTP endpoint (`url`). */
export interface ServerSettings {
  /** 1–32 letters, digits, `_` or `-`; prefixes its tools and prompts (`memory__read_graph`). */
  name: string
  /** The program to start (stdio); give either `command` or `url`. */
  command?: string
  /** Its arguments. */
  args?: string[]
  /** Added to a small safe default environment (PATH, HOME, USER, SHELL, TERM, LOGNAME). */
  env?: Record<string, string>
  /** Working directory of the child. @default the daemon's */
  cwd?: string
  /** A Streamable HTTP endpoint (http:// or https://). */
  url?: string
  /** Headers sent with every request to `url`. */
  headers?: Record<string, string>
  /** Restarts in a row before the server is marked failed (a run of 30 s resets the count). @default 5 */
  maxRestarts?: number
  /** Backoff before the first restart; doubles, with ±25% jitter. @default 500 */
  restartMinMs?: number
  /** Longest backoff between restarts. @default 30000 */
  restartMaxMs?: number
  /** `false` keeps the entry but does not start the server. @default true */
  enabled?: boolean
}

/** One access rule: the first rule whose peers and tools match a call decides it. */
export interface AccessRuleSettings {
  /** Peer IDs, or `*` for every peer. */
  peers: string[]
  /** Glob patterns on tool names (`*`, `?`, `[abc]`, `{a,b}`). */
  tools?: string[]
  /** Hosted servers: their tools (`<server>__*`), resources and prompts. */
  servers?: string[]
  action: 'allow' | 'deny'
}

/** One topic access rule: the first rule whose peers, topics and operation match decides. */
export interface TopicRuleSettings {
  /** Peer IDs, or `*` for every peer. */
  peers: string[]
  /** Glob patterns on topic names (`*` stops at `/`, `**` does not). */
  topics: string[]
  /** What the rule covers. @default ['publish', 'subscribe'] */
  operations?: Array<'publish' | 'subscribe'>
  action: 'allow' | 'deny'
}

/** `createNode()` options and `config.toml`, minus what only the daemon has (control API, gateway). */
export interface NodeSettings {
  /** This node's short name: 1–32 letters, digits, `.`, `_` or `-`. @default this host's name */
  alias?: string
  /** Multiaddrs to listen on; port 0 picks a free port. @default ['/ip4/0.0.0.0/tcp/4001'] */
  listen?: string[]
  /** Nodes to join through: full multiaddrs ending in `/p2p/<peer ID>`, redialled whenever lost. @default [] */
  bootstrap?: string[]
  /** Serve the built-in demo tools: echo, add, sleep, node_info. @default true */
  demoTools?: boolean
  /** Log level of a logger the node makes (not of one given as `logger`). @default 'info' */
  logLevel?: LogLevel
  /** How long `stop()` lets calls in flight finish before failing them. @default 5000 */
  shutdownGraceMs?: number
  /** The `/cord/mcp/1.0.0` protocol. */
  mcp?: {
    /** Largest frame accepted or sent, in bytes (at most 64 MiB). @default 4194304 */
    maxFrameBytes?: number
    /** Deadline of an outgoing call when the caller gives none. @default 30000 */
    callTimeoutMs?: number
    /** The longest a call served by this node may run, whatever its caller asks. @default 600000 */
    maxCallTimeoutMs?: number
    /** Inbound MCP streams (sessions) per connection. @default 32 */
    maxInboundStreams?: number
  }
  /** Who may connect, and who may call what. */
  access?: {
    /** The action when no rule matches. @default 'allow' */
    default?: 'allow' | 'deny'
    /** When not empty, only these peer IDs may connect. @default [] */
    allowPeers?: string[]
    /** Peer IDs that may never connect. @default [] */
    denyPeers?: string[]
    /** Rules, tried in order. @default [] */
    rules?: AccessRuleSettings[]
    /** The action on topics when no topic rule matches. @default 'allow' */
    topicDefault?: 'allow' | 'deny'
    /** Who may publish and subscribe to which topics: rules tried in order. @default [] */
    topicRules?: TopicRuleSettings[]
  }
  /** Topics and direct messages. */
  topics?: {
    /** Largest message `data`, as UTF-8 JSON, in bytes (at most 1 MiB). @default 65536 */
    maxMessageBytes?: number
    /** How long a subscriber waits for a missing earlier message before reporting a gap. @default 500 */
    reorderWindowMs?: number
    /** Deadline of a direct message when the caller gives none. @default 10000 */
    sendTimeoutMs?: number
  }
  /** Limits on incoming calls and sessions. */
  limits?: {
    /** Calls per second each peer may start (token bucket). @default 1000 */
    ratePerSec?: number
    /** Calls a peer may start at once after a pause. @default 2000 */
    burst?: number
    /** Incoming calls in flight from one peer. @default 128 */
    maxConcurrentPerPeer?: number
    /** Incoming calls in flight from all peers. @default 1024 */
    maxConcurrent?: number
    /** Inbound MCP sessions open at once. @default 1024 */
    maxSessions?: number
    /** Bytes queued for a peer that does not read, before its stream is reset. @default 16777216 */
    maxQueuedBytes?: number
  }
  /** Redialling lost bootstrap peers: from `minMs`, doubling (±25% jitter) up to `maxMs`, forever. */
  redial?: {
    /** @default 1000 */
    minMs?: number
    /** @default 30000 */
    maxMs?: number
  }
  /** Heartbeats, the peer table and connections. */
  discovery?: {
    /** How often a node publishes its heartbeat (at least 100 ms). @default 1000 */
    heartbeatIntervalMs?: number
    /** About how many heartbeats the whole mesh publishes per interval. @default 16 */
    heartbeatBudget?: number
    /** The same while the node's view of the mesh stays still (then its period stretches further). @default 4 */
    heartbeatRestBudget?: number
    /** Missed heartbeat periods after which a peer is suspect. @default 3 */
    suspectAfter?: number
    /** Missed heartbeat periods after which a peer is dead (more than `suspectAfter`). @default 6 */
    deadAfter?: number
    /** How long a peer may stay silent (dead) before it is forgotten: the table stays bounded. @default 3600000 */
    forgetAfterMs?: number
    /** Connections the node keeps to alive peers. @default 6 */
    targetConnections?: number
    /** Above this many connections libp2p closes the least valuable ones. @default 100 */
    maxConnections?: number
    /**
     * Find Cord nodes on the LAN by multicast DNS (and be found), with no bootstrap address. Runs
     * only when the node listens on an address other than loopback. @default true
     */
    mdns?: boolean
  }
  /** Circuit relay v2: serving as a relay, and the relays this node uses when it is not reachable. */
  relay?: {
    /** Serve as a relay for other nodes (a publicly reachable node should). @default false */
    server?: boolean
    /** Relays to use besides bootstrap peers that offer one: full multiaddrs, kept connected. @default [] */
    peers?: string[]
    /** A relay: clients holding a reservation at once. @default 128 */
    maxReservations?: number
    /** A relay: how long a reservation lasts (at least 60000; clients refresh it). @default 3600000 */
    reservationTtlMs?: number
    /** A relay: longest life of one relayed connection, 0 for none. @default 0 */
    maxDurationMs?: number
    /** A relay: bytes one relayed connection may carry (both ways), 0 for none. @default 0 */
    maxDataBytes?: number
  }
  /** Reachability: how the node learns whether others can dial it, and what it announces. */
  nat?: {
    /**
     * `auto` decides from AutoNAT and from the address peers see (a relay reservation is made when
     * private); `public` or `private` force it. @default 'auto'
     */
    reachability?: 'auto' | 'public' | 'private'
    /** Ask the LAN's router for a port mapping (UPnP IGD). @default false */
    upnp?: boolean
    /** Addresses to announce besides the listen addresses (a port forward, a DNS name). @default [] */
    announce?: string[]
  }
  /** MCP servers this node hosts and serves to the mesh (names unique). @default [] */
  servers?: ServerSettings[]
  /** OpenTelemetry traces of tool calls (README, Traces). Off unless an endpoint (or, in the API, span processors) is given. */
  tracing?: {
    /** An OTLP/HTTP traces endpoint (`http://127.0.0.1:4318/v1/traces`): spans are batched and sent there. @default none */
    otlpEndpoint?: string
    /** `service.name` of the spans. @default 'cord' */
    serviceName?: string
  }
  /** The metrics listener: `/health`, `/ready` and Prometheus `/metrics`. */
  metrics?: MetricsSettings
}

/** The metrics listener (see README, Observability). */
export interface MetricsSettings {
  /** @default true */
  enabled?: boolean
  /**
   * `host:port`; port 0 picks a free port. When the default port is taken (another node on the host)
   * a free port is used instead, with a warning; a port set here that is taken stops the start.
   * @default '127.0.0.1:9464'
   */
  listen?: string
  /** A non-loopback `listen` is refused unless this is set (metrics name peers and tools). @default false */
  allowRemote?: boolean
  /** Add a `peer` label (peer IDs) to per-peer metrics; off by default to keep cardinality low. @default false */
  peerLabels?: boolean
  /** Include libp2p's own metrics (connections, streams, bytes per protocol, kad-dht). @default true */
  libp2p?: boolean
}

/** The MCP gateway's Streamable HTTP endpoint. */
export interface GatewaySettingsInput {
  /** @default true */
  enabled?: boolean
  /** `host:port`; port 0 picks a free port. @default '127.0.0.1:0' */
  listen?: string
  /** A non-loopback `listen` is refused unless this is set (clients then need the token). @default false */
  allowRemote?: boolean
  /**
   * Every request needs `Authorization: Bearer <token>` with the token in `<dir>/gateway.token`; false
   * lets any local process in without it (loopback only). @default true
   */
  requireToken?: boolean
  /** Above this many tools clients get the meta-tools instead of the catalog. @default 100 */
  maxTools?: number
  /** Messages of each topic resource (`cord://topics/<name>`) kept for `resources/read`. @default 100 */
  topicHistory?: number
  /** Bytes of message data (as JSON) kept per topic resource; the newest message is always kept. @default 1048576 */
  topicHistoryBytes?: number
  /** A session with no request in flight, no event stream open and no request for this long is closed. @default 300000 */
  idleTimeoutMs?: number
  /** Most sessions open at once; beyond it the least recently used idle one is closed. @default 32 */
  maxSessions?: number
  /** Host names clients may use besides the bound address. @default [] */
  allowedHosts?: string[]
  /** Browser origins allowed besides local ones. @default [] */
  allowedOrigins?: string[]
}

/** Everything `config.toml` holds: the node's settings, the control API and the gateway. */
export interface ConfigSettings extends NodeSettings {
  /** The control API for the CLI. */
  control?: {
    /** A loopback `host:port`. @default '127.0.0.1:0' */
    listen?: string
  }
  gateway?: GatewaySettingsInput
  /** How the daemon writes its log: format on stderr, rotated files in `<dir>/logs/`. */
  log?: LogSettingsInput
}
