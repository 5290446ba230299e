import { TypedEventEmitter } from '@libp2p/interface'
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js'
import type { LoggingLevel } from '@modelcontextprotocol/sdk/types.js'
import type { LevelDatastore } from 'datastore-level'
import { Admission, DEADLINE_META } from '../admission/admission.ts'
import type { PeerFilter } from '../admission/gater.ts'
import { PIN_META, pinFor } from '../admission/pin.ts'
import {
  FIND_TIMEOUT_MS,
  LOAD_CAPACITY,
  NO_SDK_TIMEOUT,
  UPSTREAM_START_WAIT_MS,
  VERSION,
} from '../constants.ts'
import { describeProviders, type FoundProvider, findProviders } from '../discovery/dht.ts'
import { Discovery } from '../discovery/discovery.ts'
import {
  CallTimeoutError,
  InvalidArgumentError,
  NodeStoppingError,
  NoProviderError,
  NotStartedError,
  SessionClosedError,
  TransportClosedError,
} from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { ClientHandlers } from '../mcp/client-handlers.ts'
import { fromMcpError } from '../mcp/rpc-errors.ts'
import { McpService } from '../mcp/server.ts'
import { type Session, SessionPool } from '../mcp/session-pool.ts'
import { registerDemoTools } from '../registry/demo-tools.ts'
import { ToolRegistry } from '../registry/registry.ts'
import type { ToolHandler, ToolSpec } from '../registry/types.ts'
import { Router } from '../router/router.ts'
import { UpstreamHub } from '../upstream/hub.ts'
import { listAll } from '../upstream/paginate.ts'
import { settleWithin } from '../util/async.ts'
import { callDeadline } from './deadline.ts'
import { listenError } from './errors.ts'
import type { Host } from './host.ts'
import { KeepAlive } from './keep-alive.ts'
import { collectMeshTools, type MeshCatalogEntry, type MeshTool, mergeCatalog } from './mesh-catalog.ts'
import type { ResolvedNodeOptions } from './options.ts'
import { parsePeerId } from './peer-ids.ts'
import { listPeers } from './peers.ts'
import type {
  CallOptions,
  CallToolResult,
  CordNodeEvents,
  GetPromptResult,
  NodeStatus,
  PeerInfo,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  Tool,
} from './types.ts'

type State = NodeStatus['state']

/** A node of the Cord mesh. Create it with `createNode()`. */
export class CordNode extends TypedEventEmitter<CordNodeEvents> {
  readonly options: ResolvedNodeOptions
  readonly log: Logger
  private readonly host: Host
  private readonly datastore?: LevelDatastore
  private readonly registry = new ToolRegistry()
  private readonly mcp: McpService
  private readonly pool: SessionPool
  private readonly keepAlive: KeepAlive
  private readonly network: NodeStatus['network']
  private readonly hub?: UpstreamHub
  private readonly discovery: Discovery
  private readonly router: Router
  private readonly outbound = new Set<Promise<unknown>>()
  private stopping = new AbortController()
  private state: State = 'created'
  private startedAt = 0
  private removeDemoTools?: () => void
  private clientHandlers?: ClientHandlers
  private readonly admission: Admission

  /** Use `createNode()`. */
  constructor(
    options: ResolvedNodeOptions,
    host: Host,
    log: Logger,
    parts: {
      datastore?: LevelDatastore
      filter: PeerFilter
      clientHandlers?: ClientHandlers
      /** Whether the node is in a private network, and its key's fingerprint. */
      network: NodeStatus['network']
    },
  ) {
    super()
    const { datastore, filter, clientHandlers } = parts
    this.network = parts.network
    this.clientHandlers = clientHandlers
    this.admission = Admission.fromOptions(options, log.child({ part: 'admission' }))
    this.options = options
    this.host = host
    this.log = log
    this.datastore = datastore
    if (options.servers.length > 0) {
      this.hub = new UpstreamHub(
        { registry: this.registry, log: log.child({ part: 'upstream' }) },
        options.servers,
      )
    }
    this.mcp = new McpService(
      {
        libp2p: host,
        registry: this.registry,
        hub: this.hub,
        admission: this.admission,
        log: log.child({ part: 'mcp-server' }),
      },
      {
        alias: options.alias,
        maxFrameBytes: options.mcp.maxFrameBytes,
        maxInboundStreams: options.mcp.maxInboundStreams,
        maxSessions: options.limits.maxSessions,
        maxQueuedBytes: options.limits.maxQueuedBytes,
      },
    )
    this.pool = new SessionPool(
      { libp2p: host, log: log.child({ part: 'sessions' }), serveLocal: (t) => this.mcp.serveLocal(t) },
      {
        alias: options.alias,
        maxFrameBytes: options.mcp.maxFrameBytes,
        handlers: () => this.clientHandlers,
        onToolsChanged: (peer) => void this.discovery.pull(peer, true),
        onLogMessage: (peer, params) => this.safeDispatchEvent('log-message', { detail: { peer, params } }),
      },
    )
    this.keepAlive = new KeepAlive(
      { libp2p: host, log: log.child({ part: 'keep-alive' }) },
      { peers: options.bootstrap, minMs: options.redial.minMs, maxMs: options.redial.maxMs },
    )
    this.discovery = new Discovery(
      {
        libp2p: host,
        registry: this.registry,
        log: log.child({ part: 'discovery' }),
        pullCatalog: async (peerId) => {
          const { signal, dispose } = callDeadline(options.discovery.heartbeatIntervalMs * 5, [
            this.stopping.signal,
          ])
          return this.pool.pullTools(parsePeerId(peerId), signal).finally(dispose)
        },
        load: () => ({ inflight: this.registry.activeCalls, capacity: LOAD_CAPACITY }),
        admits: (peer) => filter.admits(peer),
      },
      {
        alias: options.alias,
        intervalMs: options.discovery.heartbeatIntervalMs,
        heartbeatBudget: options.discovery.heartbeatBudget,
        suspectAfter: options.discovery.suspectAfter,
        deadAfter: options.discovery.deadAfter,
        targetConnections: options.discovery.targetConnections,
      },
    )
    const onCatalog = (): void => void this.safeDispatchEvent('catalog')
    this.registry.addEventListener('change', onCatalog)
    this.discovery.table.addEventListener('catalog', onCatalog)
    this.router = new Router({
      self: { peerId: host.peerId.toString(), alias: options.alias },
      table: this.discovery.table,
      registry: this.registry,
      findProviders: (tool, signal) => findProviders(host, tool, { signal }),
      rtt: (peerId) => host.getConnections(parsePeerId(peerId)).find((c) => c.rtt != null)?.rtt,
    })
  }

  /** This node's peer ID. */
  get peerId(): string {
    return this.host.peerId.toString()
  }

  /** This node's alias. */
  get alias(): string {
    return this.options.alias
  }

  /** The addresses this node listens on, each ending in /p2p/<peer ID>. */
  get multiaddrs(): string[] {
    return this.host.getMultiaddrs().map((a) => a.toString())
  }

  /** The libp2p host, for advanced use. */
  get libp2p(): Host {
    return this.host
  }

  /** Starts listening, serving tools and dialling the bootstrap peers. Safe to call twice. */
  async start(): Promise<void> {
    if (this.state === 'running') return
    if (this.state !== 'created')
      throw new NotStartedError('a stopped node cannot be started again; create a new one')
    this.state = 'running'
    this.startedAt = Date.now()
    if (this.options.demoTools) this.removeDemoTools = registerDemoTools(this.registry, () => this.status())
    try {
      await this.host.start()
    } catch (err) {
      this.state = 'stopped'
      await Promise.resolve(this.host.stop()).catch(() => {})
      await this.datastore?.close().catch(() => {})
      throw listenError(err as Error)
    }
    await this.mcp.start()
    await this.hub?.start(UPSTREAM_START_WAIT_MS)
    await this.keepAlive.start()
    this.discovery.start()
    this.log.info({ peerId: this.peerId, addrs: this.multiaddrs }, 'node started')
  }

  /**
   * Stops the node: refuses new calls, lets calls in flight (both ways) finish for up to
   * `shutdownGraceMs`, fails the rest with `NodeStoppingError`, then closes everything. Safe to call twice.
   */
  async stop(): Promise<void> {
    if (this.state !== 'running') {
      if (this.state === 'created') this.state = 'stopped'
      return
    }
    this.state = 'stopping'
    const reason = new NodeStoppingError(`node ${this.peerId} is stopping`)
    this.discovery.stop()
    await this.mcp.stopAccepting()
    await Promise.all([
      this.registry.drain(this.options.shutdownGraceMs, reason),
      settleWithin([...this.outbound], this.options.shutdownGraceMs),
    ])
    this.stopping.abort(reason)
    await settleWithin([...this.outbound], 1_000)
    await this.keepAlive.stop()
    await Promise.allSettled([this.mcp.closeSessions(), this.pool.closeAll(), this.hub?.stop()])
    this.removeDemoTools?.()
    await this.host.stop()
    await this.datastore?.close()
    this.state = 'stopped'
    this.log.info('node stopped')
  }

  /** Registers a tool served to the mesh. Returns a function that removes it. */
  registerTool(name: string, spec: ToolSpec, handler: ToolHandler): () => void {
    return this.registry.register(name, spec, handler)
  }

  /** The tools of `target` (a peer ID), or of this node when `target` is omitted or is this node. */
  async listTools(target?: string, options: CallOptions = {}): Promise<Tool[]> {
    if (target == null || target === this.peerId) return this.registry.list()
    return this.listFrom(
      target,
      options,
      (c, cursor, o) => c.listTools({ cursor }, o),
      (p) => p.tools,
    )
  }

  /**
   * Calls tool `name`. `target` is a peer ID or an alias; without one, the call goes to a live
   * provider of the tool, the least loaded and nearest first, failing over to the next when the
   * request surely did not run, or when the tool is read-only or idempotent. The result's
   * `_meta["cord/servedBy"]` names the peer that served it.
   */
  async callTool(
    target: string | undefined,
    name: string,
    args: Record<string, unknown> = {},
    options: CallOptions = {},
  ): Promise<CallToolResult> {
    this.assertRunning()
    let candidates = await this.router.candidates(
      target,
      name,
      options.signal ?? AbortSignal.timeout(options.timeout ?? this.options.mcp.callTimeoutMs),
    )
    const among = options.among
    if (among != null) {
      candidates = candidates.filter((c) => among.includes(c.peerId))
      if (candidates.length === 0)
        throw new NoProviderError(`none of the ${among.length} chosen providers of "${name}" is live`)
    }
    let lastError: unknown
    for (const candidate of candidates) {
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          const result = await this.withSession(candidate.peerId, options, async (session, signal) => {
            const _meta = {
              [DEADLINE_META]: options.timeout ?? this.options.mcp.callTimeoutMs,
              ...(pinFor(options.pin, candidate.peerId) != null
                ? { [PIN_META]: pinFor(options.pin, candidate.peerId) }
                : {}),
            }
            return (await session.client.callTool({ name, arguments: args, _meta }, undefined, {
              signal,
              timeout: NO_SDK_TIMEOUT,
              ...(options.onprogress != null ? { onprogress: options.onprogress } : {}),
            })) as CallToolResult
          })
          return { ...result, _meta: { ...result._meta, [SERVED_BY]: candidate.peerId } }
        } catch (err) {
          lastError = err
          if (options.signal?.aborted || !this.router.mayFailOver(err, candidate)) throw err
          // A session that broke under a read-only or idempotent call: once more on a new session.
          if (attempt === 0 && err instanceof SessionClosedError) continue
          this.log.info(
            { tool: name, peer: candidate.peerId, err: (err as Error).message },
            'failing over to the next provider',
          )
          break
        }
      }
    }
    throw lastError
  }

  /** Providers of tool `name` from the DHT, with what the peer table knows of them. */
  async findTool(name: string, options: CallOptions = {}): Promise<FoundProvider[]> {
    this.assertRunning()
    const signal = options.signal ?? AbortSignal.timeout(options.timeout ?? FIND_TIMEOUT_MS)
    const ids = await findProviders(this.host, name, { signal })
    if (this.registry.has(name) && !ids.includes(this.peerId)) ids.unshift(this.peerId)
    return describeProviders(ids, { peerId: this.peerId, alias: this.alias }, this.discovery.table)
  }

  /** Every tool of the mesh with the peer that serves it: this node's and the live peers' pulled catalogs. */
  meshTools(): MeshTool[] {
    return collectMeshTools(
      { peerId: this.peerId, alias: this.alias },
      this.registry.list(),
      this.discovery.table,
    )
  }

  /** The mesh catalog: every tool name of the mesh, with its providers. */
  catalog(): MeshCatalogEntry[] {
    return mergeCatalog(this.meshTools())
  }

  /**
   * Asks the peers this node has sessions with to send it their logging messages at `level` and
   * above; they arrive as `log-message` events.
   */
  setRemoteLogLevel(level: LoggingLevel | undefined): void {
    this.pool.setLogLevel(level)
  }

  /**
   * Sets the answers to requests that remote tools send back (sampling, elicitation, roots). Sessions
   * declare their capabilities when they open: set this before the first call.
   */
  setClientHandlers(handlers: ClientHandlers | undefined): void {
    this.clientHandlers = handlers
  }

  /** The resources of `target`'s hosted MCP servers. */
  async listResources(target: string, options: CallOptions = {}): Promise<Resource[]> {
    return this.listFrom(
      target,
      options,
      (c, cursor, o) => c.listResources({ cursor }, o),
      (p) => p.resources,
    )
  }

  /** The resource templates of `target`'s hosted MCP servers. */
  async listResourceTemplates(target: string, options: CallOptions = {}): Promise<ResourceTemplate[]> {
    return this.listFrom(
      target,
      options,
      (c, cursor, o) => c.listResourceTemplates({ cursor }, o),
      (p) => p.resourceTemplates,
    )
  }

  /** Reads resource `uri` from `target`. */
  async readResource(target: string, uri: string, options: CallOptions = {}): Promise<ReadResourceResult> {
    return this.withSession(target, options, (session, signal) =>
      session.client.readResource({ uri }, { signal, timeout: NO_SDK_TIMEOUT }),
    )
  }

  /** The prompts of `target`'s hosted MCP servers. */
  async listPrompts(target: string, options: CallOptions = {}): Promise<Prompt[]> {
    return this.listFrom(
      target,
      options,
      (c, cursor, o) => c.listPrompts({ cursor }, o),
      (p) => p.prompts,
    )
  }

  /** Gets prompt `name` from `target` with its arguments filled in. */
  async getPrompt(
    target: string,
    name: string,
    args: Record<string, string> = {},
    options: CallOptions = {},
  ): Promise<GetPromptResult> {
    return this.withSession(target, options, (session, signal) =>
      session.client.getPrompt({ name, arguments: args }, { signal, timeout: NO_SDK_TIMEOUT }),
    )
  }

  /** The peers this node knows: connected ones and those in its peer store. */
  async peers(): Promise<PeerInfo[]> {
    this.assertRunning()
    return listPeers(this.host, this.discovery.table, {
      bootstrap: this.options.bootstrap,
      sessions: this.pool.peers(),
    })
  }

  /** The node's state and counters. */
  status(): NodeStatus {
    return {
      peerId: this.peerId,
      alias: this.alias,
      version: VERSION,
      state: this.state,
      uptimeMs: this.startedAt > 0 ? Date.now() - this.startedAt : 0,
      addrs: this.multiaddrs,
      ...(this.options.dir != null ? { dir: this.options.dir } : {}),
      connections: this.host.getConnections().length,
      inboundSessions: this.mcp.sessionCount,
      outboundSessions: this.pool.peers().length,
      activeCalls: { inbound: this.registry.activeCalls, outbound: this.outbound.size },
      tools: this.registry.list().length,
      upstreams: this.hub?.status() ?? [],
      network: this.network,
      discovery: this.discovery.status(),
    }
  }

  private assertRunning(): void {
    if (this.state === 'stopping' || this.state === 'stopped')
      throw new NodeStoppingError('the node is stopping or stopped')
    if (this.state !== 'running') throw new NotStartedError('the node is not started: call start() first')
  }

  /** Every page of a list from `target`. */
  private listFrom<P extends { nextCursor?: string }, T>(
    target: string,
    options: CallOptions,
    list: (client: Session['client'], cursor: string | undefined, o: RequestOptions) => Promise<P>,
    pick: (page: P) => T[],
  ): Promise<T[]> {
    return this.withSession(target, options, (session, signal) =>
      listAll((cursor) => list(session.client, cursor, { signal, timeout: NO_SDK_TIMEOUT }), pick),
    )
  }

  private async track<T>(promise: Promise<T>): Promise<T> {
    this.outbound.add(promise)
    try {
      return await promise
    } finally {
      this.outbound.delete(promise)
    }
  }

  /**
   * Runs `fn` on the session to `target`. A request that could not be sent because the pooled
   * session had broken is retried once on a new session: it never reached the peer.
   */
  private async withSession<T>(
    target: string,
    options: CallOptions,
    fn: (session: Session, signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    this.assertRunning()
    const peer = parsePeerId(this.router.peerOf(target))
    const timeout = options.timeout ?? this.options.mcp.callTimeoutMs
    if (!Number.isFinite(timeout) || timeout <= 0)
      throw new InvalidArgumentError(`timeout must be a positive number of milliseconds, got ${timeout}`)
    const { signal, deadline, dispose } = callDeadline(timeout, [
      this.stopping.signal,
      ...(options.signal != null ? [options.signal] : []),
    ])
    const attempt = async (): Promise<T> => {
      for (let tries = 0; ; tries++) {
        const session = await this.pool.get(peer, signal)
        try {
          return await fn(session, signal)
        } catch (err) {
          if (!(err instanceof TransportClosedError) || tries > 0 || signal.aborted) throw err
          await this.pool.discard(session)
        }
      }
    }
    try {
      return await this.track(attempt())
    } catch (err) {
      if (deadline.aborted) throw new CallTimeoutError(`no answer from peer ${target} within ${timeout} ms`)
      if (this.stopping.signal.aborted) throw this.stopping.signal.reason
      if (options.signal?.aborted) throw options.signal.reason
      throw fromMcpError(err, target)
    } finally {
      dispose()
    }
  }
}

/** `_meta` key of a call result that names the peer that served it. */
export const SERVED_BY = 'cord/servedBy'
