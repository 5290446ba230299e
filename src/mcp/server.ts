/**
 * The serving side of `/cord/mcp/1.0.0`: every inbound stream gets an MCP SDK `Server`, backed by the
 * node's tool registry. Unknown tools and arguments that fail the tool's schema are answered with
 * JSON-RPC `InvalidParams` before any handler runs.
 */
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import {
  CallToolRequestSchema,
  ListToolsRequestSchema,
  type LoggingLevel,
  type ServerCapabilities,
  type ServerNotification,
} from '@modelcontextprotocol/sdk/types.js'
import type { Admission } from '../admission/admission.ts'
import { MCP_PROTOCOL, VERSION } from '../constants.ts'
import { AccessDeniedError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { CallObserver } from '../observability/calls.ts'
import type { Tracing } from '../observability/tracing.ts'
import type { ToolRegistry } from '../registry/registry.ts'
import {
  type HostedCatalog,
  installCatalogHandlers,
  passesLevel,
  type SessionInterest,
} from './catalog-handlers.ts'
import { flowCapability } from './flow.ts'
import { page } from './paging.ts'
import { RelatedTransport } from './related.ts'
import { toMcpError } from './rpc-errors.ts'
import { serveCall } from './serve-call.ts'
import { StreamTransport } from './stream-transport.ts'

/**
 * What Cord's MCP servers advertise — the serving side of /cord/mcp/1.0.0 and the gateway alike: a
 * client sees the same protocol surface whichever it talks to.
 */
export const MESH_CAPABILITIES = {
  tools: { listChanged: true },
  resources: { subscribe: true, listChanged: true },
  prompts: { listChanged: true },
  completions: {},
  logging: {},
} as const satisfies ServerCapabilities

/** What the MCP service needs from the node. */
export interface McpServiceComponents {
  libp2p: Libp2p
  registry: ToolRegistry
  /** The hosted MCP servers, when the node has any. */
  hub?: HostedCatalog
  admission: Admission
  /** Spans of served calls (see serve-call.ts). */
  tracing?: Tracing
  log: Logger
  /** Counts the calls served (metrics). */
  observer?: CallObserver
}

/** Settings of the MCP service. */
export interface McpServiceInit {
  alias: string
  maxFrameBytes: number
  /** Inbound `/cord/mcp/1.0.0` streams per connection. */
  maxInboundStreams: number
  /** Inbound sessions open at once, from all peers. */
  maxSessions: number
  /** Bytes queued for a peer that does not read before its stream is reset. */
  maxQueuedBytes: number
}

interface InboundSession {
  server: Server
  interest: SessionInterest
}

/** Serves the node's catalog to every peer that opens `/cord/mcp/1.0.0`. */
export class McpService {
  private readonly components: McpServiceComponents
  private readonly init: McpServiceInit
  private readonly sessions = new Set<InboundSession>()
  private readonly onToolsChange = (): void => {
    for (const { server } of this.sessions) void server.sendToolListChanged().catch(() => {})
  }
  private readonly onCatalogChange = (): void => {
    for (const { server } of this.sessions) {
      void server.sendResourceListChanged().catch(() => {})
      void server.sendPromptListChanged().catch(() => {})
    }
  }
  private readonly onNotification = (
    evt: CustomEvent<{ method: string; params: Record<string, unknown> }>,
  ): void => {
    this.forward(evt.detail.method, evt.detail.params)
  }
  private running = false

  constructor(components: McpServiceComponents, init: McpServiceInit) {
    this.components = components
    this.init = init
  }

  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    await this.components.libp2p.handle(
      MCP_PROTOCOL,
      (stream, connection) => this.onStream(stream, connection),
      // Also over a relayed connection that its relay limits (duration, data): see README, Across networks.
      { maxInboundStreams: this.init.maxInboundStreams, runOnLimitedConnection: true },
    )
    this.components.registry.addEventListener('change', this.onToolsChange)
    this.components.hub?.addEventListener('change', this.onCatalogChange)
    this.components.hub?.addEventListener('notification', this.onNotification)
  }

  /** Stops taking new sessions. Sessions already open keep answering until `closeSessions()`. */
  async stopAccepting(): Promise<void> {
    if (!this.running) return
    this.running = false
    this.components.registry.removeEventListener('change', this.onToolsChange)
    this.components.hub?.removeEventListener('change', this.onCatalogChange)
    this.components.hub?.removeEventListener('notification', this.onNotification)
    await this.components.libp2p.unhandle(MCP_PROTOCOL)
  }

  /** Closes every inbound session. */
  async closeSessions(): Promise<void> {
    await Promise.allSettled([...this.sessions].map((s) => s.server.close()))
    this.sessions.clear()
  }

  /** How many inbound sessions are open. */
  get sessionCount(): number {
    return this.sessions.size
  }

  /** Forwards a hosted server's logging message or resource update to the sessions that asked for it. */
  private forward(method: string, params: Record<string, unknown>): void {
    for (const { server, interest } of this.sessions) {
      const wanted =
        method === 'notifications/resources/updated'
          ? interest.subscriptions.has(String(params.uri))
          : method === 'notifications/message' && passesLevel(params.level as LoggingLevel, interest.logLevel)
      if (wanted) void server.notification({ method, params } as ServerNotification).catch(() => {})
    }
  }

  /** Unsubscribes the hosted server from resource `uri` once no session wants to hear about it. */
  private release(uri: string): void {
    if ([...this.sessions].some((s) => s.interest.subscriptions.has(uri))) return
    try {
      const upstream = this.components.hub?.routeResource(uri)
      if (upstream?.capabilities?.resources?.subscribe !== true) return
      void upstream
        .connected()
        .unsubscribeResource({ uri })
        .catch(() => {})
    } catch {
      // The resource or its server is gone: nothing to unsubscribe.
    }
  }

  /** Serves a session to this node itself, over an in-memory transport (calls with this node as target). */
  async serveLocal(transport: Transport): Promise<void> {
    await this.serve(
      new RelatedTransport(transport, 'server'),
      'local',
      this.components.log.child({ peer: 'local' }),
    )
  }

  private async onStream(stream: Stream, connection: Connection): Promise<void> {
    const caller = connection.remotePeer.toString()
    const log = this.components.log.child({ peer: caller })
    if (this.sessions.size >= this.init.maxSessions) {
      log.warn({ limit: this.init.maxSessions }, 'inbound MCP session refused: too many sessions')
      stream.abort(new Error(`too many MCP sessions (limit ${this.init.maxSessions})`))
      return
    }
    await this.serve(
      new StreamTransport(stream, {
        maxFrameBytes: this.init.maxFrameBytes,
        maxQueuedBytes: this.init.maxQueuedBytes,
        log,
        role: 'server',
      }),
      caller,
      log,
    )
  }

  private async serve(transport: Transport, caller: string, log: Logger): Promise<void> {
    const session: InboundSession = {
      server: this.createServer(caller),
      interest: { subscriptions: new Set(), released: (uri) => this.release(uri) },
    }
    const { policy } = this.components.admission
    installCatalogHandlers(session.server, this.components.hub, session.interest, {
      allows: (server) => policy.allowsServer(caller, server),
      refuse: (server) => {
        log.warn({ caller, server }, 'request refused by the access rules')
        return toMcpError(
          new AccessDeniedError(
            `refused: the access rules of this node do not let peer ${caller} use server "${server}"`,
          ),
        )
      },
    })
    session.server.onerror = (err) => log.debug({ err }, 'inbound MCP session error')
    session.server.onclose = () => {
      this.sessions.delete(session)
      for (const uri of session.interest.subscriptions) this.release(uri)
    }
    this.sessions.add(session)
    await session.server.connect(transport)
  }

  private createServer(caller: string): Server {
    const server = new Server(
      { name: 'cord', version: VERSION, title: this.init.alias },
      {
        capabilities: {
          ...MESH_CAPABILITIES,
          experimental: flowCapability(this.components.admission.limiter.perPeer),
        },
      },
    )
    server.setRequestHandler(ListToolsRequestSchema, (request) => {
      const visible = this.components.admission.visible(caller, this.components.registry.list())
      const { page: tools, nextCursor } = page(visible, request.params?.cursor)
      return { tools, ...(nextCursor != null ? { nextCursor } : {}) }
    })
    // Registered as Protocol registers it: `Server` wraps a tools/call handler to parse the request a
    // second time and then the result, about 5% of a serving node's CPU per call. Protocol parses the
    // request once; serveCall checks the result (checkResult).
    const register: Server['setRequestHandler'] = Protocol.prototype.setRequestHandler
    register.call(server, CallToolRequestSchema, (request, extra) =>
      serveCall(this.components, server, caller, request, extra),
    )
    return server
  }
}
