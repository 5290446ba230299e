/**
 * Peers that are down as far as this node can tell right now: a dial refused, a connection reset, a
 * session that broke mid-call, the last connection to the peer closed. Heartbeats notice a dead
 * provider only after missed periods (seconds); these events say it at once, so the router puts such
 * a peer behind every other provider the moment one of them happens. A peer comes back when it shows
 * it is alive: a new connection to it, or a heartbeat received after it was marked.
 */

/** How long after a peer is marked down a heartbeat from it still counts as one sent before. */
export const IN_FLIGHT_HEARTBEAT_MS = 250
/** Past this many entries, marks older than `STALE_MARK_MS` are dropped (the set stays small). */
const MAX_MARKS = 1024
const STALE_MARK_MS = 10 * 60_000

/** The peers marked down, with when. */
export class DownPeers {
  private readonly since = new Map<string, number>()

  /** Marks `peerId` down (a transport failure, or its last connection closed). */
  mark(peerId: string, now = Date.now()): void {
    this.since.set(peerId, now)
    if (this.since.size > MAX_MARKS) {
      for (const [peer, at] of this.since) if (now - at > STALE_MARK_MS) this.since.delete(peer)
    }
  }

  /** `peerId` is reachable again (a connection to it opened). */
  up(peerId: string): void {
    this.since.delete(peerId)
  }

  /**
   * Whether `peerId` is down. `lastHeartbeat` (ms since the epoch) brings it back when the peer was
   * heard after it was marked, beyond a heartbeat that was already on its way.
   */
  isDown(peerId: string, lastHeartbeat?: number): boolean {
    const at = this.since.get(peerId)
    if (at == null) return false
    if (lastHeartbeat != null && lastHeartbeat > at + IN_FLIGHT_HEARTBEAT_MS) {
      this.since.delete(peerId)
      return false
    }
    return true
  }

  /** How many peers are marked. */
  get size(): number {
    return this.since.size
  }
}
