/**
 * Resumable event streams: the last events a gateway session sent on its event streams, so that a
 * client whose stream broke reconnects with `Last-Event-ID` and gets what it missed (the MCP SDK's
 * `EventStore`). One store per session, in memory, bounded in events and in bytes: the oldest
 * events go first, and a client that asks to resume from an event no longer held is told so.
 */
import type { EventStore } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'

/** Bounds of one session's store. */
export interface EventStoreLimits {
  maxEvents: number
  maxBytes: number
}

interface StoredEvent {
  streamId: string
  message: JSONRPCMessage
  bytes: number
}

/** The events of one session, oldest first (a Map keeps insertion order). */
export class SessionEventStore implements EventStore {
  private readonly limits: EventStoreLimits
  private readonly events = new Map<string, StoredEvent>()
  private bytes = 0
  private next = 0

  constructor(limits: EventStoreLimits) {
    this.limits = limits
  }

  /** Events held, and their size in bytes (of their JSON). */
  get size(): { events: number; bytes: number } {
    return { events: this.events.size, bytes: this.bytes }
  }

  /** Whether the event `eventId` is still held (a resume from it can replay what followed). */
  has(eventId: string): boolean {
    return this.events.has(eventId)
  }

  async storeEvent(streamId: string, message: JSONRPCMessage): Promise<string> {
    // The sequence number first: ids sort by age whatever the stream ID looks like.
    const eventId = `${(this.next++).toString(36)}_${streamId}`
    const bytes = Buffer.byteLength(JSON.stringify(message)) + eventId.length
    this.events.set(eventId, { streamId, message, bytes })
    this.bytes += bytes
    for (const [id, event] of this.events) {
      if (this.events.size <= this.limits.maxEvents && this.bytes <= this.limits.maxBytes) break
      if (id === eventId) break // the newest stays, however large
      this.events.delete(id)
      this.bytes -= event.bytes
    }
    return eventId
  }

  async getStreamIdForEventId(eventId: string): Promise<string | undefined> {
    return this.events.get(eventId)?.streamId
  }

  async replayEventsAfter(
    lastEventId: string,
    { send }: { send: (eventId: string, message: JSONRPCMessage) => Promise<void> },
  ): Promise<string> {
    const last = this.events.get(lastEventId)
    if (last == null) throw new Error(`event ${lastEventId} is no longer held`)
    let after = false
    for (const [id, event] of [...this.events]) {
      if (id === lastEventId) {
        after = true
        continue
      }
      // Priming events (empty messages) only give the client an id to resume from.
      if (after && event.streamId === last.streamId && Object.keys(event.message).length > 0)
        await send(id, event.message)
    }
    return last.streamId
  }
}
