/**
 * Turns what an outgoing MCP request failed with into one of Cord's named errors, so that callers
 * (and the CLI's exit codes) can tell a refused request from a dead peer or a timeout.
 */
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js'
import { AccessDeniedError, RateLimitedError, ToolChangedError } from '../admission/errors.ts'
import { type CordError, NodeStoppingError } from '../errors.ts'
import { InvalidToolArgumentsError, UnknownToolError } from '../registry/errors.ts'
import { UpstreamUnavailableError } from '../upstream/errors.ts'
import { CallTimeoutError, RemoteRequestError, SessionClosedError } from './errors.ts'
import { NODE_STOPPING_CODE } from './server.ts'

/** The SDK prefixes every McpError message with `MCP error <code>: `, once per hop. */
function stripPrefixes(message: string): string {
  return message.replace(/^(MCP error -?\d+: )+/, '')
}

const byName: Record<string, new (message: string) => CordError> = {
  UnknownToolError,
  InvalidToolArgumentsError,
  NodeStoppingError,
  UpstreamUnavailableError,
  AccessDeniedError,
  ToolChangedError,
  CallTimeoutError,
}

/** Maps an error from an MCP request to `peer` into a Cord error (or returns it unchanged). */
export function fromRemoteError(err: unknown, peer: string): unknown {
  if (!(err instanceof McpError)) return err
  const message = stripPrefixes(err.message)
  const data = err.data as { error?: unknown; retryAfterMs?: unknown } | undefined
  const name = data?.error
  if (name === 'RateLimitedError') {
    const retry = typeof data?.retryAfterMs === 'number' ? data.retryAfterMs : 1_000
    return new RateLimitedError(`${message} (at peer ${peer})`, retry)
  }
  const Named = typeof name === 'string' ? byName[name] : undefined
  if (Named != null) return new Named(`${message} (at peer ${peer})`)
  if (err.code === NODE_STOPPING_CODE) return new NodeStoppingError(`peer ${peer} is stopping: ${message}`)
  if (err.code === ErrorCode.ConnectionClosed) {
    return new SessionClosedError(`the session to peer ${peer} closed before the answer arrived (${message})`)
  }
  return new RemoteRequestError(`peer ${peer} refused the request: ${message}`, err.code)
}
