/**
 * The serving side of `/cord/mcp/1.0.0`: every inbound stream gets an MCP SDK `Server`, backed by the
 * node's tool registry. Unknown tools and arguments that fail the tool's schema are answered with
 * JSON-RPC `InvalidParams` before any handler runs.
 */
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
  type LoggingLevel,
  McpError,
  type ServerNotification,
} from '@modelcontextprotocol/sdk/types.js'
import type { Admission, Admitted } from '../admission/admission.ts'
import { MCP_PROTOCOL, VERSION } from '../constants.ts'
import { AccessDeniedError, CallTimeoutError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { ToolRegistry } from '../registry/registry.ts'
import type { ProgressUpdate } from '../registry/types.ts'
import {
  type HostedCatalog,
  installCatalogHandlers,
  passesLevel,
  type SessionInterest,
} from './catalog-handlers.ts'
import { flowCapability } from './flow.ts'
import { page } from './paging.ts'
import { ORIGIN_META, RelatedTransport } from './related.ts'
import { serverRelay } from './relay.ts'
import { toMcpError } from './rpc-errors.ts'
import { StreamTransport } from './stream-transport.ts'

/** What the MCP service needs from the node. */
export interface McpServiceComponents {
  libp2p: Libp2p
  registry: ToolRegistry
  /** The hosted MCP servers, when the node has any. */
  hub?: HostedCatalog
  admission: Admission
  log: Logger
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
      interest: { subscriptions: new Set() },
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
    session.server.onclose = () => this.sessions.delete(session)
    this.sessions.add(session)
    await session.server.connect(transport)
  }

  private createServer(caller: string): Server {
    const server = new Server(
      { name: 'cord', version: VERSION, title: this.init.alias },
      {
        capabilities: {
          tools: { listChanged: true },
          resources: { subscribe: true, listChanged: true },
          prompts: { listChanged: true },
          completions: {},
          logging: {},
          experimental: flowCapability(this.components.admission.limiter.perPeer),
        },
      },
    )
    server.setRequestHandler(ListToolsRequestSchema, (request) => {
      const visible = this.components.admission.visible(caller, this.components.registry.list())
      const { page: tools, nextCursor } = page(visible, request.params?.cursor)
      return { tools, ...(nextCursor != null ? { nextCursor } : {}) }
    })
    server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
      const token = request.params._meta?.progressToken
      // Progress notifications go out before the result: a caller drops progress after the result.
      const sent: Array<Promise<void>> = []
      const progress = (update: ProgressUpdate): void => {
        if (token == null) return
        const params = { progressToken: token, ...update }
        sent.push(extra.sendNotification({ method: 'notifications/progress', params }).catch(() => {}))
      }
      const name = request.params.name
      let admitted: Admitted
      try {
        const tool = this.components.registry.get(name)
        admitted = this.components.admission.admitCall(caller, name, tool, request.params._meta)
      } catch (err) {
        throw toMcpError(err)
      }
      // The caller's deadline (capped by the node's maximum) aborts the handler when it passes. One
      // timer and one controller per call (AbortSignal.timeout/any would keep every timer alive).
      const controller = new AbortController()
      let late = false
      const timer = setTimeout(() => {
        late = true
        controller.abort(new Error(`deadline of ${admitted.deadlineMs} ms passed`))
      }, admitted.deadlineMs)
      const onCancel = (): void => controller.abort(extra.signal.reason)
      extra.signal.addEventListener('abort', onCancel, { once: true })
      const deadlineError = (): McpError =>
        toMcpError(
          new CallTimeoutError(
            `the call of "${name}" passed its deadline of ${admitted.deadlineMs} ms at the serving node`,
          ),
        )
      try {
        const result = await this.components.registry.call(name, request.params.arguments, {
          signal: controller.signal,
          caller,
          ...(token != null ? { progress } : {}),
          relay: serverRelay(server, extra.requestId, originOf(caller, request.params._meta)),
        })
        await Promise.all(sent)
        // A handler that answers its aborted signal with a result still ran out of time.
        if (late && !extra.signal.aborted) throw deadlineError()
        return result
      } catch (err) {
        if (late && !extra.signal.aborted) throw err instanceof McpError ? err : deadlineError()
        throw toMcpError(err)
      } finally {
        clearTimeout(timer)
        extra.signal.removeEventListener('abort', onCancel)
        admitted.release()
      }
    })
    return server
  }
}

/**
 * Who a call's caller is: the calling peer, and what that peer says of the caller behind it
 * (`_meta["cord/origin"]`, a gateway client).
 */
function originOf(caller: string, meta: Record<string, unknown> | undefined): string {
  const behind = meta?.[ORIGIN_META]
  return typeof behind === 'string' ? `${caller}/${behind.slice(0, 128)}` : caller
}
