/** The request handlers of a gateway session: tools, meta-tools, resources, prompts and logging. */
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  GetPromptRequestSchema,
  ListPromptsRequestSchema,
  ListResourcesRequestSchema,
  ListResourceTemplatesRequestSchema,
  ListToolsRequestSchema,
  McpError,
  ReadResourceRequestSchema,
  SetLevelRequestSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { page } from '../mcp/paging.ts'
import type { Gateway, GatewaySession } from './gateway.ts'
import { MeshListings } from './listings.ts'
import {
  CALL_TOOL,
  DESCRIBE_TOOL,
  jsonResult,
  metaTools,
  SEARCH_TOOL,
  searchTools,
  stringArg,
} from './meta-tools.ts'

/** Installs the gateway's handlers on a session's server. */
export function installHandlers(gateway: Gateway, session: GatewaySession): void {
  const { server } = session
  const listings = new MeshListings(gateway)

  server.setRequestHandler(ListToolsRequestSchema, (req) => {
    gateway.refresh()
    const all = gateway.metaMode
      ? metaTools(gateway.tools().length)
      : gateway.tools().map((t) => {
          gateway.pin(session, t)
          return gateway.shown(t)
        })
    const { page: tools, nextCursor } = page(all, req.params?.cursor)
    return { tools, ...(nextCursor != null ? { nextCursor } : {}) }
  })

  server.setRequestHandler(CallToolRequestSchema, async (req, extra): Promise<CallToolResult> => {
    const { name } = req.params
    const args = req.params.arguments ?? {}
    const token = req.params._meta?.progressToken
    const call = (tool: string, a: Record<string, unknown>): Promise<CallToolResult> =>
      gateway.call(session, tool, a, {
        signal: extra.signal,
        requestId: extra.requestId,
        ...(token != null ? { progressToken: token } : {}),
        sendProgress: (params) =>
          extra.sendNotification({ method: 'notifications/progress', params } as never),
      })
    if (name === SEARCH_TOOL && gateway.metaMode) {
      const query = stringArg(args, 'query', SEARCH_TOOL)
      const limit = typeof args.limit === 'number' ? args.limit : 20
      const found = searchTools(gateway.tools(), query, limit).map((t) => {
        const shown = gateway.shown(t)
        return { name: shown.name, description: shown.description }
      })
      return jsonResult({ matches: found, total: gateway.tools().length })
    }
    if (name === DESCRIBE_TOOL && gateway.metaMode) {
      const wanted = stringArg(args, 'name', DESCRIBE_TOOL)
      const entry = gateway.tools().find((t) => t.name === wanted)
      if (entry == null)
        throw new McpError(
          ErrorCode.InvalidParams,
          `${DESCRIBE_TOOL}: no tool "${wanted}" in the mesh catalog (search with ${SEARCH_TOOL})`,
        )
      gateway.pin(session, entry)
      return jsonResult({ tool: gateway.shown(entry) })
    }
    if (name === CALL_TOOL && gateway.metaMode) {
      const target = stringArg(args, 'name', CALL_TOOL)
      const inner = args.arguments ?? {}
      if (typeof inner !== 'object' || inner == null || Array.isArray(inner))
        throw new McpError(ErrorCode.InvalidParams, `${CALL_TOOL}: argument "arguments" must be an object`)
      return call(target, inner as Record<string, unknown>)
    }
    return call(name, args)
  })

  server.setRequestHandler(ListResourcesRequestSchema, async (req) => {
    const { page: resources, nextCursor } = page(await listings.resources(), req.params?.cursor)
    return { resources, ...(nextCursor != null ? { nextCursor } : {}) }
  })
  server.setRequestHandler(ListResourceTemplatesRequestSchema, async (req) => {
    const { page: resourceTemplates, nextCursor } = page(await listings.templates(), req.params?.cursor)
    return { resourceTemplates, ...(nextCursor != null ? { nextCursor } : {}) }
  })
  server.setRequestHandler(ReadResourceRequestSchema, (req, extra) =>
    listings.read(req.params.uri, extra.signal),
  )
  server.setRequestHandler(ListPromptsRequestSchema, async (req) => {
    const { page: prompts, nextCursor } = page(await listings.prompts(), req.params?.cursor)
    return { prompts, ...(nextCursor != null ? { nextCursor } : {}) }
  })
  server.setRequestHandler(GetPromptRequestSchema, (req, extra) =>
    listings.getPrompt(req.params.name, req.params.arguments ?? {}, extra.signal),
  )
  server.setRequestHandler(SetLevelRequestSchema, (req) => {
    gateway.setLogLevel(session, req.params.level)
    return {}
  })
}
