/**
 * Errors at the MCP edge, both ways, derived from the error table (src/errors.ts): a serving node
 * answers a Cord error with its JSON-RPC code and `data.error` naming it; a calling node turns such an
 * answer back into the same named error, so that callers (and the CLI's exit codes) can tell a
 * refused request from a dead peer or a timeout.
 */
import { McpError } from '@modelcontextprotocol/sdk/types.js'
import { CordError, RemoteRequestError, RPC, remoteErrorType, SessionClosedError } from '../errors.ts'

/** The JSON-RPC error a serving node answers with for `err`. */
export function toMcpError(err: unknown): McpError {
  if (err instanceof McpError) return err
  if (err instanceof CordError) return new McpError(err.code, err.message, { error: err.name, ...err.data() })
  return new McpError(RPC.InternalError, `internal error: ${(err as Error)?.message ?? String(err)}`)
}

/** The SDK prefixes every McpError message with `MCP error <code>: `, once per hop. */
function stripPrefixes(message: string): string {
  return message.replace(/^(MCP error -?\d+: )+/, '')
}

/** Maps the error of an MCP request to `peer` into a Cord error (anything but an McpError unchanged). */
export function fromMcpError(err: unknown, peer: string): unknown {
  if (!(err instanceof McpError)) return err
  const message = stripPrefixes(err.message)
  const data = typeof err.data === 'object' && err.data != null ? (err.data as Record<string, unknown>) : {}
  const type = remoteErrorType(data.error)
  if (type != null) return type.fromData(`${message} (at peer ${peer})`, data)
  if (err.code === RPC.ConnectionClosed)
    return new SessionClosedError(`the session to peer ${peer} closed before the answer arrived (${message})`)
  return new RemoteRequestError(`peer ${peer} refused the request: ${message}`, err.code)
}
