/** How the gateway answers a call that failed on the mesh. */
import { type CallToolResult, McpError } from '@modelcontextprotocol/sdk/types.js'
import { CordError, RemoteRequestError, RPC } from '../errors.ts'
import { toMcpError } from '../mcp/rpc-errors.ts'

/**
 * A request the client got wrong (unknown tool, invalid arguments) or that the serving peer refused
 * with a JSON-RPC error Cord has no name for keeps its JSON-RPC error, as if the client had called
 * that server directly; any other failure of the mesh (no provider, unreachable peer, timeout, a
 * refusal by access rules or limits) is a tool result with `isError`, so that an agent reads what
 * went wrong. `_meta["cord/error"]` names it.
 */
export function callFailure(err: unknown): CallToolResult {
  if (!(err instanceof CordError) || err.code === RPC.InvalidParams || err instanceof RemoteRequestError)
    throw toMcpError(err)
  return {
    content: [{ type: 'text', text: `cord: ${err.message}` }],
    isError: true,
    _meta: { 'cord/error': err.name },
  }
}

/** A tool name that is not in the gateway's catalog. */
export function unknownTool(name: string): McpError {
  return new McpError(
    RPC.InvalidParams,
    `unknown tool "${name}": no live node of the mesh serves it (tools/list shows the mesh catalog)`,
  )
}
