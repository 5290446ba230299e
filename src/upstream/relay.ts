/**
 * Requests that a hosted server sends back while serving a call (sampling, elicitation, roots) go to
 * the caller of that call. MCP over stdio does not say which call a server request belongs to, so
 * they go to the caller of the most recent call still in flight on that server; with no call in
 * flight, or a caller that did not declare the capability, the server gets a clear error.
 */
import {
  type ClientCapabilities,
  type CreateMessageRequest,
  type CreateMessageResult,
  type ElicitRequest,
  type ElicitResult,
  ErrorCode,
  type ListRootsResult,
  McpError,
} from '@modelcontextprotocol/sdk/types.js'

/** How to reach the caller of a call: backed by the inbound MCP session. */
export interface CallerRelay {
  capabilities: ClientCapabilities | undefined
  createMessage(params: CreateMessageRequest['params'], signal: AbortSignal): Promise<CreateMessageResult>
  elicitInput(params: ElicitRequest['params'], signal: AbortSignal): Promise<ElicitResult>
  listRoots(signal: AbortSignal): Promise<ListRootsResult>
}

/** The capability each kind of request needs. */
type Kind = 'sampling' | 'elicitation' | 'roots'

/** The callers with calls in flight on one server. */
export class RelayTable {
  private readonly active: CallerRelay[] = []

  /** Marks a call by `relay` as in flight; the returned function ends it. */
  enter(relay: CallerRelay): () => void {
    this.active.push(relay)
    return () => {
      const i = this.active.lastIndexOf(relay)
      if (i >= 0) this.active.splice(i, 1)
    }
  }

  /** Relays a server request to the current caller, or refuses it with a clear error. */
  async relay<T>(kind: Kind, send: (caller: CallerRelay) => Promise<T>): Promise<T> {
    const caller = this.active.at(-1)
    if (caller == null) {
      throw new McpError(
        ErrorCode.InvalidRequest,
        `cord: no call in flight whose caller could answer this ${kind} request`,
      )
    }
    if (caller.capabilities?.[kind] == null) {
      throw new McpError(ErrorCode.InvalidRequest, `cord: the caller did not declare the ${kind} capability`)
    }
    return send(caller)
  }
}
