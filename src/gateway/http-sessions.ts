/**
 * The Streamable HTTP sessions of the gateway, and how busy each is. Many clients (the MCP SDK's
 * `Client.close()`, the MCP Inspector's CLI) go away without `DELETE`, so sessions are left behind;
 * a session that has neither a request in flight nor an event stream open may be closed at any time:
 * when it has been idle for the idle timeout, or, when the table is full, the least recently used
 * of them to make room for a new client. Only when every session is busy is a newcomer refused.
 */
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage, MessageExtraInfo, RequestId } from '@modelcontextprotocol/sdk/types.js'

/** How much one session is in use. */
export interface SessionUse {
  /** When it last saw a request begin or an HTTP response end (ms since the epoch). */
  lastActive: number
  /** HTTP requests of the session still open (POST answers being streamed, GET event streams). */
  open: number
  /** Requests of its client that the gateway has not answered yet. */
  readonly inflight: { readonly size: number }
}

/** Whether a session must not be closed now. */
export function isBusy(use: SessionUse): boolean {
  return use.open > 0 || use.inflight.size > 0
}

/** The session to close to make room: the least recently used idle one, or none when all are busy. */
export function leastRecentlyUsedIdle<T extends SessionUse>(sessions: Iterable<T>): T | undefined {
  let pick: T | undefined
  for (const s of sessions) {
    if (isBusy(s)) continue
    if (pick == null || s.lastActive < pick.lastActive) pick = s
  }
  return pick
}

/** Sessions that have been idle (not busy) for at least `idleMs` at `now`. */
export function idleSessions<T extends SessionUse>(sessions: Iterable<T>, now: number, idleMs: number): T[] {
  return [...sessions].filter((s) => !isBusy(s) && now - s.lastActive >= idleMs)
}

/**
 * A transport that counts the client's requests the server has not answered yet. A request leaves
 * the count with its answer, or when the client cancels it (the SDK then sends no answer).
 */
export class InflightTransport implements Transport {
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: (message: JSONRPCMessage, extra?: MessageExtraInfo) => void
  /** Ids of the requests in flight. */
  readonly inflight = new Set<RequestId>()
  private readonly inner: Transport

  constructor(inner: Transport) {
    this.inner = inner
  }

  get sessionId(): string | undefined {
    return this.inner.sessionId
  }

  start(): Promise<void> {
    this.inner.onmessage = (message, extra) => {
      const m = message as { id?: RequestId; method?: string; params?: { requestId?: RequestId } }
      if (m.method != null && m.id != null) this.inflight.add(m.id)
      else if (m.method === 'notifications/cancelled' && m.params?.requestId != null)
        this.inflight.delete(m.params.requestId)
      this.onmessage?.(message, extra)
    }
    this.inner.onclose = () => {
      this.inflight.clear()
      this.onclose?.()
    }
    this.inner.onerror = (error) => this.onerror?.(error)
    return this.inner.start()
  }

  send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    const m = message as { id?: RequestId; method?: string }
    if (m.method == null && m.id != null) this.inflight.delete(m.id)
    return this.inner.send(message, options)
  }

  setProtocolVersion(version: string): void {
    this.inner.setProtocolVersion?.(version)
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}
