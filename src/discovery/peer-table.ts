/**
 * What a node knows of the other nodes of the mesh, fed by heartbeats and connection events: each
 * peer's state (alive → suspect → dead after missed heartbeats, back to alive on the next one), alias,
 * addresses, load, and the catalog of tools pulled from it.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import type { Heartbeat } from './heartbeat.ts'

/** Liveness of a peer. */
export type PeerState = 'alive' | 'suspect' | 'dead'

/** A peer of the mesh, as the table knows it. */
export interface MeshPeer {
  peerId: string
  alias?: string
  addrs: string[]
  state: PeerState
  /** When the last heartbeat (or connection) was seen, ms since the epoch. */
  lastSeen: number
  /** When the last heartbeat was received, ms since the epoch. */
  lastHeartbeat?: number
  seq?: number
  load?: Heartbeat['load']
  version?: string
  uptimeMs?: number
  /** How often the peer says it publishes, in ms. */
  periodMs?: number
  /** Digest of the catalog the peer announces. */
  digest?: string
  /** The peer's tools, as last pulled, and the digest they were pulled for. */
  tools?: Tool[]
  toolsDigest?: string
  /** The Cord peers it said it is connected to, in its last heartbeat. */
  links?: string[]
}

/** Events of the table. */
export interface PeerTableEvents {
  /** A peer's catalog digest differs from the catalog we hold: pull it. */
  'catalog-stale': CustomEvent<MeshPeer>
  /** A peer changed state, or appeared (alive). */
  state: CustomEvent<MeshPeer>
  /**
   * A peer's heartbeat says it is new to this node, or started again since its last one (a lower
   * `seq`): it has yet to hear the mesh. A peer that was only late, or cut off, and comes back is no
   * join.
   */
  joined: CustomEvent<MeshPeer>
  /** The mesh catalog changed (a catalog was pulled, or a provider changed state). */
  catalog: CustomEvent<void>
  /** A peer that stayed dead for `forgetAfterMs` left the table. */
  forget: CustomEvent<MeshPeer>
}

/** Settings of the table. */
export interface PeerTableInit {
  intervalMs: number
  suspectAfter: number
  deadAfter: number
  /** How long a dead peer stays before it is forgotten: the table does not grow without bound. */
  forgetAfterMs: number
}

/** The peer table. */
export class PeerTable extends TypedEventEmitter<PeerTableEvents> {
  private readonly peers = new Map<string, MeshPeer>()
  private readonly init: PeerTableInit

  constructor(init: PeerTableInit) {
    super()
    this.init = init
  }

  /** Takes a valid heartbeat in. Returns false for a replay or an old one. */
  onHeartbeat(hb: Heartbeat, now = Date.now()): boolean {
    const known = this.peers.get(hb.peerId)
    // A restarted node starts its sequence again: accept a lower seq once it has been silent a while.
    const period = known?.periodMs ?? this.init.intervalMs
    const restarted = known?.lastHeartbeat != null && now - known.lastHeartbeat > period * 2
    if (known?.seq != null && hb.seq <= known.seq && !restarted) return false
    // `seq` counts from 0 at each start: a lower one than last time is a node that started again.
    const joined = known == null || (known.seq != null && hb.seq < known.seq)
    const peer: MeshPeer = {
      ...(known ?? { state: 'alive' }),
      peerId: hb.peerId,
      alias: hb.alias,
      addrs: hb.addrs,
      lastSeen: now,
      lastHeartbeat: now,
      seq: hb.seq,
      load: hb.load,
      version: hb.version,
      uptimeMs: hb.uptimeMs,
      digest: hb.digest,
      periodMs: Math.max(hb.periodMs ?? this.init.intervalMs, this.init.intervalMs),
      links: hb.links ?? [],
    }
    this.peers.set(hb.peerId, peer)
    if (known == null) this.safeDispatchEvent('state', { detail: peer })
    else this.setState(peer, 'alive')
    if (joined) this.safeDispatchEvent('joined', { detail: peer })
    if (peer.toolsDigest !== hb.digest) this.safeDispatchEvent('catalog-stale', { detail: peer })
    return true
  }

  /** A connection to the peer opened: it is reachable now. */
  onConnect(peerId: string, now = Date.now()): void {
    const peer = this.peers.get(peerId)
    if (peer == null) return // only Cord nodes that sent a heartbeat are in the table
    peer.lastSeen = now
    this.setState(peer, 'alive')
  }

  /** Re-evaluates every peer's state against the clock; forgets peers dead for `forgetAfterMs`. */
  tick(now = Date.now()): void {
    for (const peer of this.peers.values()) {
      // Each peer is judged by the period it announces: in a large mesh, heartbeats come less often.
      const missed = (now - peer.lastSeen) / (peer.periodMs ?? this.init.intervalMs)
      const state =
        missed >= this.init.deadAfter ? 'dead' : missed >= this.init.suspectAfter ? 'suspect' : 'alive'
      if (state === 'dead' && now - peer.lastSeen >= this.init.forgetAfterMs) this.forget(peer)
      else this.setState(peer, state)
    }
  }

  /** Stores a pulled catalog. */
  setCatalog(peerId: string, tools: Tool[], digest: string): void {
    const peer = this.peers.get(peerId)
    if (peer == null) return
    peer.tools = tools
    peer.toolsDigest = digest
    this.safeDispatchEvent('catalog')
  }

  get(peerId: string): MeshPeer | undefined {
    return this.peers.get(peerId)
  }

  /** Peers not dead. */
  get liveCount(): number {
    let n = 0
    for (const p of this.peers.values()) if (p.state !== 'dead') n++
    return n
  }

  /** Every peer, alive first, then by alias. */
  list(): MeshPeer[] {
    const order: Record<PeerState, number> = { alive: 0, suspect: 1, dead: 2 }
    return [...this.peers.values()].sort(
      (a, b) =>
        order[a.state] - order[b.state] ||
        (a.alias ?? '').localeCompare(b.alias ?? '') ||
        a.peerId.localeCompare(b.peerId),
    )
  }

  /** Peers that are not dead and carry this alias. */
  byAlias(alias: string): MeshPeer[] {
    return this.list().filter((p) => p.alias === alias && p.state !== 'dead')
  }

  /** Peers in `state` (alive by default) whose pulled catalog has the tool. */
  providers(tool: string, state: PeerState = 'alive'): MeshPeer[] {
    return this.list().filter((p) => p.state === state && p.tools?.some((t) => t.name === tool) === true)
  }

  /** IDs of the peers not dead whose pulled catalog has the tool (in no order). */
  *serving(tool: string): Iterable<string> {
    for (const p of this.peers.values())
      if (p.state !== 'dead' && p.tools?.some((t) => t.name === tool) === true) yield p.peerId
  }

  private forget(peer: MeshPeer): void {
    this.peers.delete(peer.peerId)
    this.safeDispatchEvent('forget', { detail: peer })
    if (peer.state !== 'dead' && peer.tools != null && peer.tools.length > 0)
      this.safeDispatchEvent('catalog')
  }

  private setState(peer: MeshPeer, state: PeerState): void {
    if (peer.state === state) return
    peer.state = state
    this.safeDispatchEvent('state', { detail: peer })
    if (peer.tools != null && peer.tools.length > 0) this.safeDispatchEvent('catalog')
  }
}
