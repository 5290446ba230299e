/**
 * Links that went quiet. When heartbeats say a peer is dead but libp2p still shows it connected,
 * the connection most likely runs over a link that carries nothing any more: a partition, a router
 * that lost its uplink (and its NAT mappings). libp2p notices only when a ping has waited 30 s, or
 * when TCP's retransmissions, backing off exponentially, meet a reset — tens of seconds after the
 * link is back. This part aborts such connections at once, for the connections that matter for
 * reaching across networks: to kept peers (bootstrap peers, relays), relayed ones, and, on a relay,
 * those of its clients (a relay forwards a call over a client's oldest connection). Keep-alive then
 * redials, and the next call dials afresh. Other direct connections are left to libp2p: a peer that
 * is merely slow keeps its sessions. A peer whose heartbeats are late but that answers a ping is
 * slow, not cut off (a loaded host, or one that hears the peer's heartbeats only by gossip): its
 * connections stay.
 */
import type { Connection, Libp2p, PeerId } from '@libp2p/interface'
import type { MeshPeer } from '../discovery/peer-table.ts'
import type { Logger } from '../logger.ts'
import { isRelayed } from '../reachability/reachability.ts'
import { callDeadline } from '../util/deadline.ts'

/** What the part needs: the peer table's state events, the node's connections, who is kept. */
export interface StaleLinksComponents {
  table: EventTarget & { get: (peerId: string) => Pick<MeshPeer, 'state'> | undefined }
  libp2p: Pick<Libp2p, 'getConnections'>
  /** Whether the node keeps this peer connected (bootstrap, relay, `connect --keep`). */
  isKept: (peerId: string) => boolean
  /** Whether the peer holds a reservation on this node as a relay. */
  isRelayClient: (peer: PeerId) => boolean
  /** Pings the peer over a connection it has (libp2p's ping service). */
  ping: (peer: PeerId, options: { signal: AbortSignal }) => Promise<unknown>
  log: Logger
}

/** Settings of the part. */
export interface StaleLinksInit {
  /**
   * How long a peer must stay dead before its connections go: a node whose own event loop stalled
   * sees every peer dead at once, then reads the heartbeats waiting in its buffers within this.
   */
  graceMs: number
  /** How long a ping may take before the link is judged stale. */
  pingTimeoutMs: number
}

/** Aborts the connections of peers that went dead, when they are worth redialling at once. */
export class StaleLinks {
  private readonly components: StaleLinksComponents
  private readonly init: StaleLinksInit
  private readonly timers = new Set<NodeJS.Timeout>()
  /** Connections aborted so far. */
  aborted = 0
  /** Dead peers whose link answered a ping, so that their connections stayed. */
  answered = 0
  private readonly onState = (evt: Event): void => {
    const peer = (evt as CustomEvent<MeshPeer>).detail
    if (peer.state !== 'dead') return
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      if (this.components.table.get(peer.peerId)?.state === 'dead') void this.peerDied(peer.peerId)
    }, this.init.graceMs)
    timer.unref()
    this.timers.add(timer)
  }

  constructor(components: StaleLinksComponents, init: StaleLinksInit) {
    this.components = components
    this.init = init
  }

  start(): void {
    this.components.table.addEventListener('state', this.onState)
  }

  stop(): void {
    this.components.table.removeEventListener('state', this.onState)
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
  }

  private async peerDied(peerId: string): Promise<void> {
    const { libp2p, isKept, isRelayClient, ping, log } = this.components
    const conns = libp2p.getConnections().filter((c) => c.remotePeer.toString() === peerId)
    if (conns.length === 0) return
    const all = isKept(peerId) || isRelayClient(conns[0]!.remotePeer)
    const stale = conns.filter((c: Connection) => all || isRelayed(c.remoteAddr))
    if (stale.length === 0) return
    const deadline = callDeadline(this.init.pingTimeoutMs, [])
    const answers = await ping(stale[0]!.remotePeer, { signal: deadline.signal }).then(
      () => true,
      () => false,
    )
    deadline.dispose()
    if (answers) {
      this.answered++
      log.debug({ peer: peerId }, 'peer is silent but answers a ping: its connections stay')
      return
    }
    // looked at again: a heartbeat may have come while the ping waited
    if (this.components.table.get(peerId)?.state !== 'dead') return
    log.info(
      { peer: peerId, connections: stale.length },
      'peer is silent and its link answers no ping: closing its connections to dial afresh',
    )
    for (const conn of stale) conn.abort(new Error(`peer ${peerId} went silent: its link is presumed stale`))
    this.aborted += stale.length
  }
}
