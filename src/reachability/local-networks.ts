/**
 * The networks this host is on, from its interfaces: which IP addresses are its own, and which
 * addresses are on one of its subnets (a peer there is on the same LAN). Read again at most every
 * few seconds, since interfaces come and go (a VPN, Wi-Fi).
 */
import { BlockList, isIPv4 } from 'node:net'
import { networkInterfaces } from 'node:os'
import type { Multiaddr } from '@multiformats/multiaddr'

/** How long a reading of the interfaces is used. */
const REFRESH_MS = 5_000

/** Where the interfaces come from: the host's, or a fixed list in tests. */
export type InterfaceSource = () => ReturnType<typeof networkInterfaces>

/** This host's own addresses and subnets. */
export class LocalNetworks {
  private readonly source: InterfaceSource
  private readAt = 0
  private own = new Set<string>()
  private subnets = new BlockList()

  constructor(source: InterfaceSource = networkInterfaces) {
    this.source = source
  }

  /** Whether `ip` is an address of this host. */
  isOwn(ip: string): boolean {
    this.refresh()
    return this.own.has(ip)
  }

  /** Whether `ip` is on one of this host's subnets (loopback included). */
  isOnLink(ip: string): boolean {
    this.refresh()
    try {
      return this.subnets.check(ip, isIPv4(ip) ? 'ipv4' : 'ipv6')
    } catch {
      return false
    }
  }

  private refresh(): void {
    if (Date.now() - this.readAt < REFRESH_MS) return
    this.readAt = Date.now()
    const own = new Set<string>()
    const subnets = new BlockList()
    for (const addrs of Object.values(this.source()))
      for (const a of addrs ?? []) {
        own.add(a.address)
        const [net, prefix] = (a.cidr ?? '').split('/')
        if (net == null || prefix == null) continue
        try {
          subnets.addSubnet(net, Number(prefix), a.family === 'IPv4' ? 'ipv4' : 'ipv6')
        } catch {
          // an address Node cannot parse (a scoped IPv6 one): not a subnet we can match
        }
      }
    this.own = own
    this.subnets = subnets
  }
}

/** The IP address of a multiaddr (`/ip4/…` or `/ip6/…`), if it has one. */
export function ipOf(ma: Multiaddr): string | undefined {
  return ma.getComponents().find((c) => c.name === 'ip4' || c.name === 'ip6')?.value
}
