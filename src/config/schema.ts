/**
 * The one schema of a node's settings: camelCase, with every default. `createNode()` options go
 * through `nodeSettingsSchema`; `config.toml` is mapped key by key (snake_case → camelCase, load.ts)
 * into `configSchema`, which is the same fields plus the daemon's control API and gateway. So every
 * check applies to both, and a schema's output type is the resolved settings.
 */
import { hostname } from 'node:os'
import { z } from 'zod'
import {
  ALIAS_PATTERN,
  DEFAULT_BURST,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_CONTROL_LISTEN,
  DEFAULT_DEAD_AFTER,
  DEFAULT_FORGET_AFTER_MS,
  DEFAULT_GATEWAY_IDLE_TIMEOUT_MS,
  DEFAULT_GATEWAY_LISTEN,
  DEFAULT_GATEWAY_MAX_SESSIONS,
  DEFAULT_GATEWAY_MAX_TOOLS,
  DEFAULT_GATEWAY_TOPIC_HISTORY,
  DEFAULT_GATEWAY_TOPIC_HISTORY_BYTES,
  DEFAULT_HEARTBEAT_BUDGET,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_HEARTBEAT_REST_BUDGET,
  DEFAULT_LISTEN,
  DEFAULT_MAX_CALL_TIMEOUT_MS,
  DEFAULT_MAX_CONCURRENT,
  DEFAULT_MAX_CONCURRENT_PER_PEER,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_INBOUND_STREAMS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_METRICS_LISTEN,
  DEFAULT_RATE_PER_SEC,
  DEFAULT_REDIAL_MAX_MS,
  DEFAULT_REDIAL_MIN_MS,
  DEFAULT_RELAY_MAX_RESERVATIONS,
  DEFAULT_RELAY_RESERVATION_TTL_MS,
  DEFAULT_REORDER_WINDOW_MS,
  DEFAULT_SEND_TIMEOUT_MS,
  DEFAULT_SERVICE_NAME,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_SUSPECT_AFTER,
  DEFAULT_TARGET_CONNECTIONS,
} from '../constants.ts'
import { isLoopbackHost, splitHostPort } from '../util/http-listen.ts'
import {
  alias,
  announceAddr,
  hostPort,
  limitInt,
  listenAddr,
  logLevel,
  loopbackHostPort,
  peerAddr,
  peerIdField,
  peerPattern,
  positiveInt,
} from './fields.ts'
import { logSchema } from './log.ts'
import type { ConfigSettings, NodeSettings } from './options.ts'
import { serversSchema } from './servers.ts'

/** A usable default alias: this host's name, trimmed to what aliases allow. */
export function defaultAlias(): string {
  const name =
    hostname()
      .split('.')[0]
      ?.replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 32) ?? ''
  return ALIAS_PATTERN.test(name) ? name : 'cord'
}

/** A section of settings: absent means every default (`prefault` runs the defaults of its fields). */
function section<T extends z.core.$ZodLooseShape>(shape: T) {
  // Every field of a section has a default, so {} is a valid input; zod cannot see that of a generic shape.
  return z.strictObject(shape).prefault({} as never)
}

const accessRule = z
  .strictObject({
    peers: z.array(peerPattern).min(1),
    tools: z.array(z.string().min(1)).optional(),
    servers: z.array(z.string().min(1)).optional(),
    action: z.enum(['allow', 'deny']),
  })
  .refine((r) => (r.tools?.length ?? 0) + (r.servers?.length ?? 0) > 0, {
    message: 'a rule needs tools (glob patterns) or servers (hosted server names)',
  })

const topicRule = z.strictObject({
  peers: z.array(peerPattern).min(1),
  topics: z.array(z.string().min(1)).min(1),
  operations: z
    .array(z.enum(['publish', 'subscribe']))
    .min(1)
    .default(['publish', 'subscribe']),
  action: z.enum(['allow', 'deny']),
})

/** The fields of the node's settings (see `NodeSettings` for what each means). */
const nodeShape = {
  alias: alias.default(defaultAlias),
  listen: z.array(listenAddr).min(1).default(DEFAULT_LISTEN),
  bootstrap: z.array(peerAddr).default([]),
  demoTools: z.boolean().default(true),
  logLevel: logLevel.default('info'),
  shutdownGraceMs: positiveInt.default(DEFAULT_SHUTDOWN_GRACE_MS),
  mcp: section({
    maxFrameBytes: positiveInt.max(64 * 1024 * 1024).default(DEFAULT_MAX_FRAME_BYTES),
    callTimeoutMs: positiveInt.default(DEFAULT_CALL_TIMEOUT_MS),
    maxCallTimeoutMs: positiveInt.default(DEFAULT_MAX_CALL_TIMEOUT_MS),
    maxInboundStreams: positiveInt.default(DEFAULT_MAX_INBOUND_STREAMS),
  }),
  access: section({
    default: z.enum(['allow', 'deny']).default('allow'),
    allowPeers: z.array(peerIdField).default([]),
    denyPeers: z.array(peerIdField).default([]),
    rules: z.array(accessRule).default([]),
    topicDefault: z.enum(['allow', 'deny']).default('allow'),
    topicRules: z.array(topicRule).default([]),
  }),
  topics: section({
    maxMessageBytes: positiveInt.max(1024 * 1024).default(DEFAULT_MAX_MESSAGE_BYTES),
    reorderWindowMs: positiveInt.default(DEFAULT_REORDER_WINDOW_MS),
    sendTimeoutMs: positiveInt.default(DEFAULT_SEND_TIMEOUT_MS),
  }),
  limits: section({
    ratePerSec: z.number().positive().default(DEFAULT_RATE_PER_SEC),
    burst: positiveInt.default(DEFAULT_BURST),
    maxConcurrentPerPeer: positiveInt.default(DEFAULT_MAX_CONCURRENT_PER_PEER),
    maxConcurrent: positiveInt.default(DEFAULT_MAX_CONCURRENT),
    maxSessions: positiveInt.default(DEFAULT_MAX_SESSIONS),
    maxQueuedBytes: positiveInt.default(DEFAULT_MAX_QUEUED_BYTES),
  }),
  redial: section({
    minMs: positiveInt.default(DEFAULT_REDIAL_MIN_MS),
    maxMs: positiveInt.default(DEFAULT_REDIAL_MAX_MS),
  }),
  discovery: section({
    heartbeatIntervalMs: positiveInt.min(100).default(DEFAULT_HEARTBEAT_INTERVAL_MS),
    heartbeatBudget: positiveInt.default(DEFAULT_HEARTBEAT_BUDGET),
    heartbeatRestBudget: positiveInt.default(DEFAULT_HEARTBEAT_REST_BUDGET),
    suspectAfter: positiveInt.default(DEFAULT_SUSPECT_AFTER),
    deadAfter: positiveInt.default(DEFAULT_DEAD_AFTER),
    forgetAfterMs: positiveInt.default(DEFAULT_FORGET_AFTER_MS),
    targetConnections: positiveInt.default(DEFAULT_TARGET_CONNECTIONS),
    maxConnections: positiveInt.default(DEFAULT_MAX_CONNECTIONS),
    mdns: z.boolean().default(true),
  }),
  relay: section({
    server: z.boolean().default(false),
    peers: z.array(peerAddr).default([]),
    maxReservations: positiveInt.default(DEFAULT_RELAY_MAX_RESERVATIONS),
    reservationTtlMs: positiveInt.min(60_000).default(DEFAULT_RELAY_RESERVATION_TTL_MS),
    maxDurationMs: limitInt.default(0),
    maxDataBytes: limitInt.default(0),
  }),
  nat: section({
    reachability: z.enum(['auto', 'public', 'private']).default('auto'),
    upnp: z.boolean().default(false),
    announce: z.array(announceAddr).default([]),
  }),
  servers: serversSchema.default([]),
  tracing: section({
    otlpEndpoint: z
      .url({
        protocol: /^https?$/,
        message: 'expected an http:// or https:// URL (an OTLP/HTTP traces endpoint)',
      })
      .optional(),
    serviceName: z.string().min(1).max(128).default(DEFAULT_SERVICE_NAME),
  }),
  metrics: section({
    enabled: z.boolean().default(true),
    listen: hostPort.default(DEFAULT_METRICS_LISTEN),
    allowRemote: z.boolean().default(false),
    peerLabels: z.boolean().default(false),
    libp2p: z.boolean().default(true),
  }),
}

type NodeFields = z.output<z.ZodObject<typeof nodeShape>>

/**
 * Checks across fields. Messages name other fields as `{section.field}`: the formatter writes them as
 * the reader wrote them (snake_case for a file, camelCase for the API).
 */
function checkNode(c: NodeFields, ctx: z.core.$RefinementCtx): void {
  if (c.discovery.suspectAfter >= c.discovery.deadAfter)
    ctx.addIssue({
      code: 'custom',
      message: 'must be smaller than {discovery.deadAfter}',
      path: ['discovery', 'suspectAfter'],
    })
  if (c.redial.minMs > c.redial.maxMs)
    ctx.addIssue({
      code: 'custom',
      message: 'must not be larger than {redial.maxMs}',
      path: ['redial', 'minMs'],
    })
  if (c.metrics.enabled && !isLoopbackListen(c.metrics.listen) && !c.metrics.allowRemote)
    ctx.addIssue({
      code: 'custom',
      message:
        'metrics on a non-loopback address are readable by anyone on the network (they name peers and tools): set {metrics.allowRemote} = true to accept that, or listen on loopback',
      path: ['metrics', 'listen'],
    })
}

/** The node's settings, as `createNode()` takes them (with `dir`, `logger` and the like beside). */
export const nodeSettingsSchema = z.strictObject(nodeShape).superRefine(checkNode)

/** The daemon's gateway, as `[gateway]` holds it. */
const gatewaySchema = section({
  enabled: z.boolean().default(true),
  listen: hostPort.default(DEFAULT_GATEWAY_LISTEN),
  allowRemote: z.boolean().default(false),
  requireToken: z.boolean().default(true),
  maxTools: positiveInt.default(DEFAULT_GATEWAY_MAX_TOOLS),
  topicHistory: positiveInt.default(DEFAULT_GATEWAY_TOPIC_HISTORY),
  topicHistoryBytes: positiveInt.default(DEFAULT_GATEWAY_TOPIC_HISTORY_BYTES),
  idleTimeoutMs: positiveInt.default(DEFAULT_GATEWAY_IDLE_TIMEOUT_MS),
  maxSessions: positiveInt.default(DEFAULT_GATEWAY_MAX_SESSIONS),
  allowedHosts: z.array(z.string().min(1)).default([]),
  allowedOrigins: z.array(z.url()).default([]),
})

/** Everything `config.toml` holds. */
export const configSchema = z
  .strictObject({
    ...nodeShape,
    control: section({ listen: loopbackHostPort.default(DEFAULT_CONTROL_LISTEN) }),
    gateway: gatewaySchema,
    log: logSchema,
  })
  .superRefine(checkNode)
  .superRefine((c, ctx) => {
    if (!isLoopbackListen(c.gateway.listen) && !c.gateway.requireToken)
      ctx.addIssue({
        code: 'custom',
        message:
          'a gateway on a non-loopback address always needs its token: remove require_token = false, or listen on loopback',
        path: ['gateway', 'requireToken'],
      })
    if (!isLoopbackListen(c.gateway.listen) && !c.gateway.allowRemote)
      ctx.addIssue({
        code: 'custom',
        message:
          'a gateway on a non-loopback address is reachable from the network over plain HTTP: set {gateway.allowRemote} = true to accept that (clients then need the token in <dir>/gateway.token), or put TLS in front of a loopback gateway',
        path: ['gateway', 'listen'],
      })
  })

/** A node's settings with every default applied. */
export type ResolvedNodeSettings = z.output<typeof nodeSettingsSchema>

/** A config file's settings with every default applied. */
export type ResolvedConfig = z.output<typeof configSchema>

/** The gateway's settings with every default applied. */
export type GatewaySettings = ResolvedConfig['gateway']

/** One access rule, as the schema gives it. */
export type AccessRule = ResolvedNodeSettings['access']['rules'][number]

/** One topic access rule, as the schema gives it. */
export type TopicRule = ResolvedNodeSettings['access']['topicRules'][number]

/** The metrics listener's settings with every default applied. */
export type MetricsConfig = ResolvedNodeSettings['metrics']

/** A hosted MCP server, as the schema gives it. */
export type ServerSpec = ResolvedNodeSettings['servers'][number]

// The documented interfaces and the schemas accept the same input: a field added to one but not the
// other fails the build here.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false
/** The shape of a type with every field required, down to the leaves: extra or missing fields differ. */
type Shape<T> = T extends readonly (infer E)[]
  ? Shape<E>[]
  : T extends object
    ? { [K in keyof T]-?: Shape<NonNullable<T[K]>> }
    : T
type Matches<A, B> = Same<A, B> extends true ? Same<Shape<A>, Shape<B>> : false
const nodeInputMatches: Matches<z.input<typeof nodeSettingsSchema>, NodeSettings> = true
const configInputMatches: Matches<z.input<typeof configSchema>, ConfigSettings> = true
void nodeInputMatches
void configInputMatches

/** Whether a `host:port` is on a loopback address. */
export function isLoopbackListen(listen: string): boolean {
  return isLoopbackHost(splitHostPort(listen).host)
}
