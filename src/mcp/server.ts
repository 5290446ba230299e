/**
 * The serving side of `/cord/mcp/1.0.0`: every inbound stream gets an MCP SDK `Server`, backed by the
 * node's tool registry. Unknown tools and arguments that fail the tool's schema are answered with
 * JSON-RPC `InvalidParams` before any handler runs.
 */
import type { Connection, Libp2p, Stream } from '@libp2p/interface'
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
} from '@modelcontextprotocol/sdk/types.js'
import { MCP_PROTOCOL, VERSION } from '../constants.ts'
import { CordError, NodeStoppingError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { InvalidToolArgumentsError, UnknownToolError } from '../registry/errors.ts'
import type { ToolRegistry } from '../registry/registry.ts'
import { StreamTransport } from './stream-transport.ts'

/** JSON-RPC error code Cord answers with when the serving node is shutting down. */
export const NODE_STOPPING_CODE = -32050

/** What the MCP service needs from the node. */
export interface McpServiceComponents {
  libp2p: Libp2p
  registry: ToolRegistry
  log: Logger
}

/** Settings of the MCP service. */
export interface McpServiceInit {
  alias: string
  maxFrameBytes: number
  maxInboundStreams: number
}

/** Serves the registry's tools to every peer that opens `/cord/mcp/1.0.0`. */
export class McpService {
  private readonly components: McpServiceComponents
  private readonly init: McpServiceInit
  private readonly sessions = new Set<Server>()
  private readonly onRegistryChange = (): void => {
    for (const server of this.sessions) void server.sendToolListChanged().catch(() => {})
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
      {
        maxInboundStreams: this.init.maxInboundStreams,
      },
    )
    this.components.registry.addEventListener('change', this.onRegistryChange)
  }

  /** Stops taking new sessions. Sessions already open keep answering until `closeSessions()`. */
  async stopAccepting(): Promise<void> {
    if (!this.running) return
    this.running = false
    this.components.registry.removeEventListener('change', this.onRegistryChange)
    await this.components.libp2p.unhandle(MCP_PROTOCOL)
  }

  /** Closes every inbound session. */
  async closeSessions(): Promise<void> {
    await Promise.allSettled([...this.sessions].map((s) => s.close()))
    this.sessions.clear()
  }

  /** How many inbound sessions are open. */
  get sessionCount(): number {
    return this.sessions.size
  }

  private async onStream(stream: Stream, connection: Connection): Promise<void> {
    const caller = connection.remotePeer.toString()
    const log = this.components.log.child({ peer: caller })
    const transport = new StreamTransport(stream, { maxFrameBytes: this.init.maxFrameBytes, log })
    const server = this.createServer(caller)
    server.onerror = (err) => log.debug({ err }, 'inbound MCP session error')
    server.onclose = () => this.sessions.delete(server)
    this.sessions.add(server)
    await server.connect(transport)
  }

  private createServer(caller: string): Server {
    const server = new Server(
      { name: 'cord', version: VERSION, title: this.init.alias },
      { capabilities: { tools: { listChanged: true } } },
    )
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: this.components.registry.list() }))
    server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
      try {
        return await this.components.registry.call(request.params.name, request.params.arguments, {
          signal: extra.signal,
          caller,
        })
      } catch (err) {
        throw toMcpError(err)
      }
    })
    return server
  }
}

/** Maps an error thrown before or around a tool call to the JSON-RPC error the caller gets. */
export function toMcpError(err: unknown): McpError {
  if (err instanceof McpError) return err
  // `data.error` names the error class, so that a Cord caller can raise the same class again.
  if (err instanceof UnknownToolError || err instanceof InvalidToolArgumentsError) {
    return new McpError(ErrorCode.InvalidParams, err.message, { error: err.name })
  }
  if (err instanceof NodeStoppingError)
    return new McpError(NODE_STOPPING_CODE, err.message, { error: err.name })
  const message =
    err instanceof CordError ? err.message : `internal error: ${(err as Error)?.message ?? String(err)}`
  return new McpError(ErrorCode.InternalError, message)
}
