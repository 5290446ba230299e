/** How the gateway answers a call that failed on the mesh. */
import { type CallToolResult, ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js'
import { CordError } from '../errors.ts'
import { RemoteRequestError } from '../mcp/errors.ts'
import { InvalidToolArgumentsError, UnknownToolError } from '../registry/errors.ts'

/**
 * A request the serving peer refused keeps its JSON-RPC error (as if the client had called that
 * server directly); a failure of the mesh itself (no provider, unreachable peer, timeout) is a tool
 * result with `isError`, so that an agent reads what went wrong. `_meta["cord/error"]` names it.
 */
export function callFailure(err: unknown): CallToolResult {
  if (err instanceof McpError) throw err
  if (err instanceof RemoteRequestError) throw new McpError(err.code, err.message)
  if (err instanceof UnknownToolError || err instanceof InvalidToolArgumentsError)
    throw new McpError(ErrorCode.InvalidParams, err.message)
  if (!(err instanceof CordError)) throw err
  return {
    content: [{ type: 'text', text: `cord: ${err.message}` }],
    isError: true,
    _meta: { 'cord/error': err.name },
  }
}

/** A tool name that is not in the gateway's catalog. */
export function unknownTool(name: string): McpError {
  return new McpError(
    ErrorCode.InvalidParams,
    `unknown tool "${name}": no live node of the mesh serves it (tools/list shows the mesh catalog)`,
  )
}
