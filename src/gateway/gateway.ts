/**
 * The MCP gateway: one MCP server per client session (stdio through `cord mcp`, Streamable HTTP, or
 * any SDK transport) that shows the tools, resources and prompts of the whole mesh as one server and
 * routes each request across the mesh. Progress, cancellation, logging and the requests a remote
 * tool sends back (sampling, elicitation, roots) pass through to the client whose call it is.
 */
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { LoggingLevel } from '@modelcontextprotocol/sdk/types.js'
import type { Logger } from '../logger.ts'
import { passesLevel, SEVERITY } from '../mcp/catalog-handlers.ts'
import { GatewayCatalog } from './catalog.ts'
import type { MeshClient } from './mesh.ts'
import { GatewaySession } from './session.ts'
import { GatewaySubscriptions } from './subscriptions.ts'
import { TopicFeeds } from './topic-feeds.ts'

export type { MeshClient } from './mesh.ts'
export type { GatewaySession } from './session.ts'

/** Settings of the gateway. */
export interface GatewayInit {
  /** Above this many tools, clients see the meta-tools instead of the catalog. */
  maxTools: number
  /** Messages kept per topic resource for `resources/read` (default 100). */
  topicHistory?: number
  /** Bytes of message data kept per topic resource (default 1 MiB). */
  topicHistoryBytes?: number
}

/** How long catalog changes are gathered before clients hear of them. */
const CATALOG_DEBOUNCE_MS = 50

/** The gateway of one node. */
export class Gateway {
  private readonly mesh: MeshClient
  private readonly log: Logger
  private readonly catalog: GatewayCatalog
  private readonly subscriptions: GatewaySubscriptions
  private readonly feeds: TopicFeeds
  private readonly sessions = new Set<GatewaySession>()
  private debounce?: ReturnType<typeof setTimeout>
  /** The live peers, as of the last catalog change: when they change, so may resources and prompts. */
  private peers = ''

  constructor(mesh: MeshClient, init: GatewayInit, log: Logger) {
    this.mesh = mesh
    this.log = log
    this.catalog = new GatewayCatalog(mesh, init.maxTools)
    this.subscriptions = new GatewaySubscriptions(mesh, log)
    this.feeds = new TopicFeeds(
      mesh,
      {
        ...(init.topicHistory != null ? { maxMessages: init.topicHistory } : {}),
        ...(init.topicHistoryBytes != null ? { maxBytes: init.topicHistoryBytes } : {}),
      },
      log,
    )
    this.peers = this.livePeers()
    this.catalog.addEventListener('change', () => {
      for (const s of this.sessions) void s.server.sendToolListChanged().catch(() => {})
    })
    mesh.addEventListener('catalog', this.onCatalog)
    mesh.addEventListener('log-message', this.onLogMessage)
    mesh.addEventListener('list-changed', this.onListChanged)
  }

  /** Serves one client over `transport`. */
  async connect(transport: Transport): Promise<GatewaySession> {
    const session = new GatewaySession({
      mesh: this.mesh,
      catalog: this.catalog,
      subscriptions: this.subscriptions,
      feeds: this.feeds,
      onLogLevel: () => this.applyLogLevel(),
    })
    session.server.onclose = () => {
      this.sessions.delete(session)
      this.subscriptions.drop(session)
      this.feeds.drop(session)
      this.applyLogLevel()
    }
    session.server.onerror = (err) => this.log.debug({ err }, 'gateway session error')
    this.sessions.add(session)
    await session.connect(transport)
    return session
  }

  /** Number of open client sessions. */
  get sessionCount(): number {
    return this.sessions.size
  }

  /** Closes every client session and stops listening to the node. */
  async close(): Promise<void> {
    clearTimeout(this.debounce)
    this.mesh.removeEventListener('catalog', this.onCatalog)
    this.mesh.removeEventListener('log-message', this.onLogMessage)
    this.mesh.removeEventListener('list-changed', this.onListChanged)
    this.subscriptions.close()
    this.feeds.closeAll()
    await Promise.allSettled([...this.sessions].map((s) => s.server.close()))
  }

  /** Catalog changes within a moment are looked at together; clients hear of those they see. */
  private readonly onCatalog = (): void => {
    clearTimeout(this.debounce)
    this.debounce = setTimeout(() => {
      this.catalog.refresh()
      const peers = this.livePeers()
      if (peers === this.peers) return
      this.peers = peers
      this.listChanged('resources')
      this.listChanged('prompts')
    }, CATALOG_DEBOUNCE_MS)
  }

  private readonly onListChanged = (evt: CustomEvent<{ list: 'resources' | 'prompts' }>): void => {
    this.listChanged(evt.detail.list)
  }

  /** Tells every client that the mesh's resources or prompts changed. */
  private listChanged(list: 'resources' | 'prompts'): void {
    for (const s of this.sessions) {
      const sent =
        list === 'resources' ? s.server.sendResourceListChanged() : s.server.sendPromptListChanged()
      void sent.catch(() => {})
    }
  }

  private livePeers(): string {
    return [...new Set(this.mesh.meshTools().map((t) => t.provider.peerId))].sort().join(',')
  }

  private readonly onLogMessage = (
    evt: CustomEvent<{ peer: string; params: { level: LoggingLevel; logger?: string; data: unknown } }>,
  ): void => {
    const { peer, params } = evt.detail
    const logger = `${this.catalog.label(peer)}${params.logger != null ? `/${params.logger}` : ''}`
    for (const s of this.sessions) if (passesLevel(params.level, s.logLevel)) s.log({ ...params, logger })
  }

  /** Asks the peers for the most verbose level any session wants. */
  private applyLogLevel(): void {
    const levels = [...this.sessions].flatMap((s) =>
      s.logLevel != null ? [SEVERITY.indexOf(s.logLevel)] : [],
    )
    this.mesh.setRemoteLogLevel(levels.length > 0 ? SEVERITY[Math.min(...levels)] : undefined)
  }
}
