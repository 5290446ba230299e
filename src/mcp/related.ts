/**
 * Carries "which call is this request about" across an MCP session. The MCP SDK passes
 * `relatedRequestId` to the transport with every request a handler sends back to its caller
 * (sampling, elicitation, roots); MCP over a plain stream has no place for it, so `/cord/mcp/1.0.0`
 * puts it in the request's `_meta["cord/relatedRequestId"]` (see protocols/mcp-stream.md). The
 * calling side turns it back into what its own request was sent with — the `relatedRequestId` option
 * of `client.request()`, which a node sets to the key of the call in its relay table.
 */
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage, RequestId } from '@modelcontextprotocol/sdk/types.js'

/** `_meta` key of a request sent back to a caller: the JSON-RPC id of the caller's request it belongs to. */
export const RELATED_META = 'cord/relatedRequestId'

/**
 * `_meta` key of a call request: who the caller is behind the calling node (a gateway client), as an
 * opaque string. A hosted server's requests that name no call go only to calls of one origin.
 */
export const ORIGIN_META = 'cord/origin'

/** Which end of a session a transport is: the side that calls (an SDK `Client`) or that serves. */
export type Role = 'client' | 'server'

/** Most requests of one session remembered at once (each is forgotten when its answer arrives). */
const MAX_REMEMBERED = 65_536

type Message = { id?: RequestId; method?: string; params?: Record<string, unknown> }

/** The bookkeeping of one session's end. */
export class RelatedRequests {
  private readonly role: Role
  /** Requests this client sent, by id: what they were sent with as `relatedRequestId`. */
  private readonly sent = new Map<RequestId, RequestId>()

  constructor(role: Role) {
    this.role = role
  }

  /** A message about to be sent. */
  outbound(message: JSONRPCMessage, options?: TransportSendOptions): JSONRPCMessage {
    const m = message as Message
    if (m.method === 'notifications/cancelled') {
      this.sent.delete(m.params?.requestId as RequestId)
      return message
    }
    const related = options?.relatedRequestId
    if (related == null || m.method == null || m.id == null) return message
    if (this.role === 'client') {
      if (this.sent.size >= MAX_REMEMBERED) this.sent.clear()
      this.sent.set(m.id, related)
      return message
    }
    const meta = { ...(m.params?._meta as Record<string, unknown> | undefined), [RELATED_META]: related }
    return { ...message, params: { ...m.params, _meta: meta } } as JSONRPCMessage
  }

  /** A message received. */
  inbound(message: JSONRPCMessage): JSONRPCMessage {
    if (this.role !== 'client') return message
    const m = message as Message
    if (m.method == null) {
      if (m.id != null) this.sent.delete(m.id) // the answer to one of our requests
      return message
    }
    const meta = m.params?._meta as Record<string, unknown> | undefined
    if (m.id == null || meta == null || !(RELATED_META in meta)) return message
    // The peer names one of our requests by its id: what we sent it with, or nothing.
    const { [RELATED_META]: id, ...rest } = meta
    const ours = this.sent.get(id as RequestId)
    const _meta = ours != null ? { ...rest, [RELATED_META]: ours } : rest
    return { ...message, params: { ...m.params, _meta } } as JSONRPCMessage
  }
}

/** A transport that carries related requests as `/cord/mcp/1.0.0` does: for in-memory sessions. */
export class RelatedTransport implements Transport {
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: (message: JSONRPCMessage) => void
  private readonly inner: Transport
  private readonly related: RelatedRequests

  constructor(inner: Transport, role: Role) {
    this.inner = inner
    this.related = new RelatedRequests(role)
  }

  start(): Promise<void> {
    this.inner.onmessage = (message) => this.onmessage?.(this.related.inbound(message))
    this.inner.onclose = () => this.onclose?.()
    this.inner.onerror = (error) => this.onerror?.(error)
    return this.inner.start()
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    return this.inner.send(this.related.outbound(message, options), options)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}
