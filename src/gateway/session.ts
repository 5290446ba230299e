/**
 * One client of the gateway: an MCP SDK `Server` over the client's transport, with what belongs to
 * that client — the tool definitions it was shown (calls are pinned to them), its logging level, its
 * view of the mesh's resources and prompts, and an origin that keeps the requests remote tools send
 * back (sampling, elicitation, roots) to its own calls.
 */
import { randomUUID } from 'node:crypto'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import {
  CallToolRequestSchema,
  type CallToolResult,
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  type LoggingLevel,
  type LoggingMessageNotification,
  McpError,
  ReadResourceRequestSchema,
  type RequestId,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { VERSION } from '../constants.ts'
import { page } from '../mcp/paging.ts'
import { serverRelay } from '../mcp/relay.ts'
import { MESH_CAPABILITIES } from '../mcp/server.ts'
import { Tracing } from '../observability/tracing.ts'
import { type GatewayCatalog, pinsOf } from './catalog.ts'
import { callFailure, unknownTool } from './failures.ts'
import { MeshListings } from './listings.ts'
import type { MeshClient } from './mesh.ts'
import { callMessagingTool, isMessagingTool, messagingTools } from './messaging-tools.ts'
import {
  CALL_TOOL,
  DESCRIBE_TOOL,
  jsonResult,
  metaTools,
  SEARCH_TOOL,
  searchTools,
  stringArg,
} from './meta-tools.ts'
import type { GatewaySubscriptions, Subscriber } from './subscriptions.ts'
import { parseTopicUri, type TopicFeeds } from './topic-feeds.ts'

/** What a session shares with the gateway. */
export interface SessionContext {
  mesh: MeshClient
  catalog: GatewayCatalog
  subscriptions: GatewaySubscriptions
  /** Topics as resources (`cord://topics/<name>`). */
  feeds: TopicFeeds
  /** Called when the session's logging level changes. */
  onLogLevel: () => void
}

/** What a tool call's request brings besides its arguments. */
interface CallExtra {
  signal: AbortSignal
  requestId: RequestId
  progressToken?: string | number
  sendProgress: (params: Record<string, unknown>) => Promise<void>
  /** The request's `_meta`: a client's trace context and call ID are continued. */
  meta?: Record<string, unknown>
}

/** One client's session. */
export class GatewaySession implements Subscriber {
  readonly server: Server
  /** The level of logging messages this client asked for. */
  logLevel?: LoggingLevel
  /** Who this client is, to the peers its calls reach (opaque, not its session ID). */
  readonly origin = randomUUID()
  private readonly context: SessionContext
  private readonly listings: MeshListings
  /** Definition hashes (peer ID → hash) of the tools as this client was shown them. */
  private readonly pins = new Map<string, Record<string, string>>()

  constructor(context: SessionContext) {
    this.context = context
    this.listings = new MeshListings(context.mesh, (peer) => context.catalog.label(peer))
    this.server = new Server(
      { name: 'cord-gateway', version: VERSION, title: `Cord mesh (${context.mesh.alias})` },
      {
        capabilities: MESH_CAPABILITIES,
        instructions:
          'The tools, resources and prompts of a Cord peer-to-peer mesh. Each tool runs on the peer its description names.',
      },
    )
    this.installTools()
    this.installCatalog()
  }

  /** Serves the client over `transport`. */
  connect(transport: Transport): Promise<void> {
    return this.server.connect(transport)
  }

  /** Tells the client that a resource it subscribed to changed. */
  resourceUpdated(uri: string): void {
    void this.server.sendResourceUpdated({ uri }).catch(() => {})
  }

  /** Sends the client a logging message of a peer, when it passes the client's level. */
  log(params: LoggingMessageNotification['params']): void {
    void this.server.sendLoggingMessage(params).catch(() => {})
  }

  private installTools(): void {
    const { server } = this
    const { catalog } = this.context
    server.setRequestHandler(ListToolsRequestSchema, (req) => {
      catalog.refresh()
      const all = catalog.metaMode
        ? metaTools(catalog.tools().length)
        : catalog
            .tools()
            // The gateway's own tools win: a mesh tool of the same name could not be called.
            .filter((t) => !isMessagingTool(t.name))
            .map((t) => {
              this.pins.set(t.name, pinsOf(t))
              return catalog.shown(t)
            })
      const { page: tools, nextCursor } = page([...all, ...messagingTools()], req.params?.cursor)
      return { tools, ...(nextCursor != null ? { nextCursor } : {}) }
    })
    server.setRequestHandler(CallToolRequestSchema, (req, extra) => {
      const meta = req.params._meta
      const token = meta?.progressToken
      const call: CallExtra = {
        signal: extra.signal,
        requestId: extra.requestId,
        ...(meta != null ? { meta } : {}),
        ...(token != null ? { progressToken: token } : {}),
        sendProgress: (params) =>
          extra.sendNotification({ method: 'notifications/progress', params } as never),
      }
      const args = req.params.arguments ?? {}
      if (isMessagingTool(req.params.name))
        return callMessagingTool(this.context.mesh, req.params.name, args, extra.signal)
      return catalog.metaMode
        ? this.meta(req.params.name, args, call)
        : this.call(req.params.name, args, call)
    })
  }

  /** The meta-tools, when the catalog is too large to show. */
  private async meta(name: string, args: Record<string, unknown>, extra: CallExtra): Promise<CallToolResult> {
    const { catalog } = this.context
    if (name === SEARCH_TOOL) {
      const query = stringArg(args, 'query', SEARCH_TOOL)
      const limit = typeof args.limit === 'number' ? args.limit : 20
      const found = searchTools(catalog.tools(), query, limit).map((t) => {
        const shown = catalog.shown(t)
        return { name: shown.name, description: shown.description }
      })
      return jsonResult({ matches: found, total: catalog.tools().length })
    }
    if (name === DESCRIBE_TOOL) {
      const wanted = stringArg(args, 'name', DESCRIBE_TOOL)
      const entry = catalog.tools().find((t) => t.name === wanted)
      if (entry == null)
        throw new McpError(
          ErrorCode.InvalidParams,
          `${DESCRIBE_TOOL}: no tool "${wanted}" in the mesh catalog (search with ${SEARCH_TOOL})`,
        )
      this.pins.set(entry.name, pinsOf(entry))
      return jsonResult({ tool: catalog.shown(entry) })
    }
    if (name === CALL_TOOL) {
      const inner = args.arguments ?? {}
      if (typeof inner !== 'object' || inner == null || Array.isArray(inner))
        throw new McpError(ErrorCode.InvalidParams, `${CALL_TOOL}: argument "arguments" must be an object`)
      return this.call(stringArg(args, 'name', CALL_TOOL), inner as Record<string, unknown>, extra)
    }
    return this.call(name, args, extra)
  }

  /** Calls the tool the client knows as `name`, among the providers it was shown. */
  private async call(name: string, args: Record<string, unknown>, extra: CallExtra): Promise<CallToolResult> {
    const trace = (this.context.mesh.tracing ?? Tracing.off).begin('gateway', name, extra.meta)
    const entry = this.context.catalog.get(name)
    if (entry == null) {
      const err = unknownTool(name)
      trace.failed(err)
      throw err
    }
    const sent: Array<Promise<void>> = []
    const token = extra.progressToken
    try {
      const result = await this.context.mesh.callTool(undefined, entry.original, args, {
        // The call goes on in this request's trace, under its call ID.
        meta: trace.meta,
        signal: extra.signal,
        among: entry.providers.map((p) => p.peerId),
        // What the client was shown is what runs: a provider whose definition changed since refuses.
        pin: this.pins.get(name) ?? pinsOf(entry),
        // Requests the tool sends back reach this client, tied to this call.
        relay: serverRelay(this.server, extra.requestId, this.origin),
        ...(token != null
          ? {
              onprogress: (p) =>
                void sent.push(extra.sendProgress({ ...p, progressToken: token }).catch(() => {})),
            }
          : {}),
      })
      trace.done(result)
      return result
    } catch (err) {
      trace.failed(err)
      if (extra.signal.aborted) throw err
      return callFailure(err)
    } finally {
      await Promise.all(sent)
    }
  }

  private installCatalog(): void {
    const { server, listings } = this
    const { feeds } = this.context
    server.setRequestHandler(ListResourcesRequestSchema, async (req) => {
      const all = [...feeds.resources(), ...(await listings.resources())]
      const { page: resources, nextCursor } = page(all, req.params?.cursor)
      return { resources, ...(nextCursor != null ? { nextCursor } : {}) }
    })
    server.setRequestHandler(ListResourceTemplatesRequestSchema, async (req) => {
      const all = [feeds.template(), ...(await listings.templates())]
      const { page: resourceTemplates, nextCursor } = page(all, req.params?.cursor)
      return { resourceTemplates, ...(nextCursor != null ? { nextCursor } : {}) }
    })
    server.setRequestHandler(ReadResourceRequestSchema, (req, extra) => {
      const topic = parseTopicUri(req.params.uri)
      return topic != null ? feeds.read(req.params.uri, topic) : listings.read(req.params.uri, extra.signal)
    })
    server.setRequestHandler(ListPromptsRequestSchema, async (req) => {
      const { page: prompts, nextCursor } = page(await listings.prompts(), req.params?.cursor)
      return { prompts, ...(nextCursor != null ? { nextCursor } : {}) }
    })
    server.setRequestHandler(GetPromptRequestSchema, (req, extra) =>
      listings.getPrompt(req.params.name, req.params.arguments ?? {}, extra.signal),
    )
    server.setRequestHandler(CompleteRequestSchema, (req, extra) =>
      listings.complete(req.params, extra.signal),
    )
    const { subscriptions } = this.context
    server.setRequestHandler(SubscribeRequestSchema, async (req, extra) => {
      const uri = req.params.uri
      const topic = parseTopicUri(uri)
      if (topic != null) {
        feeds.subscribe(this, topic)
        return {}
      }
      await listings.onResource(uri, extra.signal, (peer, inner) =>
        subscriptions.subscribe(this, uri, peer, inner, extra.signal),
      )
      return {}
    })
    server.setRequestHandler(UnsubscribeRequestSchema, (req) => {
      const topic = parseTopicUri(req.params.uri)
      if (topic != null) feeds.unsubscribe(this, topic)
      else subscriptions.unsubscribe(this, req.params.uri)
      return {}
    })
    server.setRequestHandler(SetLevelRequestSchema, (req) => {
      this.logLevel = req.params.level
      this.context.onLogLevel()
      return {}
    })
  }
}
