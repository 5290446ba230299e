/**
 * Resolves a call's target — a peer ID, an alias, or (no target) a tool name — to the peers to try,
 * best first. Whether a failed attempt goes on to the next is the retry policy's (policy.ts).
 */
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js'
import { LOAD_CAPACITY } from '../constants.ts'
import type { MeshPeer, PeerTable } from '../discovery/peer-table.ts'
import { AmbiguousAliasError, NoProviderError, UnknownTargetError } from '../errors.ts'
import type { ToolRegistry } from '../registry/registry.ts'
import { readPeerId } from '../util/peer-ids.ts'
import { DownPeers } from './down.ts'

/** A peer to try, with what the router knows of the tool there. */
export interface Candidate {
  peerId: string
  alias?: string
  annotations?: ToolAnnotations
}

/** What the router needs from the node. */
export interface RouterComponents {
  self: { peerId: string; alias: string }
  table: PeerTable
  registry: ToolRegistry
  /** Providers of a tool from the DHT. */
  findProviders: (tool: string, signal: AbortSignal) => Promise<string[]>
  /** Round-trip time to a peer in ms, when a connection measured it. */
  rtt: (peerId: string) => number | undefined
  /**
   * What a call to the peer would start from: an open session, an open connection (a new stream
   * and the MCP handshake first), or nothing (a dial first). Without it, every peer counts as open.
   */
  link?: (peerId: string) => Link
  /** This node's own calls in flight to the peer (heartbeat load lags a period behind). */
  inflight?: (peerId: string) => number
}

/** What is open towards a peer. */
export type Link = 'session' | 'connection' | 'none'

/** RTT assumed for a peer without a measurement: connected (not pinged yet), or not connected. */
const UNKNOWN_RTT_MS = { session: 5, connection: 5, none: 50 } as const
/**
 * Cost of what a call must open first, in the units of `cost()` (50 ms of RTT): a dial (TCP, Noise,
 * Yamux, identify: ~10 ms on an idle host, far more on a busy one, and a dead address to find out
 * about) outweighs any load, so a provider at hand is preferred; a new stream and the MCP handshake
 * on an open connection cost a few ms.
 */
const OPEN_COST = { session: 0, connection: 0.1, none: 2 } as const
/** A peer marked down goes behind every other: tried only when no other provider is left. */
const DOWN_COST = 1_000

/** Routes calls over the mesh. */
export class Router {
  private readonly c: RouterComponents
  /** Peers that failed at the transport level, or whose last connection closed (see down.ts). */
  private readonly down = new DownPeers()

  constructor(components: RouterComponents) {
    this.c = components
  }

  /** A call to `peerId` failed at the transport level (refused, reset, session broken): down now. */
  failed(peerId: string): void {
    if (peerId !== this.c.self.peerId) this.down.mark(peerId)
  }

  /** The last connection to `peerId` closed. */
  disconnected(peerId: string): void {
    this.down.mark(peerId)
  }

  /** A connection to `peerId` opened: it is reachable again. */
  connected(peerId: string): void {
    this.down.up(peerId)
  }

  /** Whether `peerId` is marked down and not heard from since. */
  isDown(peerId: string): boolean {
    return this.down.isDown(peerId, this.c.table.get(peerId)?.lastHeartbeat)
  }

  /** The peers to try for a call of `tool` at `target` (undefined: any provider), best first. */
  async candidates(target: string | undefined, tool: string, signal: AbortSignal): Promise<Candidate[]> {
    if (target != null && target !== '') return [this.resolveTarget(target, tool)]
    const local = this.c.registry.list().find((t) => t.name === tool)
    // Alive providers; with none, suspect ones (a missed heartbeat or two: busy, or the gossip path
    // changing) rather than nothing; never dead ones.
    const alive = this.c.table.providers(tool)
    const providers = alive.length > 0 || local != null ? alive : this.c.table.providers(tool, 'suspect')
    const found: Candidate[] = [
      ...(local != null ? [{ ...this.c.self, annotations: local.annotations }] : []),
      ...providers.map((p) => this.candidate(p, tool)),
    ]
    if (found.length === 0) {
      const fromDht = await this.c.findProviders(tool, signal).catch(() => [])
      for (const peerId of fromDht) {
        const known = this.c.table.get(peerId)
        if (known?.state === 'dead' || peerId === this.c.self.peerId) continue
        found.push(known != null ? this.candidate(known, tool) : { peerId })
      }
    }
    if (found.length === 0)
      throw new NoProviderError(`no live node of the mesh serves a tool named "${tool}"`)
    const costs = new Map(found.map((c) => [c, this.cost(c)]))
    return found.sort((a, b) => costs.get(a)! - costs.get(b)!)
  }

  private resolveTarget(target: string, tool: string): Candidate {
    if (readPeerId(target) != null) {
      const known = this.c.table.get(target)
      return known != null ? this.candidate(known, tool) : { peerId: target }
    }
    const matches: Candidate[] = this.c.table.byAlias(target).map((p) => this.candidate(p, tool))
    if (this.c.self.alias === target) matches.unshift({ ...this.c.self })
    if (matches.length === 1) return matches[0]!
    if (matches.length > 1) {
      const ids = matches.map((m) => m.peerId)
      throw new AmbiguousAliasError(
        `alias "${target}" is ambiguous: ${ids.length} peers carry it (${ids.join(', ')}); use a peer ID`,
        ids,
      )
    }
    const known = [
      ...new Set(
        this.c.table.list().flatMap((p) => (p.alias != null && p.state !== 'dead' ? [p.alias] : [])),
      ),
    ]
    throw new UnknownTargetError(
      `"${target}" is neither a peer ID nor the alias of a live peer${known.length > 0 ? ` (known aliases: ${known.join(', ')})` : ''}`,
    )
  }

  private candidate(peer: MeshPeer, tool: string): Candidate {
    const candidate: Candidate = { peerId: peer.peerId }
    if (peer.alias != null) candidate.alias = peer.alias
    const annotations = peer.tools?.find((t) => t.name === tool)?.annotations
    if (annotations != null) candidate.annotations = annotations
    return candidate
  }

  /**
   * Lower is better: load (calls in flight over capacity: the peer's last heartbeat, plus this node's
   * own calls to it since), RTT in units of 50 ms, what must be opened first, and whether it is down.
   */
  private cost(candidate: Candidate): number {
    if (candidate.peerId === this.c.self.peerId) return this.c.registry.activeCalls / LOAD_CAPACITY
    const { peerId } = candidate
    const peer = this.c.table.get(peerId)
    const mine = this.c.inflight?.(peerId) ?? 0
    const load = peer?.load != null ? (peer.load.inflight + mine) / peer.load.capacity : 0.5
    const link = this.c.link?.(peerId) ?? 'session'
    const rtt = this.c.rtt(peerId) ?? UNKNOWN_RTT_MS[link]
    return load + rtt / 50 + OPEN_COST[link] + (this.isDown(peerId) ? DOWN_COST : 0)
  }
}
