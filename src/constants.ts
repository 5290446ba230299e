/**
 * Defaults and protocol identifiers, each documented once. Parts apply them with `init.x ?? DEFAULT_X`.
 */
import { createRequire } from 'node:module'

const pkg = createRequire(import.meta.url)('../package.json') as { version: string }

/** The package version, reported in MCP `serverInfo`, identify's agent version and `cord status`. */
export const VERSION: string = pkg.version

/** The libp2p stream protocol that carries MCP JSON-RPC between nodes (see protocols/mcp-stream.md). */
export const MCP_PROTOCOL = '/cord/mcp/1.0.0'

/** Largest JSON-RPC frame accepted or sent on `/cord/mcp/1.0.0`: 4 MiB. */
export const DEFAULT_MAX_FRAME_BYTES = 4 * 1024 * 1024

/** Default deadline of an outgoing call when the caller gives none. */
export const DEFAULT_CALL_TIMEOUT_MS = 30_000

/** How long `stop()` lets in-flight calls finish before aborting them. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 5_000
/** `service.name` of a node's spans (`[tracing] service_name`). */
export const DEFAULT_SERVICE_NAME = 'cord'

/** Listen address of a node started without any. */
export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/4001']

/** First delay before redialling a lost bootstrap peer; doubles up to the maximum, with jitter. */
export const DEFAULT_REDIAL_MIN_MS = 1_000

/** Longest delay between two redials of a lost bootstrap peer. Redialling never gives up. */
export const DEFAULT_REDIAL_MAX_MS = 30_000

/** Inbound `/cord/mcp/1.0.0` streams allowed per connection (one session each). */
export const DEFAULT_MAX_INBOUND_STREAMS = 32

/**
 * Malformed frames tolerated on one stream before it is reset. Each is answered with a JSON-RPC
 * error; a peer that keeps sending garbage is cut off.
 */
export const MAX_PROTOCOL_ERRORS_PER_STREAM = 16

/** The loopback address the control API listens on (port 0: any free port). */
export const DEFAULT_CONTROL_LISTEN = '127.0.0.1:0'

/** Name of the data directory's environment override. */
export const CORD_HOME_ENV = 'CORD_HOME'

/** Longest tool name common MCP clients accept. */
export const MAX_TOOL_NAME_LENGTH = 64

/** Allowed tool names: what common MCP clients accept. */
export const TOOL_NAME_PATTERN = new RegExp(`^[A-Za-z0-9_-]{1,${MAX_TOOL_NAME_LENGTH}}$`)

/** A tool's definition hash (see admission/pin.ts): 64 hex digits. */
export const DEFINITION_HASH_PATTERN = /^[0-9a-f]{64}$/

/** How long work that was aborted (calls at shutdown) gets to answer before it is left behind. */
export const ABORT_SETTLE_MS = 1_000

/** Allowed aliases: short, printable, safe in a shell and in identify's agent version. */
export const ALIAS_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/

/** Our private Kad-DHT (see protocols/kad.md). */
export const DHT_PROTOCOL = '/cord/kad/1.0.0'

/** The gossipsub topic of heartbeats (see protocols/heartbeat.md). */
export const HEARTBEAT_TOPIC = 'cord/heartbeat/1'

/** The gossipsub topic of signed catalog records (see protocols/catalog.md). */
export const CATALOG_TOPIC = 'cord/catalog/1'

/** The stream protocol that hands catalog records on, by digest or all at once (see protocols/catalog.md). */
export const CATALOG_PROTOCOL = '/cord/catalog/1.0.0'

/** The gossipsub topic of a Cord topic is this prefix and the topic's name (see protocols/topics.md). */
export const TOPIC_PREFIX = 'cord/topic/1/'

/** Longest topic name. */
export const MAX_TOPIC_NAME_LENGTH = 128

/** Allowed topic names: letters, digits, `.`, `-`, `_` and `/`. */
export const TOPIC_NAME_PATTERN = new RegExp(`^[A-Za-z0-9._/-]{1,${MAX_TOPIC_NAME_LENGTH}}$`)

/** The stream protocol of direct messages (see protocols/msg.md). */
export const MSG_PROTOCOL = '/cord/msg/1.0.0'

/** Largest `data` of a topic message or a direct message, as UTF-8 JSON: 64 KiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024

/** Room for the envelope around `data` (publisher, topic, sequence number, timestamp). */
export const ENVELOPE_OVERHEAD_BYTES = 1024

/** How long a subscriber holds a message that came before an earlier one of its publisher, before it reports a gap. */
export const DEFAULT_REORDER_WINDOW_MS = 500

/** Messages held per publisher while waiting for an earlier one; past this the gap is reported at once. */
export const MAX_REORDER_PENDING = 1024

/** Deadline of a direct message (delivery and acknowledgement) when the caller gives none. */
export const DEFAULT_SEND_TIMEOUT_MS = 10_000

/** Inbound `/cord/msg/1.0.0` streams open at once per connection. */
export const MAX_MSG_INBOUND_STREAMS = 64

/** Restarts in a row of a hosted MCP server before it is marked failed. */
export const DEFAULT_MAX_RESTARTS = 5
/** Backoff before the first restart of a hosted MCP server; doubles (with jitter) up to the maximum. */
export const DEFAULT_RESTART_MIN_MS = 500
/** Longest backoff between two restarts of a hosted MCP server. */
export const DEFAULT_RESTART_MAX_MS = 30_000

/** Default time between two heartbeats of a node. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1_000

/**
 * Heartbeat intervals a node waits before its first DHT provides of the demo tools, then as many
 * again at random: it first hears who else serves them (see protocols/kad.md), and joiners spread out.
 */
export const FIRST_PROVIDE_AFTER_INTERVALS = 3

/** Missed heartbeat intervals after which a peer is suspect. */
export const DEFAULT_SUSPECT_AFTER = 3

/** Missed heartbeat intervals after which a peer is dead. */
export const DEFAULT_DEAD_AFTER = 6

/** How long a peer may stay silent (dead) before the peer table forgets it. */
export const DEFAULT_FORGET_AFTER_MS = 60 * 60_000

/** Connections a node tries to keep to alive peers, so that gossip reaches it from the whole mesh. */
export const DEFAULT_TARGET_CONNECTIONS = 6

/**
 * Connections above which libp2p closes the least valuable ones (gossip mesh peers and bootstrap
 * peers are kept). Catalog pulls open a session to every peer whose catalog changes, so a mesh of up
 * to about this many nodes becomes a full mesh of connections; a lower bound slows catalog
 * convergence (pulls fail when their connection is pruned) — measured in `npm run bench`.
 */
export const DEFAULT_MAX_CONNECTIONS = 100

/** Clients a relay holds a reservation for at once (libp2p's default is 15). */
export const DEFAULT_RELAY_MAX_RESERVATIONS = 128
/** How long a relay reservation lasts; clients refresh theirs 5 min before it ends (1 h). */
export const DEFAULT_RELAY_RESERVATION_TTL_MS = 60 * 60_000

/** How often mDNS asks the LAN for Cord nodes (it also asks at start). */
export const MDNS_QUERY_INTERVAL_MS = 10_000

/**
 * The metrics listener (`/health`, `/ready`, `/metrics`): loopback, the port OpenTelemetry's Prometheus
 * exporter uses. A second node on the host finds it taken and falls back to a free port.
 */
export const DEFAULT_METRICS_LISTEN = '127.0.0.1:9464'

/** The MCP gateway's Streamable HTTP endpoint: loopback, a free port. */
export const DEFAULT_GATEWAY_LISTEN = '127.0.0.1:0'
/** Above this many tools, gateway clients get the meta-tools instead of the whole catalog. */
export const DEFAULT_GATEWAY_MAX_TOOLS = 100
/**
 * A gateway session with no request in flight, no event stream open and no request for this long is
 * closed. Short: most clients go away without ending their session, and a client that comes back
 * later is told to initialize a new one (HTTP 404), which SDK clients do.
 */
export const DEFAULT_GATEWAY_IDLE_TIMEOUT_MS = 5 * 60_000
/** Most gateway sessions open at once (above it the least recently used idle one is closed). */
export const DEFAULT_GATEWAY_MAX_SESSIONS = 32
/** Messages of each topic resource (`cord://topics/<name>`) the gateway keeps for `resources/read`… */
export const DEFAULT_GATEWAY_TOPIC_HISTORY = 100
/** …and at most this many bytes of their data as JSON (1 MiB; the newest message is always kept). */
export const DEFAULT_GATEWAY_TOPIC_HISTORY_BYTES = 1 << 20
/** Events each gateway session keeps for clients that resume a broken event stream (Last-Event-ID)… */
export const GATEWAY_EVENT_STORE_MAX_EVENTS = 1_000
/** …and at most this many bytes of them (1 MiB): 32 sessions hold at most 32 MiB. */
export const GATEWAY_EVENT_STORE_MAX_BYTES = 1 << 20
/** The `retry` the gateway's event streams advise: how long a client waits before it reconnects. */
export const GATEWAY_SSE_RETRY_MS = 1_000

/** Calls per second each peer may start (token bucket), and its burst. */
export const DEFAULT_RATE_PER_SEC = 1000
export const DEFAULT_BURST = 2000
/** Incoming calls in flight from one peer, and from all. */
export const DEFAULT_MAX_CONCURRENT_PER_PEER = 128
export const DEFAULT_MAX_CONCURRENT = 1024
/** Inbound MCP sessions open at once. */
export const DEFAULT_MAX_SESSIONS = 1024
/** Bytes queued for a peer that does not read, before its stream is reset. */
export const DEFAULT_MAX_QUEUED_BYTES = 16 * 1024 * 1024
/** The longest a served call may run, whatever deadline its caller sends. */
export const DEFAULT_MAX_CALL_TIMEOUT_MS = 10 * 60_000

/** About how many heartbeats the whole mesh publishes per interval (larger meshes stretch each node's period). */
export const DEFAULT_HEARTBEAT_BUDGET = 16

/** The same at rest, while nothing in the mesh changes (see protocols/heartbeat.md). */
export const DEFAULT_HEARTBEAT_REST_BUDGET = 4

/** Capacity announced in heartbeats: calls in flight at which a node counts as fully loaded. */
export const LOAD_CAPACITY = 64

/** Default bound of a DHT lookup. */
export const FIND_TIMEOUT_MS = 10_000

/** How long `start()` waits for hosted MCP servers to come up before going on without them. */
export const UPSTREAM_START_WAIT_MS = 15_000

/**
 * How long a peer that heartbeats call dead may take to answer a ping before its kept or relayed
 * connections are aborted as stale (node/stale-links.ts); at least one heartbeat interval.
 */
export const STALE_PING_TIMEOUT_MS = 5_000

/**
 * A connection that identify has not described this long after it opened is asked again, with up to
 * `IDENTIFY_AGAIN_TIMEOUT_MS`, up to `IDENTIFY_AGAIN_ATTEMPTS` times this far apart, and aborted when
 * it never gets an answer (node/unidentified.ts).
 */
export const IDENTIFY_AGAIN_AFTER_MS = 10_000
export const IDENTIFY_AGAIN_TIMEOUT_MS = 20_000
export const IDENTIFY_AGAIN_ATTEMPTS = 3

/** Longest time a dial plus the MCP handshake may take; also a keep-alive dial of a bootstrap peer. */
export const DIAL_TIMEOUT_MS = 15_000

/** The SDK's own request timeout (60 s default) is replaced by our deadline signal. */
export const NO_SDK_TIMEOUT = 2_147_483_647

/** Log levels, quietest last; `silent` turns logging off. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const

/** A log level name. */
export type LogLevel = (typeof LOG_LEVELS)[number]

/** How the daemon writes its log on stderr: `auto` is readable lines on a terminal, JSON lines otherwise. */
export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const

/** A log format name. */
export type LogFormat = (typeof LOG_FORMATS)[number]

/** Size at which the daemon's log file (`<dir>/logs/cord.N.log`) is rotated: 10 MiB. */
export const DEFAULT_LOG_MAX_SIZE = '10m'

/** Log files the daemon keeps, the one it writes included; older ones are deleted. */
export const DEFAULT_LOG_MAX_FILES = 5
