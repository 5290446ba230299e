/**
 * Connection upkeep: a node keeps `targetConnections` connections to alive peers, so that gossip
 * reaches it from the whole mesh, and closes the ones it opened beyond that which carry nothing but
 * gossip (those of catalog pulls, mostly): gossipsub talks to every connected subscriber, so each
 * extra connection adds to the heartbeat traffic of both ends.
 */
import { type Connection, KEEP_ALIVE, type Libp2p, type PeerId, type PeerStore } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { shuffled } from '../util/shuffle.ts'
import type { PeerTable } from './peer-table.ts'

/** Protocols whose streams stay open on a connection that is otherwise idle. */
const IDLE_PROTOCOLS = ['/meshsub/', '/floodsub/', '/ipfs/id/', '/ipfs/ping/']

/** What upkeep needs. */
export interface ConnectionUpkeepComponents {
  network: Pick<Libp2p, 'getConnections' | 'dial'>
  peerStore: PeerStore
  table: PeerTable
  /** This node's peer ID (the peer store may hold it too). */
  self: string
}

/** Settings of upkeep. */
export interface ConnectionUpkeepInit {
  intervalMs: number
  targetConnections: number
}

/** Keeps the node's connections near the target. */
export class ConnectionUpkeep {
  /** Idle connections closed because the node had more than `targetConnections`. */
  trimmed = 0
  /** When the peer store was last read for peers to dial. */
  private storedAt = 0
  private readonly components: ConnectionUpkeepComponents
  private readonly init: ConnectionUpkeepInit

  constructor(components: ConnectionUpkeepComponents, init: ConnectionUpkeepInit) {
    this.components = components
    this.init = init
  }

  /** One round: dial when below the target, trim when above. */
  async tick(now = Date.now()): Promise<void> {
    await Promise.all([this.keepConnected(), this.trim(now)])
  }

  /**
   * Closes connections this node opened beyond `targetConnections` that carry nothing but gossip.
   * Newest first, so that the gossip mesh built on older connections stays. Never one with a stream
   * at work (an MCP session, a DHT query), and never one to a peer tagged keep-alive: the bootstrap
   * peers and those `cord connect --keep` adds (kad-dht's closest peers are not kept: see
   * node/dht-tags.ts).
   */
  private async trim(now: number): Promise<void> {
    const { network, peerStore } = this.components
    const connections = network.getConnections()
    let excess = new Set(connections.map((c) => c.remotePeer.toString())).size - this.init.targetConnections
    if (excess <= 0) return
    const candidates = connections
      .filter(
        (c) =>
          c.direction === 'outbound' &&
          c.status === 'open' &&
          now - c.timeline.open > this.init.intervalMs * 2 &&
          idle(c),
      )
      .sort((a, b) => b.timeline.open - a.timeline.open)
    for (const connection of candidates) {
      if (excess <= 0) break
      const tags = await peerStore.get(connection.remotePeer).then(
        (p) => [...p.tags.keys()],
        () => [],
      )
      // looked at again: a stream may have opened while the peer store answered
      if (tags.some((t) => t.startsWith(KEEP_ALIVE)) || connection.status !== 'open' || !idle(connection))
        continue
      excess--
      this.trimmed++
      // Aborted, not closed: a graceful close shuts the muxer at once but leaves the connection
      // "open" until the peer's gossip streams end, and a dial meanwhile would pick it and fail.
      connection.abort(new Error('idle connection closed: more than target_connections'))
    }
  }

  /** Dials alive peers until the node has `targetConnections` connections to mesh peers. */
  private async keepConnected(): Promise<void> {
    const { network, table } = this.components
    const connected = new Set(network.getConnections().map((c) => c.remotePeer.toString()))
    const missing = this.init.targetConnections - connected.size
    if (missing <= 0) return
    const candidates = shuffled(table.list().filter((p) => p.state === 'alive' && !connected.has(p.peerId)))
      .slice(0, missing)
      .map((p) => peerIdFromString(p.peerId))
    // A node that has heard (almost) no one yet — joined through one busy bootstrap peer whose gossip
    // mesh is full, so that heartbeats reach it only by gossip now and then — dials peers the DHT told
    // it about (its peer store holds those its first queries met), rather than wait to hear them.
    // Only while it hears no one, and every 5 intervals at most (it reads the whole peer store).
    const now = Date.now()
    if (table.liveCount === 0 && now - this.storedAt >= this.init.intervalMs * 5) {
      this.storedAt = now
      candidates.push(...(await this.stored(connected, missing)))
    }
    await Promise.allSettled(
      candidates.map((peer) => network.dial(peer, { signal: AbortSignal.timeout(this.init.intervalMs * 5) })),
    )
  }

  /** Up to `count` peers of the peer store with addresses, not connected and not known dead, at random. */
  private async stored(connected: Set<string>, count: number): Promise<PeerId[]> {
    const { peerStore, table, self } = this.components
    const peers = await peerStore
      .all({
        filters: [
          (p) =>
            p.addresses.length > 0 &&
            !connected.has(p.id.toString()) &&
            p.id.toString() !== self &&
            table.get(p.id.toString())?.state !== 'dead',
        ],
      })
      .catch(() => [])
    return shuffled(peers)
      .slice(0, count)
      .map((p) => p.id)
  }
}

/** Whether a connection carries nothing but gossip, identify and ping. */
function idle(c: Connection): boolean {
  return c.streams.every((s) => IDLE_PROTOCOLS.some((p) => s.protocol?.startsWith(p) === true))
}
