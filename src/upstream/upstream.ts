/**
 * One MCP server that the node hosts: a stdio child it starts and supervises, or a Streamable HTTP
 * endpoint. Keeps an SDK `Client` session to it, its catalog (tools, resources, templates, prompts)
 * fresh through `list_changed`, and restarts it with exponential backoff and jitter when it dies,
 * up to `maxRestarts` in a row; then it is marked failed.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { TypedEventEmitter } from '@libp2p/interface'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  McpError,
  type Prompt,
  PromptListChangedNotificationSchema,
  type Resource,
  ResourceListChangedNotificationSchema,
  type ResourceTemplate,
  ResourceUpdatedNotificationSchema,
  type ServerCapabilities,
  type Tool,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import type { ServerSpec } from '../config/schema.ts'
import { VERSION } from '../constants.ts'
import { UpstreamUnavailableError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { listAll } from '../mcp/paging.ts'
import { RelayTable } from '../mcp/relay.ts'
import { backoffDelay } from '../util/backoff.ts'
import { ChildProcessTransport } from './child-transport.ts'

/** Where an upstream is in its life. */
export type UpstreamState = 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped'

/** What `cord status` shows of an upstream. */
export interface UpstreamStatus {
  name: string
  kind: 'stdio' | 'http'
  target: string
  state: UpstreamState
  restarts: number
  lastError?: string
  pid?: number
  tools: number
  resources: number
  prompts: number
}

/** Events of an upstream. */
export interface UpstreamEvents {
  /** Its catalog changed (also when it goes down or comes back). */
  change: CustomEvent<void>
  /** A notification for callers: logging messages and resource updates. */
  notification: CustomEvent<{ method: string; params: Record<string, unknown> }>
}

/** A server that stayed up this long has recovered: its failure count starts again. */
const STABLE_MS = 30_000
/** How often a Streamable HTTP server is pinged while connected. */
const HTTP_PING_INTERVAL_MS = 5_000
/** Longest time the MCP handshake and first listings may take. */
const CONNECT_TIMEOUT_MS = 60_000

/** The clock of the restart policy: replaced by a fake one in tests. */
export interface SupervisionClock {
  now(): number
  /** Waits `ms`, or rejects when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>
}

const realClock: SupervisionClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
}

/** A hosted MCP server. */
export class Upstream extends TypedEventEmitter<UpstreamEvents> {
  readonly spec: ServerSpec
  readonly relays = new RelayTable()
  tools: Tool[] = []
  resources: Resource[] = []
  templates: ResourceTemplate[] = []
  prompts: Prompt[] = []
  private readonly log: Logger
  private client?: Client
  private transport?: Transport
  private state: UpstreamState = 'stopped'
  private restarts = 0
  private lastError?: string
  private readonly stopping = new AbortController()
  private loop?: Promise<void>
  private readonly clock: SupervisionClock

  constructor(spec: ServerSpec, log: Logger, clock: SupervisionClock = realClock) {
    super()
    this.spec = spec
    this.log = log
    this.clock = clock
  }

  /** The server's name, as in `[[servers]]`. */
  get name(): string {
    return this.spec.name
  }

  /** The server's capabilities, while connected. */
  get capabilities(): ServerCapabilities | undefined {
    return this.state === 'ready' ? this.client?.getServerCapabilities() : undefined
  }

  /** Starts the supervision loop; resolves after the first connection attempt (or `waitMs`). */
  async start(waitMs: number): Promise<void> {
    if (this.loop != null) return
    this.state = 'starting'
    const attempted = Promise.withResolvers<void>()
    this.loop = this.supervise(attempted.resolve)
    const waited = new AbortController()
    const signal = AbortSignal.any([waited.signal, this.stopping.signal])
    await Promise.race([attempted.promise, sleep(waitMs, undefined, { signal }).catch(() => {})])
    waited.abort()
  }

  /** Stops the server (a stdio child is stopped with its whole process group). */
  async stop(): Promise<void> {
    if (this.state === 'stopped' && this.loop == null) return
    this.stopping.abort()
    this.state = 'stopped'
    await this.client?.close().catch(() => {})
    await this.loop
    this.loop = undefined
    this.clearCatalog()
  }

  /** The connected client, or `UpstreamUnavailableError`. */
  connected(): Client {
    if (this.state !== 'ready' || this.client == null) {
      const why =
        this.state === 'failed' ? `failed after ${this.restarts} restarts: ${this.lastError}` : this.state
      throw new UpstreamUnavailableError(`MCP server "${this.name}" is not available (${why})`)
    }
    return this.client
  }

  /**
   * A request to an HTTP server failed below MCP (connection refused, reset): the server is gone.
   * Drops the session; supervision reconnects with backoff and the tools return when it answers.
   */
  markUnreachable(reason: string): void {
    if (this.state !== 'ready' || this.spec.url == null) return
    this.lastError = reason
    this.state = 'restarting'
    this.log.warn({ lastError: reason }, 'MCP server went away')
    void this.client?.close().catch(() => {})
  }

  /** Status for `cord status`. */
  status(): UpstreamStatus {
    const pid = this.transport instanceof ChildProcessTransport ? this.transport.pid : undefined
    return {
      name: this.name,
      kind: this.spec.command != null ? 'stdio' : 'http',
      target:
        this.spec.command != null
          ? [this.spec.command, ...(this.spec.args ?? [])].join(' ')
          : (this.spec.url ?? ''),
      state: this.state,
      restarts: this.restarts,
      ...(this.lastError != null ? { lastError: this.lastError } : {}),
      ...(pid != null && this.state === 'ready' ? { pid } : {}),
      tools: this.tools.length,
      resources: this.resources.length,
      prompts: this.prompts.length,
    }
  }

  private async supervise(attempted: () => void): Promise<void> {
    const maxRestarts = this.spec.maxRestarts
    let failures = 0
    while (!this.stopping.signal.aborted) {
      const upSince = this.clock.now()
      const session = await this.connectOnce().catch((err: Error) => {
        this.lastError = err.message
        this.log.warn({ err: err.message }, 'MCP server did not start')
        return undefined
      })
      attempted()
      if (session != null) await session.closed
      this.clearCatalog()
      if (this.stopping.signal.aborted) break
      failures = this.clock.now() - upSince > STABLE_MS ? 1 : failures + 1
      // A remote HTTP server may come back at any time: it is retried forever (at the longest backoff).
      if (failures > maxRestarts && this.spec.url == null) {
        this.state = 'failed'
        this.log.error({ restarts: this.restarts, lastError: this.lastError }, 'MCP server failed: giving up')
        break
      }
      this.state = 'restarting'
      const wait = backoffDelay(failures - 1, this.spec.restartMinMs, this.spec.restartMaxMs)
      this.log.info({ inMs: wait, failures }, 'restarting MCP server')
      await this.clock.sleep(wait, this.stopping.signal).catch(() => {})
      if (!this.stopping.signal.aborted) this.restarts++
    }
  }

  /** Connects and lists the catalog; `closed` settles when the session ends (wrapped: a promise would flatten). */
  private async connectOnce(): Promise<{ closed: Promise<void> }> {
    const transport = this.createTransport()
    const client = new Client(
      { name: 'cord', version: VERSION },
      { capabilities: { sampling: {}, elicitation: { form: {}, url: {} }, roots: { listChanged: false } } },
    )
    const { promise: closed, resolve: onClosed } = Promise.withResolvers<void>()
    client.onclose = () => {
      if (!this.stopping.signal.aborted && this.state === 'ready') {
        const exit = transport instanceof ChildProcessTransport ? transport.exit : undefined
        this.lastError =
          exit != null ? `exited with ${exit.signal ?? `code ${exit.code}`}` : 'connection closed'
        this.log.warn({ lastError: this.lastError }, 'MCP server went away')
      }
      onClosed()
    }
    client.onerror = (err) => this.log.debug({ err: err.message }, 'MCP server session error')
    this.installHandlers(client)
    this.client = client
    this.transport = transport
    try {
      await client.connect(transport, { timeout: CONNECT_TIMEOUT_MS, signal: this.stopping.signal })
      await this.refresh(client)
    } catch (err) {
      await client.close().catch(() => {})
      const exit = transport instanceof ChildProcessTransport ? transport.exit : undefined
      if (exit != null)
        throw new Error(`exited with ${exit.signal ?? `code ${exit.code}`} before the MCP handshake`)
      throw err
    }
    this.state = 'ready'
    this.log.info(
      { tools: this.tools.length, resources: this.resources.length, prompts: this.prompts.length },
      'MCP server ready',
    )
    this.safeDispatchEvent('change')
    if (this.spec.url != null) this.watch(client, closed)
    return { closed }
  }

  /** Pings an HTTP server while the session lasts: nothing else tells us it stopped answering. */
  private watch(client: Client, closed: Promise<void>): void {
    const timer = setInterval(() => {
      client.ping({ timeout: HTTP_PING_INTERVAL_MS }).catch((err: Error) => {
        if (this.client === client) this.markUnreachable(`no answer to ping: ${err.message}`)
      })
    }, HTTP_PING_INTERVAL_MS)
    timer.unref()
    void closed.then(() => clearInterval(timer))
  }

  private createTransport(): Transport {
    if (this.spec.command != null) {
      const { command, args, env, cwd } = this.spec
      return new ChildProcessTransport({ command, args, env, cwd }, this.log)
    }
    const url = new URL(this.spec.url as string)
    return new StreamableHTTPClientTransport(url, { requestInit: { headers: this.spec.headers ?? {} } })
  }

  private installHandlers(client: Client): void {
    const refresh = (): void => {
      void this.refresh(client).then(
        () => this.safeDispatchEvent('change'),
        (err: Error) => this.log.warn({ err: err.message }, 'could not refresh the catalog'),
      )
    }
    client.setNotificationHandler(ToolListChangedNotificationSchema, refresh)
    client.setNotificationHandler(ResourceListChangedNotificationSchema, refresh)
    client.setNotificationHandler(PromptListChangedNotificationSchema, refresh)
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      this.safeDispatchEvent('notification', { detail: { method: n.method, params: n.params } })
    })
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      this.safeDispatchEvent('notification', { detail: { method: n.method, params: n.params } })
    })
    client.setRequestHandler(CreateMessageRequestSchema, (req, extra) =>
      this.relays.route('sampling').createMessage(req.params, extra.signal),
    )
    client.setRequestHandler(ElicitRequestSchema, (req, extra) =>
      this.relays.route('elicitation').elicitInput(req.params, extra.signal),
    )
    client.setRequestHandler(ListRootsRequestSchema, (_req, extra) =>
      this.relays.route('roots').listRoots(extra.signal),
    )
  }

  private async refresh(client: Client): Promise<void> {
    const caps = client.getServerCapabilities() ?? {}
    const opts = { timeout: CONNECT_TIMEOUT_MS }
    this.tools =
      caps.tools != null
        ? await listAll(
            (cursor) => client.listTools({ cursor }, opts),
            (p) => p.tools,
          )
        : []
    if (caps.resources != null) {
      this.resources = await listAll(
        (cursor) => client.listResources({ cursor }, opts),
        (p) => p.resources,
      )
      this.templates = await listAll(
        (cursor) => client.listResourceTemplates({ cursor }, opts),
        (p) => p.resourceTemplates,
      ).catch((err: unknown) => (err instanceof McpError ? [] : Promise.reject(err)))
    } else {
      this.resources = []
      this.templates = []
    }
    this.prompts =
      caps.prompts != null
        ? await listAll(
            (cursor) => client.listPrompts({ cursor }, opts),
            (p) => p.prompts,
          )
        : []
  }

  private clearCatalog(): void {
    const had = this.tools.length + this.resources.length + this.templates.length + this.prompts.length > 0
    if (this.state === 'ready') this.state = 'restarting'
    this.client = undefined
    this.tools = []
    this.resources = []
    this.templates = []
    this.prompts = []
    if (had) this.safeDispatchEvent('change')
  }
}
