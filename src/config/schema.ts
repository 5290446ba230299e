/**
 * The schema of `config.toml` (snake_case, as operators write it) and of the options of
 * `createNode()` (camelCase, as TypeScript callers write them). See config/default.toml.
 */
import { z } from 'zod'
import type { AccessRule } from '../admission/acl.ts'
import { compileRules } from '../admission/acl.ts'
import type { CallLimits } from '../admission/limits.ts'
import {
  DEFAULT_BURST,
  DEFAULT_CALL_TIMEOUT_MS,
  DEFAULT_CONTROL_LISTEN,
  DEFAULT_DEAD_AFTER,
  DEFAULT_GATEWAY_IDLE_TIMEOUT_MS,
  DEFAULT_GATEWAY_LISTEN,
  DEFAULT_GATEWAY_MAX_SESSIONS,
  DEFAULT_GATEWAY_MAX_TOOLS,
  DEFAULT_HEARTBEAT_BUDGET,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_LISTEN,
  DEFAULT_MAX_CALL_TIMEOUT_MS,
  DEFAULT_MAX_CONCURRENT,
  DEFAULT_MAX_CONCURRENT_PER_PEER,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_INBOUND_STREAMS,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_RATE_PER_SEC,
  DEFAULT_REDIAL_MAX_MS,
  DEFAULT_REDIAL_MIN_MS,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_SUSPECT_AFTER,
  DEFAULT_TARGET_CONNECTIONS,
} from '../constants.ts'
import type { Logger } from '../logger.ts'
import type { ClientHandlers } from '../mcp/client-handlers.ts'
import { isLoopbackHost, splitHostPort } from '../util/http-listen.ts'
import {
  accessSchema,
  alias,
  hostPort,
  limitsSchema,
  listenAddr,
  logLevel,
  loopbackHostPort,
  peerAddr,
  peerIdField,
  peerPattern,
  positiveInt,
} from './fields.ts'
import { serversFileSchema, serversToSpecs, type UpstreamSpec, upstreamSpecSchema } from './servers.ts'

/** `config.toml`: every field optional; unknown fields are errors (they are usually typos). */
export const fileConfigSchema = z
  .strictObject({
    alias: alias.optional(),
    listen: z.array(listenAddr).min(1).optional(),
    bootstrap: z.array(peerAddr).optional(),
    demo_tools: z.boolean().optional(),
    log_level: logLevel.optional(),
    shutdown_grace_ms: positiveInt.optional(),
    mcp: z
      .strictObject({
        max_frame_bytes: positiveInt.max(64 * 1024 * 1024).optional(),
        call_timeout_ms: positiveInt.optional(),
        max_call_timeout_ms: positiveInt.optional(),
        max_inbound_streams: positiveInt.optional(),
      })
      .optional(),
    access: accessSchema.optional(),
    limits: limitsSchema.optional(),
    redial: z
      .strictObject({
        min_ms: positiveInt.optional(),
        max_ms: positiveInt.optional(),
      })
      .optional(),
    control: z
      .strictObject({
        listen: loopbackHostPort.optional(),
      })
      .optional(),
    gateway: z
      .strictObject({
        enabled: z.boolean().optional(),
        listen: hostPort.optional(),
        allow_remote: z.boolean().optional(),
        max_tools: positiveInt.optional(),
        idle_timeout_ms: positiveInt.optional(),
        max_sessions: positiveInt.optional(),
        allowed_hosts: z.array(z.string().min(1)).optional(),
        allowed_origins: z.array(z.url()).optional(),
      })
      .optional(),
    servers: serversFileSchema.optional(),
    discovery: z
      .strictObject({
        heartbeat_interval_ms: positiveInt.min(100).optional(),
        heartbeat_budget: positiveInt.optional(),
        suspect_after: positiveInt.optional(),
        dead_after: positiveInt.optional(),
        target_connections: positiveInt.optional(),
        max_connections: positiveInt.optional(),
      })
      .optional(),
  })
  .refine(
    (c) =>
      (c.discovery?.suspect_after ?? DEFAULT_SUSPECT_AFTER) < (c.discovery?.dead_after ?? DEFAULT_DEAD_AFTER),
    {
      message: 'discovery.suspect_after must be smaller than discovery.dead_after',
      path: ['discovery', 'suspect_after'],
    },
  )
  .refine(
    (c) => c.gateway?.listen == null || isLoopbackListen(c.gateway.listen) || c.gateway.allow_remote === true,
    {
      message:
        'a gateway on a non-loopback address is reachable from the network over plain HTTP: set gateway.allow_remote = true to accept that (clients then need the token in <dir>/gateway.token), or put TLS in front of a loopback gateway',
      path: ['gateway', 'listen'],
    },
  )
  .refine((c) => (c.redial?.min_ms ?? DEFAULT_REDIAL_MIN_MS) <= (c.redial?.max_ms ?? DEFAULT_REDIAL_MAX_MS), {
    message: 'redial.min_ms must not be larger than redial.max_ms',
    path: ['redial', 'min_ms'],
  })

/** A parsed, valid `config.toml`. */
export type FileConfig = z.infer<typeof fileConfigSchema>

/** Options of `createNode()`. Everything is optional: no `dir` means an ephemeral, in-memory node. */
export const nodeOptionsSchema = z.strictObject({
  /** Data directory: identity, peer store, control file. Omit for an ephemeral node. */
  dir: z.string().min(1).optional(),
  alias: alias.optional(),
  listen: z.array(listenAddr).optional(),
  bootstrap: z.array(peerAddr).optional(),
  demoTools: z.boolean().optional(),
  maxFrameBytes: positiveInt.optional(),
  callTimeout: positiveInt.optional(),
  maxInboundStreams: positiveInt.optional(),
  maxCallTimeout: positiveInt.optional(),
  /** Access control: who may connect, who may call what. */
  access: z
    .strictObject({
      default: z.enum(['allow', 'deny']).optional(),
      allowPeers: z.array(peerIdField).optional(),
      denyPeers: z.array(peerIdField).optional(),
      rules: z
        .array(
          z.strictObject({
            peers: z.array(peerPattern).min(1),
            tools: z.array(z.string().min(1)),
            action: z.enum(['allow', 'deny']),
          }),
        )
        .optional(),
    })
    .optional(),
  /** Limits on incoming calls and sessions. */
  limits: z
    .strictObject({
      ratePerSec: z.number().positive().optional(),
      burst: positiveInt.optional(),
      maxConcurrentPerPeer: positiveInt.optional(),
      maxConcurrent: positiveInt.optional(),
      maxSessions: positiveInt.optional(),
      maxQueuedBytes: positiveInt.optional(),
    })
    .optional(),
  /** The private network's pre-shared key (the text of a swarm.key); with `dir`, `<dir>/swarm.key` is read. */
  swarmKey: z.string().optional(),
  redialMinMs: positiveInt.optional(),
  redialMaxMs: positiveInt.optional(),
  shutdownGraceMs: positiveInt.optional(),
  logLevel: logLevel.optional(),
  heartbeatIntervalMs: positiveInt.min(20).optional(),
  heartbeatBudget: positiveInt.optional(),
  suspectAfter: positiveInt.optional(),
  deadAfter: positiveInt.optional(),
  targetConnections: positiveInt.optional(),
  maxConnections: positiveInt.optional(),
  /** MCP servers this node hosts and serves to the mesh. */
  servers: z.array(upstreamSpecSchema).optional(),
  /** Answers to requests that remote tools send back to this node's calls: sampling, elicitation, roots. */
  clientHandlers: z
    .strictObject({
      sampling: z.any().optional(),
      elicitation: z.any().optional(),
      roots: z.any().optional(),
    })
    .optional(),
  /** A pino logger to log through instead of a new one. */
  logger: z.any().optional(),
})

/** Options of `createNode()`. */
export type NodeOptions = Omit<z.input<typeof nodeOptionsSchema>, 'clientHandlers' | 'logger'> & {
  /** Answers to requests that remote tools send back to this node's calls. */
  clientHandlers?: ClientHandlers
  /** A pino logger to log through instead of a new one. */
  logger?: Logger
}

/** Node settings with every default applied. */
export interface ResolvedNodeOptions {
  dir?: string
  alias: string
  listen: string[]
  bootstrap: string[]
  demoTools: boolean
  maxFrameBytes: number
  callTimeout: number
  maxInboundStreams: number
  maxCallTimeout: number
  access: { default: 'allow' | 'deny'; allowPeers: string[]; denyPeers: string[]; rules: AccessRule[] }
  limits: CallLimits & { maxSessions: number; maxQueuedBytes: number }
  swarmKey?: string
  redialMinMs: number
  redialMaxMs: number
  shutdownGraceMs: number
  servers: UpstreamSpec[]
  heartbeatIntervalMs: number
  heartbeatBudget: number
  suspectAfter: number
  deadAfter: number
  targetConnections: number
  maxConnections: number
}

/** Settings of the MCP gateway's HTTP endpoint. */
export interface GatewaySettings {
  enabled: boolean
  listen: string
  maxTools: number
  idleTimeoutMs: number
  maxSessions: number
  allowedHosts: string[]
  allowedOrigins: string[]
}

/** Settings of the daemon around the node. */
export interface DaemonSettings {
  controlListen: string
  logLevel: z.infer<typeof logLevel>
  gateway: GatewaySettings
}

/** Whether a `host:port` is on a loopback address. */
export function isLoopbackListen(listen: string): boolean {
  return isLoopbackHost(splitHostPort(listen).host)
}

/** Turns a file config into `createNode()` options (defaults are applied later, in one place). */
export function fileConfigToOptions(config: FileConfig): NodeOptions {
  return {
    alias: config.alias,
    listen: config.listen,
    bootstrap: config.bootstrap,
    demoTools: config.demo_tools,
    maxFrameBytes: config.mcp?.max_frame_bytes,
    callTimeout: config.mcp?.call_timeout_ms,
    maxInboundStreams: config.mcp?.max_inbound_streams,
    maxCallTimeout: config.mcp?.max_call_timeout_ms,
    access:
      config.access != null
        ? {
            default: config.access.default,
            allowPeers: config.access.allow_peers,
            denyPeers: config.access.deny_peers,
            rules: config.access.rules != null ? compileRules(config.access.rules) : undefined,
          }
        : undefined,
    limits:
      config.limits != null
        ? {
            ratePerSec: config.limits.rate_per_sec,
            burst: config.limits.burst,
            maxConcurrentPerPeer: config.limits.max_concurrent_per_peer,
            maxConcurrent: config.limits.max_concurrent,
            maxSessions: config.limits.max_sessions,
            maxQueuedBytes: config.limits.max_queued_bytes,
          }
        : undefined,
    redialMinMs: config.redial?.min_ms,
    redialMaxMs: config.redial?.max_ms,
    shutdownGraceMs: config.shutdown_grace_ms,
    logLevel: config.log_level,
    servers: config.servers != null ? serversToSpecs(config.servers) : undefined,
    heartbeatIntervalMs: config.discovery?.heartbeat_interval_ms,
    heartbeatBudget: config.discovery?.heartbeat_budget,
    suspectAfter: config.discovery?.suspect_after,
    deadAfter: config.discovery?.dead_after,
    targetConnections: config.discovery?.target_connections,
    maxConnections: config.discovery?.max_connections,
  }
}

/** Applies the defaults of every node setting. */
export function resolveNodeOptions(options: NodeOptions, defaultAlias: string): ResolvedNodeOptions {
  return {
    dir: options.dir,
    alias: options.alias ?? defaultAlias,
    listen: options.listen ?? DEFAULT_LISTEN,
    bootstrap: options.bootstrap ?? [],
    demoTools: options.demoTools ?? true,
    maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
    callTimeout: options.callTimeout ?? DEFAULT_CALL_TIMEOUT_MS,
    maxInboundStreams: options.maxInboundStreams ?? DEFAULT_MAX_INBOUND_STREAMS,
    maxCallTimeout: options.maxCallTimeout ?? DEFAULT_MAX_CALL_TIMEOUT_MS,
    access: {
      default: options.access?.default ?? 'allow',
      allowPeers: options.access?.allowPeers ?? [],
      denyPeers: options.access?.denyPeers ?? [],
      rules: options.access?.rules ?? [],
    },
    limits: {
      ratePerSec: options.limits?.ratePerSec ?? DEFAULT_RATE_PER_SEC,
      burst: options.limits?.burst ?? DEFAULT_BURST,
      maxConcurrentPerPeer: options.limits?.maxConcurrentPerPeer ?? DEFAULT_MAX_CONCURRENT_PER_PEER,
      maxConcurrent: options.limits?.maxConcurrent ?? DEFAULT_MAX_CONCURRENT,
      maxSessions: options.limits?.maxSessions ?? DEFAULT_MAX_SESSIONS,
      maxQueuedBytes: options.limits?.maxQueuedBytes ?? DEFAULT_MAX_QUEUED_BYTES,
    },
    ...(options.swarmKey != null ? { swarmKey: options.swarmKey } : {}),
    redialMinMs: options.redialMinMs ?? DEFAULT_REDIAL_MIN_MS,
    redialMaxMs: options.redialMaxMs ?? DEFAULT_REDIAL_MAX_MS,
    shutdownGraceMs: options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS,
    servers: options.servers ?? [],
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS,
    heartbeatBudget: options.heartbeatBudget ?? DEFAULT_HEARTBEAT_BUDGET,
    suspectAfter: options.suspectAfter ?? DEFAULT_SUSPECT_AFTER,
    deadAfter: options.deadAfter ?? DEFAULT_DEAD_AFTER,
    targetConnections: options.targetConnections ?? DEFAULT_TARGET_CONNECTIONS,
    maxConnections: options.maxConnections ?? DEFAULT_MAX_CONNECTIONS,
  }
}

/** Daemon settings from a file config, with defaults. */
export function daemonSettings(config: FileConfig): DaemonSettings {
  return {
    controlListen: config.control?.listen ?? DEFAULT_CONTROL_LISTEN,
    logLevel: config.log_level ?? 'info',
    gateway: {
      enabled: config.gateway?.enabled ?? true,
      listen: config.gateway?.listen ?? DEFAULT_GATEWAY_LISTEN,
      maxTools: config.gateway?.max_tools ?? DEFAULT_GATEWAY_MAX_TOOLS,
      idleTimeoutMs: config.gateway?.idle_timeout_ms ?? DEFAULT_GATEWAY_IDLE_TIMEOUT_MS,
      maxSessions: config.gateway?.max_sessions ?? DEFAULT_GATEWAY_MAX_SESSIONS,
      allowedHosts: config.gateway?.allowed_hosts ?? [],
      allowedOrigins: config.gateway?.allowed_origins ?? [],
    },
  }
}
