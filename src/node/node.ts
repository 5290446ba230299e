import { TypedEventEmitter } from '@libp2p/interface'
import type { LoggingLevel } from '@modelcontextprotocol/sdk/types.js'
import type { FoundProvider } from '../discovery/dht.ts'
import { NodeStoppingError, NotStartedError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { ClientHandlers } from '../mcp/client-handlers.ts'
import type { MetricsServer } from '../observability/server.ts'
import type { Tracing } from '../observability/tracing.ts'
import { registerDemoTools } from '../registry/demo-tools.ts'
import type { ToolHandler, ToolSpec } from '../registry/types.ts'
import type { SendResult } from '../topics/direct.ts'
import type {
  MessageHandler,
  PublishOptions,
  PublishResult,
  SendOptions,
  SubscribeOptions,
  TopicHandler,
  TopicInfo,
} from '../topics/types.ts'
import type { Host } from './host.ts'
import { connectTo, disconnectFrom, waitForAlive } from './joining.ts'
import { startParts, stopParts } from './lifecycle.ts'
import {
  collectMeshTools,
  findToolProviders,
  type MeshCatalogEntry,
  type MeshTool,
  mergeCatalog,
} from './mesh-catalog.ts'
import { metricSources, metricsServer } from './observe.ts'
import type { ResolvedNodeOptions } from './options.ts'
import type { NodeParts } from './parts.ts'
import { listPeers } from './peers.ts'
import { nodeStatus } from './status.ts'
import type {
  CallOptions,
  CallToolResult,
  CompleteRequest,
  CompleteResult,
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

/** A node of the Cord mesh. Create it with `createNode()`. */
export class CordNode extends TypedEventEmitter<CordNodeEvents> {
  readonly options: ResolvedNodeOptions
  readonly log: Logger
  private readonly parts: NodeParts
  private state: NodeStatus['state'] = 'created'
  private startedAt = 0
  private removeDemoTools?: () => void
  private readonly metricsListener?: MetricsServer

  /** Use `createNode()`. */
  constructor(parts: NodeParts) {
    super()
    this.parts = parts
    this.options = parts.options
    this.log = parts.log
    const onCatalog = (): void => void this.safeDispatchEvent('catalog')
    parts.registry.addEventListener('change', onCatalog)
    parts.discovery.table.addEventListener('catalog', onCatalog)
    parts.pool.addEventListener('log-message', (evt) => this.safeDispatchEvent('log-message', evt))
    parts.pool.addEventListener('resource-updated', (evt) => this.safeDispatchEvent('resource-updated', evt))
    parts.pool.addEventListener('list-changed', (evt) => this.safeDispatchEvent('list-changed', evt))
    if (parts.metrics != null) {
      parts.metrics.observe(metricSources(parts))
      this.metricsListener = metricsServer(parts, parts.metrics, {
        running: () => this.state === 'running',
        uptimeMs: () => (this.startedAt > 0 ? Date.now() - this.startedAt : 0),
      })
    }
  }

  /** The node's metrics (Prometheus registry and call counters), when `metrics.enabled`. */
  get metrics(): NodeParts['metrics'] {
    return this.parts.metrics
  }

  /** The metrics listener's base URL (`/health`, `/ready`, `/metrics`), once started. */
  get metricsUrl(): string | undefined {
    return this.metricsListener?.url
  }

  /** This node's peer ID. */
  get peerId(): string {
    return this.parts.host.peerId.toString()
  }

  /** Spans of this node's calls (the gateway in front of the node traces through it too). */
  get tracing(): Tracing {
    return this.parts.tracing
  }

  /** This node's alias. */
  get alias(): string {
    return this.options.alias
  }

  /** The addresses this node listens on, each ending in /p2p/<peer ID>. */
  get multiaddrs(): string[] {
    return this.parts.host.getMultiaddrs().map((a) => a.toString())
  }

  /** The libp2p host, for advanced use. */
  get libp2p(): Host {
    return this.parts.host
  }

  /**
   * Starts listening, serving tools (the hosted MCP servers get up to 15 s to come up) and dialling
   * the bootstrap peers; resolves once the node listens, without waiting for the bootstrap dials.
   * Calls made at once still work: a call to a peer with no known address waits for the bootstrap
   * dials (within its deadline) and then asks the connected peers. To wait for the mesh explicitly,
   * use `waitForPeers()`. Safe to call twice.
   */
  async start(): Promise<void> {
    if (this.state === 'running') return
    if (this.state !== 'created')
      throw new NotStartedError('a stopped node cannot be started again; create a new one')
    this.state = 'running'
    this.startedAt = Date.now()
    const { registry } = this.parts
    if (this.options.demoTools) this.removeDemoTools = registerDemoTools(registry, () => this.status())
    try {
      await startParts(this.parts, this.metricsListener)
    } catch (err) {
      this.state = 'stopped'
      throw err
    }
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
    await stopParts(this.parts, {
      reason: new NodeStoppingError(`node ${this.peerId} is stopping`),
      graceMs: this.options.shutdownGraceMs,
      metrics: this.metricsListener,
      drained: () => this.removeDemoTools?.(),
    })
    this.state = 'stopped'
    this.log.info('node stopped')
  }

  /**
   * Resolves once at least `count` other Cord nodes are alive in this node's peer table (their
   * heartbeats arrived, so their catalogs are on the way). Rejects with `CallTimeoutError` after
   * `options.timeout` ms, or with the reason of `options.signal`.
   */
  async waitForPeers(count = 1, options: { signal?: AbortSignal; timeout?: number } = {}): Promise<void> {
    this.assertRunning()
    await waitForAlive(this.parts.discovery.table, count, { ...options, bootstrap: this.options.bootstrap })
  }

  /**
   * Connects to the node at `addr` (a full multiaddr ending in /p2p/<peer ID>), like
   * `ipfs swarm connect`. With `keep`, the node keeps it connected from now on, as it does its
   * bootstrap peers.
   */
  async connect(
    addr: string,
    options: { keep?: boolean; signal?: AbortSignal; timeout?: number } = {},
  ): Promise<{ peerId: string; keep: boolean }> {
    this.assertRunning()
    return connectTo(this.parts, addr, options)
  }

  /**
   * Closes the connections to `peer` (a peer ID or a full multiaddr) and stops keeping it connected.
   * The peer may connect again, and gossip may bring it back; an access rule keeps it out for good.
   */
  async disconnect(peer: string): Promise<{ peerId: string; wasConnected: boolean; wasKept: boolean }> {
    this.assertRunning()
    return disconnectFrom(this.parts, peer)
  }

  /** Registers a tool served to the mesh. Returns a function that removes it. */
  registerTool(name: string, spec: ToolSpec, handler: ToolHandler): () => void {
    return this.parts.registry.register(name, spec, handler)
  }

  /** The tools of `target` (a peer ID, alias or full multiaddr), or of this node when `target` is omitted or is this node. */
  async listTools(target?: string, options: CallOptions = {}): Promise<Tool[]> {
    if (target == null || target === this.peerId) return this.parts.registry.list()
    return this.parts.reads.listTools(target, options)
  }

  /**
   * Calls tool `name`. `target` is a peer ID or an alias; without one, the call goes to a live
   * provider of the tool, the least loaded and nearest first, failing over to the next when the
   * request surely did not run, or when the tool is read-only or idempotent. The result's
   * `_meta["cord/servedBy"]` names the peer that served it.
   */
  callTool(
    target: string | undefined,
    name: string,
    args: Record<string, unknown> = {},
    options: CallOptions = {},
  ): Promise<CallToolResult> {
    return this.parts.calls.callTool(target, name, args, options)
  }

  /** Providers of tool `name` from the DHT, with what the peer table knows of them. */
  findTool(name: string, options: CallOptions = {}): Promise<FoundProvider[]> {
    this.assertRunning()
    return findToolProviders(this.parts, { peerId: this.peerId, alias: this.alias }, name, options)
  }

  /** Every tool of the mesh with the peer that serves it: this node's and the live peers' pulled catalogs. */
  meshTools(): MeshTool[] {
    const self = { peerId: this.peerId, alias: this.alias }
    return collectMeshTools(self, this.parts.registry.list(), this.parts.discovery.table)
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
    this.parts.pool.setLogLevel(level)
  }

  /** Sets the answers to requests that remote tools send back (sampling, elicitation, roots). */
  setClientHandlers(handlers: ClientHandlers | undefined): void {
    this.parts.answers.handlers = handlers
  }

  /** The resources of `target`'s hosted MCP servers. */
  listResources(target: string, options: CallOptions = {}): Promise<Resource[]> {
    return this.parts.reads.listResources(target, options)
  }

  /** The resource templates of `target`'s hosted MCP servers. */
  listResourceTemplates(target: string, options: CallOptions = {}): Promise<ResourceTemplate[]> {
    return this.parts.reads.listResourceTemplates(target, options)
  }

  /** Reads resource `uri` from `target`. */
  readResource(target: string, uri: string, options: CallOptions = {}): Promise<ReadResourceResult> {
    return this.parts.reads.readResource(target, uri, options)
  }

  /** The prompts of `target`'s hosted MCP servers. */
  listPrompts(target: string, options: CallOptions = {}): Promise<Prompt[]> {
    return this.parts.reads.listPrompts(target, options)
  }

  /** Gets prompt `name` from `target` with its arguments filled in. */
  getPrompt(
    target: string,
    name: string,
    args: Record<string, string> = {},
    options: CallOptions = {},
  ): Promise<GetPromptResult> {
    return this.parts.reads.getPrompt(target, name, args, options)
  }

  /** Completions of an argument of a prompt or resource template of `target`'s hosted MCP servers. */
  complete(
    target: string,
    params: CompleteRequest['params'],
    options: CallOptions = {},
  ): Promise<CompleteResult> {
    return this.parts.reads.complete(target, params, options)
  }

  /**
   * Subscribes to resource `uri` of `target`: the node emits `resource-updated` when it changes, until
   * `unsubscribeResource`. Resolves with the serving peer's ID.
   */
  subscribeResource(target: string, uri: string, options: CallOptions = {}): Promise<string> {
    return this.parts.reads.subscribeResource(target, uri, options)
  }

  /** Ends a subscription of `subscribeResource`. */
  unsubscribeResource(target: string, uri: string, options: CallOptions = {}): Promise<void> {
    return this.parts.reads.unsubscribeResource(target, uri, options)
  }

  /**
   * Subscribes `handler` to topic `name` (letters, digits, `.`, `-`, `_`, `/`; at most 128): it gets
   * each publisher's messages in order and once; `options.onGap` is told of missed ones. Returns a
   * function that unsubscribes the handler. Throws `AccessDeniedError` when the topic rules refuse.
   */
  subscribe(name: string, handler: TopicHandler, options?: SubscribeOptions): () => void {
    this.assertRunning()
    return this.parts.topics.subscribe(name, handler, options)
  }

  /** Unsubscribes `handler` from topic `name`, or every handler when none is given. */
  unsubscribe(name: string, handler?: TopicHandler): void {
    this.parts.topics.unsubscribe(name, handler)
  }

  /**
   * Publishes `data` (any JSON value, at most `topics.maxMessageBytes` as JSON) on topic `name`,
   * signed by this node. Throws `MessageTooLargeError` before sending a message over the limit.
   */
  publish(name: string, data: unknown, options?: PublishOptions): Promise<PublishResult> {
    this.assertRunning()
    return this.parts.topics.publish(name, data, options)
  }

  /** The topics this node and its connected peers subscribe to, with subscriber counts. */
  topics(): TopicInfo[] {
    return this.parts.topics.list()
  }

  /**
   * Sends `data` (any JSON value) to `target` (a peer ID, alias or full multiaddr) and resolves once
   * its handlers took it. Fails with `PeerUnreachableError`, `MessageRefusedError` (no handler there,
   * or it threw) or `CallTimeoutError` (no acknowledgement within `options.timeout`, default 10 s).
   */
  send(target: string, data: unknown, options: SendOptions = {}): Promise<SendResult> {
    this.assertRunning()
    return this.parts.messenger.send(target, data, options)
  }

  /** Adds a handler of the direct messages sent to this node; returns a function that removes it. */
  onMessage(handler: MessageHandler): () => void {
    return this.parts.messenger.onMessage(handler)
  }

  /** The peers this node knows: connected ones and those in its peer store. */
  async peers(): Promise<PeerInfo[]> {
    this.assertRunning()
    return listPeers(this.parts)
  }

  /** The node's state and counters. */
  status(): NodeStatus {
    return nodeStatus(this.parts, {
      state: this.state,
      startedAt: this.startedAt,
      metricsUrl: this.metricsUrl,
    })
  }

  private assertRunning(): void {
    if (this.state === 'stopping' || this.state === 'stopped')
      throw new NodeStoppingError('the node is stopping or stopped')
    if (this.state !== 'running') throw new NotStartedError('the node is not started: call start() first')
  }
}
