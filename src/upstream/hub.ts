/**
 * All the MCP servers a node hosts, as one catalog: their tools go into the node's registry under
 * `<server>__<tool>` names (see names.ts); their resources keep their URIs and their prompts get
 * `<server>__<prompt>` names. Routes reads, prompts and completions to the server that owns them.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { UriTemplate } from '@modelcontextprotocol/sdk/shared/uriTemplate.js'
import {
  type CallToolResult,
  ErrorCode,
  McpError,
  type Prompt,
  type Resource,
  type ResourceTemplate,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js'
import type { ServerSpec } from '../config/schema.ts'
import { NO_SDK_TIMEOUT } from '../constants.ts'
import { UpstreamUnavailableError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { HostedCatalog, HostedCatalogEvents } from '../mcp/catalog-handlers.ts'
import { Tracing } from '../observability/tracing.ts'
import type { ToolRegistry } from '../registry/registry.ts'
import type { ToolContext } from '../registry/types.ts'
import { catalogName } from './names.ts'
import { Upstream, type UpstreamStatus } from './upstream.ts'

/** What the hub needs. */
export interface UpstreamHubComponents {
  registry: ToolRegistry
  log: Logger
  /** Spans of the calls to hosted servers; their requests carry the trace context on. */
  tracing?: Tracing
}

/** The hosted MCP servers of a node. */
export class UpstreamHub extends TypedEventEmitter<HostedCatalogEvents> implements HostedCatalog {
  private readonly components: UpstreamHubComponents
  private readonly upstreams: Upstream[]
  private readonly removers = new Map<string, Array<() => void>>()

  constructor(components: UpstreamHubComponents, specs: ServerSpec[]) {
    super()
    this.components = components
    this.upstreams = specs.map((spec) => new Upstream(spec, components.log.child({ server: spec.name })))
    for (const upstream of this.upstreams) {
      upstream.addEventListener('change', () => this.sync(upstream))
      upstream.addEventListener('notification', (evt) =>
        this.safeDispatchEvent('notification', { detail: { server: upstream.name, ...evt.detail } }),
      )
    }
  }

  /** Starts every server; waits up to `waitMs` for their first connection. */
  async start(waitMs: number): Promise<void> {
    await Promise.all(this.upstreams.map((u) => u.start(waitMs)))
  }

  /** Stops every server (children with their process groups). */
  async stop(): Promise<void> {
    await Promise.allSettled(this.upstreams.map((u) => u.stop()))
    for (const name of [...this.removers.keys()]) this.unregister(name)
  }

  /** Status of every server. */
  status(): UpstreamStatus[] {
    return this.upstreams.map((u) => u.status())
  }

  /** The server of that name. */
  get(name: string): Upstream | undefined {
    return this.upstreams.find((u) => u.name === name)
  }

  /** Every server's resources (URIs as the servers give them; the first server wins a clash). */
  resources(visible: (server: string) => boolean = () => true): Resource[] {
    const seen = new Set<string>()
    return this.upstreams
      .filter((u) => visible(u.name))
      .flatMap((u) => u.resources)
      .filter((r) => !seen.has(r.uri) && seen.add(r.uri) != null)
  }

  /** Every server's resource templates. */
  templates(visible: (server: string) => boolean = () => true): ResourceTemplate[] {
    return this.upstreams.filter((u) => visible(u.name)).flatMap((u) => u.templates)
  }

  /** Every server's prompts, under catalog names. */
  prompts(visible: (server: string) => boolean = () => true): Prompt[] {
    return this.upstreams
      .filter((u) => visible(u.name))
      .flatMap((u) => u.prompts.map((p) => ({ ...p, name: catalogName(u.name, p.name) })))
  }

  /** The server that serves resource `uri`: one that listed it, else one with a matching template. */
  routeResource(uri: string): Upstream {
    const owner =
      this.upstreams.find((u) => u.resources.some((r) => r.uri === uri)) ??
      this.upstreams.find((u) =>
        u.templates.some((t) => t.uriTemplate === uri || new UriTemplate(t.uriTemplate).match(uri) != null),
      )
    if (owner == null)
      throw new McpError(ErrorCode.InvalidParams, `unknown resource: ${uri}`, {
        error: 'UnknownResourceError',
      })
    return owner
  }

  /** The server and upstream name of the prompt with catalog name `name`. */
  routePrompt(name: string): { upstream: Upstream; name: string } {
    for (const upstream of this.upstreams) {
      const prompt = upstream.prompts.find((p) => catalogName(upstream.name, p.name) === name)
      if (prompt != null) return { upstream, name: prompt.name }
    }
    throw new McpError(ErrorCode.InvalidParams, `unknown prompt: ${name}`, { error: 'UnknownPromptError' })
  }

  /** Puts a server's current tools into the registry in place of its previous ones. */
  private sync(upstream: Upstream): void {
    this.unregister(upstream.name)
    const removers: Array<() => void> = []
    for (const tool of upstream.tools) {
      const name = catalogName(upstream.name, tool.name)
      try {
        removers.push(
          this.components.registry.registerDefinition({ ...tool, name }, (args, ctx) =>
            this.call(upstream, tool, args, ctx),
          ),
        )
      } catch (err) {
        this.components.log.warn(
          { server: upstream.name, tool: tool.name, err: (err as Error).message },
          'tool left out of the catalog',
        )
      }
    }
    this.removers.set(upstream.name, removers)
    this.safeDispatchEvent('change')
  }

  private unregister(server: string): void {
    for (const remove of this.removers.get(server) ?? []) remove()
    this.removers.delete(server)
  }

  private async call(
    upstream: Upstream,
    tool: Tool,
    args: Record<string, unknown>,
    ctx: ToolContext,
  ): Promise<CallToolResult> {
    const client = upstream.connected()
    const trace = (this.components.tracing ?? Tracing.off).begin('hosted', tool.name, ctx.meta, upstream.name)
    const flight = ctx.relay != null ? upstream.relays.enter(ctx.relay) : undefined
    try {
      const result = (await client.callTool(
        { name: tool.name, arguments: args, _meta: trace.meta },
        undefined,
        {
          signal: ctx.signal,
          timeout: NO_SDK_TIMEOUT,
          ...(ctx.progress != null ? { onprogress: ctx.progress, resetTimeoutOnProgress: true } : {}),
        },
      )) as CallToolResult
      trace.done(result)
      return result
    } catch (err) {
      trace.failed(err)
      if (err instanceof McpError && err.code === ErrorCode.ConnectionClosed && !ctx.signal.aborted) {
        throw new UpstreamUnavailableError(
          `MCP server "${upstream.name}" went away during the call to "${tool.name}"`,
        )
      }
      // An HTTP server that fails below MCP (refused, reset) is down: say so, and reconnect.
      if (!(err instanceof McpError) && upstream.spec.url != null && !ctx.signal.aborted) {
        upstream.markUnreachable((err as Error).message)
        throw new UpstreamUnavailableError(
          `MCP server "${upstream.name}" is unreachable: ${(err as Error).message}`,
        )
      }
      throw err
    } finally {
      flight?.leave()
    }
  }
}
