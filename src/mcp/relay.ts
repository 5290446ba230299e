/**
 * The requests a tool sends back while serving a call (sampling, elicitation, roots) go to the caller
 * of that call. One table of calls in flight serves both places that relay them: a hosted MCP server
 * (whose requests name no call: MCP over stdio cannot say which call a request belongs to) and a
 * calling node (whose peers name the call: `_meta["cord/relatedRequestId"]`, see related.ts).
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js'
import {
  type CreateMessageResult,
  ErrorCode,
  McpError,
  type RequestId,
} from '@modelcontextprotocol/sdk/types.js'
import { NO_SDK_TIMEOUT } from '../constants.ts'
import type { CallerRelay } from '../registry/types.ts'

/** The capability each kind of request needs. */
export type RelayKind = 'sampling' | 'elicitation' | 'roots'

/** A call in flight, to which requests are relayed. */
export interface Flight {
  /** Names the call in `route()`. */
  readonly key: string
  /** Ends the call: requests no longer reach its caller. */
  leave(): void
}

/** The calls in flight, and their callers. */
export class RelayTable {
  private readonly flights = new Map<string, CallerRelay>()
  private next = 0

  /** Marks a call by `relay` as in flight. */
  enter(relay: CallerRelay): Flight {
    const key = `r${this.next++}`
    this.flights.set(key, relay)
    return { key, leave: () => void this.flights.delete(key) }
  }

  /** Calls in flight. */
  get size(): number {
    return this.flights.size
  }

  /**
   * The caller of a request: the call `key` names; with no key, the most recent call in flight when
   * every call in flight has the same origin. Never a guess between two callers: then, or with no
   * call in flight, or a caller that did not declare the capability, a clear error.
   */
  route(kind: RelayKind, key?: string): CallerRelay {
    let relay = key != null ? this.flights.get(key) : undefined
    if (relay == null && key == null) {
      const all = [...this.flights.values()]
      const origins = new Set(all.map((r) => r.origin))
      if (origins.size > 1)
        throw new McpError(
          ErrorCode.InvalidRequest,
          `cord: calls of ${origins.size} callers are in flight and this ${kind} request does not say which call it belongs to; refused rather than sent to the wrong caller`,
        )
      relay = all.at(-1)
    }
    if (relay == null)
      throw new McpError(
        ErrorCode.InvalidRequest,
        `cord: no call in flight whose caller could answer this ${kind} request`,
      )
    if (relay.capabilities?.[kind] == null)
      throw new McpError(ErrorCode.InvalidRequest, `cord: the caller did not declare the ${kind} capability`)
    return relay
  }
}

/**
 * The caller of request `requestId` of an MCP `Server`'s client, as a relay: its requests go back on
 * that client's session, tied to that request (`relatedRequestId`).
 */
export function serverRelay(server: Server, requestId: RequestId, origin: string): CallerRelay {
  const options = (signal: AbortSignal) => ({ signal, relatedRequestId: requestId, timeout: NO_SDK_TIMEOUT })
  return {
    origin,
    get capabilities() {
      return server.getClientCapabilities()
    },
    createMessage: (params, signal) =>
      server.createMessage(params, options(signal)) as Promise<CreateMessageResult>,
    elicitInput: (params, signal) => server.elicitInput(params, options(signal)),
    listRoots: (signal) => server.listRoots(undefined, options(signal)),
  }
}
