/**
 * Who may connect: allow and deny lists of peer IDs, enforced by libp2p's connection gater on dials
 * and after the Noise handshake of inbound connections (when the remote's peer ID is known). A denied
 * peer gets no connection, so no stream; its heartbeats relayed by others are dropped too (see
 * `PeerFilter.admits`). Through a relay likewise: a relay serving as one reserves no slot for a
 * denied peer and relays no connection from or to one, and a node takes no relayed connection from
 * one (nor through a denied relay).
 */
import type { ConnectionGater, PeerId } from '@libp2p/interface'

/** Allow and deny lists. An empty allow list admits everyone not denied. */
export class PeerFilter {
  private readonly allow: Set<string>
  private readonly deny: Set<string>

  constructor(allow: string[], deny: string[]) {
    this.allow = new Set(allow)
    this.deny = new Set(deny)
  }

  /** Whether `peer` may connect and be heard. */
  admits(peer: string): boolean {
    if (this.deny.has(peer)) return false
    return this.allow.size === 0 || this.allow.has(peer)
  }

  /** A connection gater enforcing the lists. */
  gater(): ConnectionGater {
    const denied = (peer: PeerId): boolean => !this.admits(peer.toString())
    return {
      denyDialPeer: denied,
      denyInboundEncryptedConnection: denied,
      denyOutboundEncryptedConnection: denied,
      denyInboundRelayReservation: denied,
      denyOutboundRelayedConnection: (source, destination) => denied(source) || denied(destination),
      denyInboundRelayedConnection: (relay, remote) => denied(relay) || denied(remote),
    }
  }
}
