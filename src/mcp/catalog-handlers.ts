/**
 * The serving side of everything beyond tools: resources (list, templates, read, subscribe),
 * prompts (list, get), completions and logging, forwarded to the hosted MCP servers that own them.
 * Lists leave out the servers the access rules do not let the caller use; using one is refused.
 */
import type { TypedEventTarget } from '@libp2p/interface'
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import type { Server } from '@modelcontextprotocol/sdk/server/index.js'
import {
  CompleteRequestSchema,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  type LoggingLevel,
  McpError,
  type Prompt,
  ReadResourceRequestSchema,
  type Resource,
  type ResourceTemplate,
  type ServerCapabilities,
  SetLevelRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { NO_SDK_TIMEOUT } from '../constants.ts'
import { page } from './paging.ts'

/** A hosted MCP server, as the serving side uses it. */
export interface HostedServer {
  readonly name: string
  /** Its capabilities, while connected. */
  readonly capabilities: ServerCapabilities | undefined
  /** Its client session, or `UpstreamUnavailableError` when it is down. */
  connected(): Client
}

/** Events of the hosted servers' catalog. */
export interface HostedCatalogEvents {
  /** Resources, templates or prompts changed. */
  change: CustomEvent<void>
  /** A notification from a server for callers (logging, resource updates). */
  notification: CustomEvent<{ server: string; method: string; params: Record<string, unknown> }>
}

/** The resources and prompts of the MCP servers a node hosts (the upstream hub), filtered by server. */
export interface HostedCatalog extends TypedEventTarget<HostedCatalogEvents> {
  resources(visible?: (server: string) => boolean): Resource[]
  templates(visible?: (server: string) => boolean): ResourceTemplate[]
  prompts(visible?: (server: string) => boolean): Prompt[]
  /** The server that serves resource `uri`. */
  routeResource(uri: string): HostedServer
  /** The server and its own name of the prompt with catalog name `name`. */
  routePrompt(name: string): { upstream: HostedServer; name: string }
}

/** What one inbound session asked to hear: resource subscriptions and a logging level. */
export interface SessionInterest {
  subscriptions: Set<string>
  logLevel?: LoggingLevel
  /** Called when the session unsubscribes from `uri` (the hosted server may then be told). */
  released?: (uri: string) => void
}

/** Installs the resource, prompt, completion and logging handlers on an inbound session's server. */
export function installCatalogHandlers(
  server: Server,
  hub: HostedCatalog | undefined,
  interest: SessionInterest,
  /** Whether the caller may use hosted server `server` (access rules), and the error when not. */
  access: { allows: (server: string) => boolean; refuse: (server: string) => Error } = {
    allows: () => true,
    refuse: (server) => new Error(`refused: server "${server}"`),
  },
): void {
  const check = (server: string): void => {
    if (!access.allows(server)) throw access.refuse(server)
  }
  const need = (): HostedCatalog => {
    if (hub == null) throw new McpError(ErrorCode.InvalidParams, 'this node hosts no MCP servers')
    return hub
  }
  const resource = (uri: string) => {
    const upstream = need().routeResource(uri)
    check(upstream.name)
    return upstream
  }
  const prompt = (name: string) => {
    const routed = need().routePrompt(name)
    check(routed.upstream.name)
    return routed
  }
  server.setRequestHandler(ListResourcesRequestSchema, (req) => {
    const { page: resources, nextCursor } = page(hub?.resources(access.allows) ?? [], req.params?.cursor)
    return { resources, ...(nextCursor != null ? { nextCursor } : {}) }
  })
  server.setRequestHandler(ListResourceTemplatesRequestSchema, (req) => {
    const { page: resourceTemplates, nextCursor } = page(
      hub?.templates(access.allows) ?? [],
      req.params?.cursor,
    )
    return { resourceTemplates, ...(nextCursor != null ? { nextCursor } : {}) }
  })
  server.setRequestHandler(ReadResourceRequestSchema, (req, extra) =>
    resource(req.params.uri)
      .connected()
      .readResource(req.params, { signal: extra.signal, timeout: NO_SDK_TIMEOUT }),
  )
  server.setRequestHandler(SubscribeRequestSchema, async (req, extra) => {
    const upstream = resource(req.params.uri)
    if (upstream.capabilities?.resources?.subscribe !== true) {
      throw new McpError(
        ErrorCode.InvalidParams,
        `MCP server "${upstream.name}" does not support resource subscriptions`,
      )
    }
    await upstream.connected().subscribeResource(req.params, { signal: extra.signal })
    interest.subscriptions.add(req.params.uri)
    return {}
  })
  server.setRequestHandler(UnsubscribeRequestSchema, async (req) => {
    // The hosted server keeps the subscription while other sessions want it (see `released`).
    if (interest.subscriptions.delete(req.params.uri)) interest.released?.(req.params.uri)
    return {}
  })
  server.setRequestHandler(ListPromptsRequestSchema, (req) => {
    const { page: prompts, nextCursor } = page(hub?.prompts(access.allows) ?? [], req.params?.cursor)
    return { prompts, ...(nextCursor != null ? { nextCursor } : {}) }
  })
  server.setRequestHandler(GetPromptRequestSchema, (req, extra) => {
    const { upstream, name } = prompt(req.params.name)
    return upstream
      .connected()
      .getPrompt({ ...req.params, name }, { signal: extra.signal, timeout: NO_SDK_TIMEOUT })
  })
  server.setRequestHandler(CompleteRequestSchema, (req, extra) => {
    const ref = req.params.ref
    const options = { signal: extra.signal, timeout: NO_SDK_TIMEOUT }
    if (ref.type === 'ref/prompt') {
      const { upstream, name } = prompt(ref.name)
      return upstream.connected().complete({ ...req.params, ref: { ...ref, name } }, options)
    }
    return resource(ref.uri).connected().complete(req.params, options)
  })
  server.setRequestHandler(SetLevelRequestSchema, (req) => {
    interest.logLevel = req.params.level
    return {}
  })
}

/** Logging levels, least severe first. */
export const SEVERITY: LoggingLevel[] = [
  'debug',
  'info',
  'notice',
  'warning',
  'error',
  'critical',
  'alert',
  'emergency',
]

/** Whether a logging message at `level` passes a session's chosen level. */
export function passesLevel(level: LoggingLevel, threshold: LoggingLevel | undefined): boolean {
  return threshold != null && SEVERITY.indexOf(level) >= SEVERITY.indexOf(threshold)
}
