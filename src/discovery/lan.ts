/**
 * LAN discovery: multicast DNS finds Cord nodes on the same LAN with no bootstrap address, and this
 * part dials them while the node has fewer connections than it keeps (`targetConnections`); the
 * others stay in the peer store, where gossip and calls find them. Peers the allow and deny lists
 * shut out are not dialled. Nodes of other networks are not found at all: the mDNS service name
 * carries the network (see `mdnsServiceTag`).
 */
import type { Libp2p, PeerInfo } from '@libp2p/interface'
import type { Logger } from '../logger.ts'

/** What LAN discovery needs: the mDNS service's events, and the node's connections. */
export interface LanDiscoveryComponents {
  mdns: EventTarget
  network: Pick<Libp2p, 'dial' | 'getConnections'>
  log: Logger
  admits?: (peerId: string) => boolean
}

/** Settings of LAN discovery. */
export interface LanDiscoveryInit {
  targetConnections: number
  /** Bound on one dial, in ms. */
  dialTimeoutMs: number
}

/** Dials the Cord nodes mDNS finds, up to the connection target. */
export class LanDiscovery {
  private readonly components: LanDiscoveryComponents
  private readonly init: LanDiscoveryInit
  private readonly dialling = new Set<string>()
  /** Peers found, for `cord status`. */
  found = 0
  private readonly onPeer = (evt: Event): void => void this.discovered((evt as CustomEvent<PeerInfo>).detail)

  constructor(components: LanDiscoveryComponents, init: LanDiscoveryInit) {
    this.components = components
    this.init = init
  }

  start(): void {
    this.components.mdns.addEventListener('peer', this.onPeer)
  }

  stop(): void {
    this.components.mdns.removeEventListener('peer', this.onPeer)
  }

  private async discovered(peer: PeerInfo): Promise<void> {
    const id = peer.id.toString()
    const { network, log } = this.components
    this.found++
    if (this.components.admits?.(id) === false) return
    if (this.dialling.has(id) || network.getConnections(peer.id).length > 0) return
    if (network.getConnections().length >= this.init.targetConnections) return
    this.dialling.add(id)
    try {
      // Its addresses, not its ID: libp2p stores them in the peer store on the same event, maybe later.
      const addrs = peer.multiaddrs.map((a) => a.encapsulate(`/p2p/${id}`))
      await network.dial(addrs, { signal: AbortSignal.timeout(this.init.dialTimeoutMs) })
      log.debug({ peer: id }, 'connected to a node found on the LAN')
    } catch (err) {
      log.debug({ peer: id, err: (err as Error).message }, 'could not dial a node found on the LAN')
    } finally {
      this.dialling.delete(id)
    }
  }
}

/**
 * The mDNS service name Cord nodes answer to: `_cord._udp.local`, or with a private network key
 * `_cord-<8 hex digits of the key's fingerprint>._udp.local`, so that nodes of another network (and
 * plain libp2p nodes, which use `_p2p._udp.local`) are never found.
 */
export function mdnsServiceTag(keyFingerprint?: string): string {
  return keyFingerprint != null ? `_cord-${keyFingerprint.slice(0, 8)}._udp.local` : '_cord._udp.local'
}

/**
 * Whether mDNS has anything to offer: a node that listens only on loopback (or only on a relay)
 * cannot be dialled from the LAN, so it neither announces itself nor looks for others.
 */
export function listensOnLan(listen: string[]): boolean {
  return listen.some((addr) => {
    const ip = addr.match(/^\/ip[46]\/([^/]+)/)?.[1]
    return ip != null && !ip.startsWith('127.') && ip !== '::1'
  })
}
