/**
 * The order in which a node tries a peer's addresses. libp2p dials them one after another, each
 * with its own timeout, so an address that cannot work costs seconds before the next is tried. A
 * node behind NAT announces its LAN address and its relay address; to a node on another LAN the LAN
 * address is useless (and may time out rather than fail), so it goes after the relay address. The
 * order: addresses on one of this host's subnets (the same LAN, loopback), public addresses, relayed
 * addresses, then other private addresses; within a rank, TCP before WebSockets.
 */
import type { Address, AddressSorter } from '@libp2p/interface'
import { isPrivate, reliableTransportsFirst } from '@libp2p/utils'
import { type InterfaceSource, ipOf, LocalNetworks } from './local-networks.ts'

const ON_LINK = 0
const PUBLIC = 1
const RELAYED = 2
const OTHER_PRIVATE = 3

/** A comparator for libp2p's `connectionManager.addressSorter`. */
export function addressOrder(source?: InterfaceSource): AddressSorter {
  const local = new LocalNetworks(source)
  const rank = (a: Address): number => {
    const ma = a.multiaddr
    if (ma.getComponents().some((c) => c.name === 'p2p-circuit')) return RELAYED
    const ip = ipOf(ma)
    if (ip == null) return PUBLIC // a DNS name: most likely public
    if (local.isOnLink(ip)) return ON_LINK
    return isPrivate(ma) ? OTHER_PRIVATE : PUBLIC
  }
  return (a, b) => {
    const d = rank(a) - rank(b)
    if (d !== 0) return d < 0 ? -1 : 1
    return reliableTransportsFirst(a.multiaddr, b.multiaddr)
  }
}
