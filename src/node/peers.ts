/**
 * `node.peers()`: what the node knows of each peer, from its peer store, connections and peer table;
 * and what `status()` says of the node's own reachability.
 */
import type { LanDiscovery } from '../discovery/lan.ts'
import { isRelayed } from '../reachability/reachability.ts'
import { aliasFromAgentVersion, type Host } from './host.ts'
import type { ResolvedNodeOptions } from './options.ts'
import type { NodeParts } from './parts.ts'
import type { NodeStatus, PeerInfo } from './types.ts'

/** The peers in the peer store (not this node), alive and connected first. */
export async function listPeers(
  parts: Pick<NodeParts, 'host' | 'discovery' | 'options' | 'keepAlive' | 'pool'>,
): Promise<PeerInfo[]> {
  const { host, discovery, options } = parts
  const table = discovery.table
  const bootstrap = new Set(options.bootstrap.map((a) => a.slice(a.lastIndexOf('/p2p/') + 5)))
  const kept = new Set(parts.keepAlive.ids())
  const sessions = new Set(parts.pool.peers())
  const stored = await host.peerStore.all()
  return stored
    .filter((p) => !p.id.equals(host.peerId))
    .map((p) => {
      const id = p.id.toString()
      const conns = host.getConnections(p.id)
      const agent = p.metadata.get('AgentVersion')
      const alias = aliasFromAgentVersion(agent != null ? new TextDecoder().decode(agent) : undefined)
      const rtt = conns.find((c) => c.rtt != null)?.rtt
      const mesh = table.get(id)
      const name = mesh?.alias ?? alias
      return {
        peerId: id,
        ...(name != null ? { alias: name } : {}),
        ...(mesh != null ? { state: mesh.state } : {}),
        ...(mesh?.lastHeartbeat != null ? { lastHeartbeat: new Date(mesh.lastHeartbeat).toISOString() } : {}),
        ...(mesh?.load != null ? { load: mesh.load } : {}),
        ...(mesh?.links != null && mesh.links.length > 0 ? { links: mesh.links } : {}),
        addrs: p.addresses.map((a) => `${a.multiaddr.toString()}/p2p/${id}`),
        connected: conns.length > 0,
        ...(conns.length > 0
          ? {
              connection: conns.some((c) => !isRelayed(c.remoteAddr))
                ? ('direct' as const)
                : ('relayed' as const),
            }
          : {}),
        ...(rtt != null ? { rttMs: rtt } : {}),
        session: sessions.has(id),
        bootstrap: bootstrap.has(id),
        keep: kept.has(id),
      }
    })
    .sort((a, b) => rank(a) - rank(b) || a.peerId.localeCompare(b.peerId))
}

/** Order of `peers()`: alive, connected, then the rest. */
function rank(p: PeerInfo): number {
  return (
    (p.state === 'alive' ? 0 : p.state === 'suspect' ? 2 : p.state === 'dead' ? 4 : 1) + (p.connected ? 0 : 1)
  )
}

/** The reachability, relay and mDNS parts of `status()`. */
export function reachabilityStatus(
  host: Host,
  options: ResolvedNodeOptions,
  lan: LanDiscovery | undefined,
): Pick<NodeStatus, 'reachability' | 'relay' | 'mdns'> {
  const { reachability: status, mode, observed, reservations } = host.services.reachability.status()
  return {
    reachability: { status, mode, ...(observed != null ? { observed } : {}), upnp: options.nat.upnp },
    relay: {
      reservations,
      server: host.services.relay != null,
      clients: host.services.relay?.reservations.size ?? 0,
    },
    mdns: { enabled: lan != null, found: lan?.found ?? 0 },
  }
}
