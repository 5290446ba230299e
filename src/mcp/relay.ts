/**
 * The requests a tool sends back while serving a call (sampling, elicitation, roots) go to the caller
 * of that call. One table of calls in flight serves both places that relay them: a hosted MCP server
 * (whose requests name no call: MCP over stdio cannot say which call a request belongs to) and a
 * calling node (whose peers name the call: `_meta["cord/relatedRequestId"]`, see related.ts).
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js'
import {
  type ClientCapabilities,
  type CreateMessageRequest,
  type CreateMessageResult,
  type ElicitRequest,
  type ElicitResult,
  ErrorCode,
  type ListRootsResult,
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
 * that client's session, tied to that request (`relatedRequestId`). Made for every call served, so it
 * is one small object whose methods live on its prototype.
 */
export function serverRelay(server: Server, requestId: RequestId, origin: string): CallerRelay {
  return new ServerRelay(server, requestId, origin)
}

class ServerRelay implements CallerRelay {
  readonly origin: string
  private readonly server: Server
  private readonly requestId: RequestId

  constructor(server: Server, requestId: RequestId, origin: string) {
    this.server = server
    this.requestId = requestId
    this.origin = origin
  }

  get capabilities(): ClientCapabilities | undefined {
    return this.server.getClientCapabilities()
  }

  createMessage(params: CreateMessageRequest['params'], signal: AbortSignal): Promise<CreateMessageResult> {
    return this.server.createMessage(params, this.options(signal)) as Promise<CreateMessageResult>
  }

  elicitInput(params: ElicitRequest['params'], signal: AbortSignal): Promise<ElicitResult> {
    return this.server.elicitInput(params, this.options(signal))
  }

  listRoots(signal: AbortSignal): Promise<ListRootsResult> {
    return this.server.listRoots(undefined, this.options(signal))
  }

  private options(signal: AbortSignal): RequestOptions {
    return { signal, relatedRequestId: this.requestId, timeout: NO_SDK_TIMEOUT }
  }
}
