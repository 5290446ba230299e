/**
 * The MCP gateway: one MCP server per client session (stdio through `cord mcp`, Streamable HTTP, or
 * any SDK transport) that shows the tools, resources and prompts of the whole mesh as one server and
 * routes each request across the mesh. Progress, cancellation, logging and the requests a remote
 * tool sends back (sampling, elicitation, roots) pass through to the client.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import {
  type CallToolResult,
  ErrorCode,
  type LoggingLevel,
  McpError,
  type RequestId,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js'
import { definitionHash } from '../admission/pin.ts'
import { NO_SDK_TIMEOUT, VERSION } from '../constants.ts'
import type { Logger } from '../logger.ts'
import { passesLevel, SEVERITY } from '../mcp/catalog-handlers.ts'
import type { ClientHandlers } from '../mcp/client-handlers.ts'
import type { CordNode } from '../node/node.ts'
import { callFailure, unknownTool } from './failures.ts'
import { installHandlers } from './handlers.ts'
import { type Named, nameItems, peerLabels, servedBy, stableJson } from './names.ts'

/** Settings of the gateway. */
export interface GatewayInit {
  /** Above this many tools, clients see the meta-tools instead of the catalog. */
  maxTools: number
}

/** One client's session. */
export interface GatewaySession {
  server: Server
  logLevel?: LoggingLevel
  /** Definition hashes (peer ID → hash) of the tools as this client was shown them: calls are pinned to them. */
  pins: Map<string, Record<string, string>>
}

/** A call in flight through the gateway, to which requests from the serving peer are relayed. */
interface InFlight {
  providers: Set<string>
  session: GatewaySession
  requestId: RequestId
}

/** The definition hash of each provider's tool. */
function pinsOf(entry: Named<Tool>): Record<string, string> {
  return Object.fromEntries([...entry.items].map(([peer, tool]) => [peer, definitionHash(tool)]))
}

/** The gateway of one node. */
export class Gateway {
  readonly node: CordNode
  readonly init: GatewayInit
  private readonly log: Logger
  private readonly sessions = new Set<GatewaySession>()
  private readonly inFlight: InFlight[] = []
  private named: Array<Named<Tool>> = []
  private byName = new Map<string, Named<Tool>>()
  private labels = new Map<string, string>()
  private fingerprint = ''
  private debounce?: ReturnType<typeof setTimeout>

  constructor(node: CordNode, init: GatewayInit, log: Logger) {
    this.node = node
    this.init = init
    this.log = log
    // Before the node's first session opens: the sessions declare what the gateway relays.
    node.setClientHandlers(this.relayHandlers())
    node.addEventListener('catalog', this.onCatalog)
    node.addEventListener('log-message', this.onLogMessage)
    this.refresh()
  }

  /** Serves one client over `transport`. */
  async connect(transport: Transport): Promise<GatewaySession> {
    const server = new Server(
      { name: 'cord-gateway', version: VERSION, title: `Cord mesh (${this.node.alias})` },
      {
        capabilities: { tools: { listChanged: true }, resources: {}, prompts: {}, logging: {} },
        instructions:
          'The tools, resources and prompts of a Cord peer-to-peer mesh. Each tool runs on the peer its description names.',
      },
    )
    const session: GatewaySession = { server, pins: new Map() }
    installHandlers(this, session)
    server.onclose = () => {
      this.sessions.delete(session)
      this.applyLogLevel()
    }
    server.onerror = (err) => this.log.debug({ err }, 'gateway session error')
    this.sessions.add(session)
    await server.connect(transport)
    return session
  }

  /** Number of open client sessions. */
  get sessionCount(): number {
    return this.sessions.size
  }

  /** Closes every client session and stops listening to the node. */
  async close(): Promise<void> {
    clearTimeout(this.debounce)
    this.node.removeEventListener('catalog', this.onCatalog)
    this.node.removeEventListener('log-message', this.onLogMessage)
    await Promise.allSettled([...this.sessions].map((s) => s.server.close()))
  }

  /** The mesh catalog under the gateway's names. */
  tools(): Array<Named<Tool>> {
    return this.named
  }

  /** Whether clients get the meta-tools rather than the catalog. */
  get metaMode(): boolean {
    return this.named.length > this.init.maxTools
  }

  /** The tool definition a client sees for `entry`. */
  shown(entry: Named<Tool>): Tool {
    const where = servedBy(entry.providers, this.labels)
    const description =
      entry.item.description != null ? `${entry.item.description}\n\n(${where})` : `(${where})`
    return {
      ...entry.item,
      name: entry.name,
      description,
      _meta: {
        ...entry.item._meta,
        'cord/tool': entry.original,
        'cord/providers': entry.providers.map((p) => p.peerId),
      },
    }
  }

  /** Pins `entry` for `session` at the definitions it was shown now. */
  pin(session: GatewaySession, entry: Named<Tool>): void {
    session.pins.set(entry.name, pinsOf(entry))
  }

  /** The label of a peer in names and descriptions. */
  label(peerId: string): string {
    return this.labels.get(peerId) ?? peerId.slice(-8)
  }

  /** Calls the tool the client knows as `name`. */
  async call(
    session: GatewaySession,
    name: string,
    args: Record<string, unknown>,
    extra: {
      signal: AbortSignal
      requestId: RequestId
      progressToken?: string | number
      sendProgress: (params: Record<string, unknown>) => Promise<void>
    },
  ): Promise<CallToolResult> {
    // The names are kept fresh by catalog events; a name not seen yet may be newer than the last one.
    let entry = this.byName.get(name)
    if (entry == null) {
      this.refresh()
      entry = this.byName.get(name)
    }
    if (entry == null) throw unknownTool(name)
    const flight: InFlight = {
      providers: new Set(entry.providers.map((p) => p.peerId)),
      session,
      requestId: extra.requestId,
    }
    this.inFlight.push(flight)
    const sent: Array<Promise<void>> = []
    const token = extra.progressToken
    try {
      return await this.node.callTool(undefined, entry.original, args, {
        signal: extra.signal,
        among: [...flight.providers],
        // What the client was shown is what runs: a provider whose definition changed since refuses.
        pin: session.pins.get(name) ?? pinsOf(entry),
        ...(token != null
          ? {
              onprogress: (p) =>
                void sent.push(extra.sendProgress({ ...p, progressToken: token }).catch(() => {})),
            }
          : {}),
      })
    } catch (err) {
      if (extra.signal.aborted) throw err
      return callFailure(err)
    } finally {
      await Promise.all(sent)
      this.inFlight.splice(this.inFlight.indexOf(flight), 1)
    }
  }

  /** Sets a session's logging level and asks the peers for the most verbose level any session wants. */
  setLogLevel(session: GatewaySession, level: LoggingLevel): void {
    session.logLevel = level
    this.applyLogLevel()
  }

  /** Recomputes the names; tells the clients when the tools they see changed. */
  refresh(): void {
    const tools = this.node.meshTools()
    this.labels = peerLabels(tools.map((t) => t.provider))
    this.named = nameItems(
      tools.map((t) => ({ original: t.tool.name, item: t.tool, provider: t.provider })),
      (tool) => stableJson(tool.inputSchema),
      this.labels,
    )
    this.byName = new Map(this.named.map((n) => [n.name, n]))
    const fingerprint = this.metaMode
      ? `meta:${this.named.length}`
      : stableJson(this.named.map((n) => this.shown(n)))
    if (fingerprint === this.fingerprint) return
    const first = this.fingerprint === ''
    this.fingerprint = fingerprint
    if (first) return
    for (const s of this.sessions) void s.server.sendToolListChanged().catch(() => {})
  }

  private readonly onCatalog = (): void => {
    clearTimeout(this.debounce)
    this.debounce = setTimeout(() => this.refresh(), 50)
  }

  private readonly onLogMessage = (
    evt: CustomEvent<{ peer: string; params: { level: LoggingLevel; logger?: string; data: unknown } }>,
  ): void => {
    const { peer, params } = evt.detail
    const logger = `${this.label(peer)}${params.logger != null ? `/${params.logger}` : ''}`
    for (const s of this.sessions) {
      if (!passesLevel(params.level, s.logLevel)) continue
      void s.server.sendLoggingMessage({ ...params, logger }).catch(() => {})
    }
  }

  private applyLogLevel(): void {
    const levels = [...this.sessions].flatMap((s) =>
      s.logLevel != null ? [SEVERITY.indexOf(s.logLevel)] : [],
    )
    this.node.setRemoteLogLevel(levels.length > 0 ? SEVERITY[Math.min(...levels)] : undefined)
  }

  /** The node's answers to requests from remote tools: relayed to the client whose call is in flight there. */
  private relayHandlers(): ClientHandlers {
    const target = (peer: string, kind: 'sampling' | 'elicitation' | 'roots'): InFlight => {
      const mine = this.inFlight.filter((f) => f.providers.has(peer))
      const flight = mine.at(-1)
      if (flight == null)
        throw new McpError(
          ErrorCode.InvalidRequest,
          `cord gateway: no call in flight from a client could answer this ${kind} request`,
        )
      if (flight.session.server.getClientCapabilities()?.[kind] == null)
        throw new McpError(
          ErrorCode.InvalidRequest,
          `cord gateway: the client did not declare the ${kind} capability`,
        )
      return flight
    }
    const options = (f: InFlight, signal: AbortSignal) => ({
      signal,
      relatedRequestId: f.requestId,
      timeout: NO_SDK_TIMEOUT,
    })
    return {
      sampling: (params, { signal, peer }) => {
        const f = target(peer, 'sampling')
        return f.session.server.createMessage(params, options(f, signal)) as never
      },
      elicitation: (params, { signal, peer }) => {
        const f = target(peer, 'elicitation')
        return f.session.server.elicitInput(params, options(f, signal))
      },
      roots: async ({ signal, peer }) => {
        const f = target(peer, 'roots')
        return (await f.session.server.listRoots(undefined, options(f, signal))).roots
      },
    }
  }
}
