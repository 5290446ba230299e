/**
 * Discovery without a broker: publishes this node's heartbeat every interval, takes in the
 * heartbeats of the mesh (rejecting and counting bad ones), keeps the peer table and the catalogs
 * pulled from peers up to date, keeps enough connections for gossip to reach the node, and keeps the
 * node's tools advertised in the DHT.
 */
import { TopicValidatorResult } from '@libp2p/gossipsub'
import { type Connection, KEEP_ALIVE, type PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import { multiaddr } from '@multiformats/multiaddr'
import { HEARTBEAT_TOPIC, VERSION } from '../constants.ts'
import type { Logger } from '../logger.ts'
import type { Host } from '../node/host.ts'
import type { ToolRegistry } from '../registry/registry.ts'
import { doublingDelay } from '../util/backoff.ts'
import { ToolAdvertiser } from './dht.ts'
import {
  catalogDigest,
  decodeHeartbeat,
  encodeHeartbeat,
  type Heartbeat,
  type RejectReason,
} from './heartbeat.ts'
import { PeerTable } from './peer-table.ts'

/** What discovery needs from the node. */
export interface DiscoveryComponents {
  libp2p: Host
  registry: ToolRegistry
  log: Logger
  /** Lists a peer's tools over `/cord/mcp/1.0.0`. */
  pullCatalog: (peerId: string) => Promise<Tool[]>
  /** Calls in flight and capacity, for heartbeats. */
  load: () => Heartbeat['load']
  /** Whether a peer may be heard (allow and deny lists); others' heartbeats are dropped. */
  admits?: (peerId: string) => boolean
}

/** Settings of discovery. */
export interface DiscoveryInit {
  alias: string
  intervalMs: number
  /**
   * About how many heartbeats the whole mesh publishes per interval. Up to this many nodes each one
   * publishes every interval; past it, each stretches its period to `intervalMs × nodes / budget`, so
   * that the heartbeat traffic of a node stays bounded by the gossip degree, not the mesh size.
   */
  heartbeatBudget: number
  suspectAfter: number
  deadAfter: number
  targetConnections: number
}

/** Counters, for `cord status` and the benchmark. */
export interface DiscoveryStats {
  published: number
  publishedBytes: number
  received: number
  rejected: Record<RejectReason, number>
  /** Heartbeats of peers the allow/deny lists shut out, dropped. */
  denied: number
  /** Idle connections closed because the node had more than `targetConnections`. */
  trimmed: number
  /** Catalog pulls that succeeded, and that failed (retried later). */
  pulls: { ok: number; failed: number }
}

/** What `cord status` shows of discovery. */
export type DiscoveryStatus = DiscoveryStats & { peers: number; digest: string; periodMs: number }

/** Longest wait before pulling again from a peer whose pulls failed. */
const MAX_PULL_BACKOFF_MS = 30_000

/** Protocols whose streams stay open on a connection that is otherwise idle. */
const IDLE_PROTOCOLS = ['/meshsub/', '/floodsub/', '/ipfs/id/', '/ipfs/ping/']

/** Catalog pulls running at once. */
const PULL_CONCURRENCY = 8

/** Discovery of one node. */
export class Discovery {
  readonly table: PeerTable
  readonly stats: DiscoveryStats = {
    published: 0,
    publishedBytes: 0,
    received: 0,
    rejected: { 'too-large': 0, 'not-json': 0, schema: 0, unsigned: 0, 'signer-mismatch': 0 },
    denied: 0,
    trimmed: 0,
    pulls: { ok: 0, failed: 0 },
  }
  private readonly components: DiscoveryComponents
  private readonly init: DiscoveryInit
  private readonly advertiser: ToolAdvertiser
  private readonly pulling = new Set<string>()
  private readonly waiting = new Set<string>()
  private publishTimer?: NodeJS.Timeout
  private readonly again = new Set<string>()
  private readonly validated = new WeakMap<object, Heartbeat>()
  private readonly failures = new Map<string, number>()
  private readonly retryAt = new Map<string, number>()
  private timer?: NodeJS.Timeout
  private seq = 0
  private readonly startedAt = Date.now()
  private running = false
  private readonly onMessage = (
    evt: CustomEvent<{ topic: string; data: Uint8Array; type: string }>,
  ): void => {
    if (evt.detail.topic !== HEARTBEAT_TOPIC) return
    // The validator already decoded it (the same message object); decode only if it did not.
    const validated = this.validated.get(evt.detail as object)
    const decoded = validated != null ? undefined : decodeHeartbeat(evt.detail as never)
    const heartbeat = validated ?? (decoded?.ok === true ? decoded.heartbeat : undefined)
    if (heartbeat != null) this.onHeartbeat(heartbeat)
  }
  private readonly onConnect = (evt: CustomEvent<PeerId>): void => {
    this.table.onConnect(evt.detail.toString())
    // The first connections fill the routing table: a provide that failed for want of peers goes now.
    if (this.advertiser.due()) this.advertiser.schedule()
  }
  private readonly onRegistryChange = (): void => {
    this.advertiser.schedule()
    void this.publish()
  }

  constructor(components: DiscoveryComponents, init: DiscoveryInit) {
    this.components = components
    this.init = init
    this.table = new PeerTable(init)
    this.advertiser = new ToolAdvertiser(
      { libp2p: components.libp2p, log: components.log },
      { retryMinMs: init.intervalMs },
    )
    this.table.addEventListener('catalog-stale', (evt) => void this.pull(evt.detail.peerId))
    this.table.addEventListener('state', (evt) =>
      components.log.info(
        { peer: evt.detail.peerId, alias: evt.detail.alias, state: evt.detail.state },
        'peer state',
      ),
    )
  }

  /** Counters, the peers in the table, this node's digest and period, for `cord status`. */
  status(): DiscoveryStatus {
    return { ...this.stats, peers: this.table.list().length, digest: this.digest(), periodMs: this.period() }
  }

  /** The digest of this node's own catalog. */
  digest(): string {
    return catalogDigest(this.components.registry.list())
  }

  start(): void {
    if (this.running) return
    this.running = true
    const { libp2p, registry } = this.components
    const pubsub = libp2p.services.pubsub
    pubsub.topicValidators.set(HEARTBEAT_TOPIC, (_peer, message) => {
      const decoded = decodeHeartbeat(message)
      if (decoded.ok) {
        if (this.components.admits?.(decoded.heartbeat.peerId) === false) {
          // Not forwarded, and not held against the peer that relayed it: other nodes may admit it.
          this.stats.denied++
          return TopicValidatorResult.Ignore
        }
        this.validated.set(message, decoded.heartbeat)
        return TopicValidatorResult.Accept
      }
      this.stats.rejected[decoded.reason]++
      this.components.log.debug({ reason: decoded.reason }, 'heartbeat rejected')
      return TopicValidatorResult.Reject
    })
    pubsub.subscribe(HEARTBEAT_TOPIC)
    pubsub.addEventListener('message', this.onMessage as never)
    libp2p.addEventListener('peer:connect', this.onConnect)
    registry.addEventListener('change', this.onRegistryChange)
    this.advertiser.start(() => registry.list().map((t) => t.name))
    const every = (): void => {
      this.table.tick()
      void this.keepConnected()
      void this.trimConnections()
      // A provide fails while the routing table is still empty: try again until every name is out.
      if (this.advertiser.due()) this.advertiser.schedule(0)
    }
    this.timer = setInterval(every, this.init.intervalMs)
    this.timer.unref()
    void this.publish()
  }

  stop(): void {
    if (!this.running) return
    this.running = false
    clearInterval(this.timer)
    clearTimeout(this.publishTimer)
    this.advertiser.stop()
    const { libp2p, registry } = this.components
    libp2p.services.pubsub.removeEventListener('message', this.onMessage as never)
    libp2p.services.pubsub.topicValidators.delete(HEARTBEAT_TOPIC)
    libp2p.removeEventListener('peer:connect', this.onConnect)
    registry.removeEventListener('change', this.onRegistryChange)
  }

  /** How often this node publishes now: every interval, stretched in meshes larger than the budget. */
  period(): number {
    const nodes = this.table.liveCount + 1
    return Math.round(this.init.intervalMs * Math.max(1, nodes / this.init.heartbeatBudget))
  }

  /** Publishes this node's heartbeat now. */
  async publish(): Promise<void> {
    if (!this.running) return
    const { libp2p, registry } = this.components
    const heartbeat: Heartbeat = {
      v: 1,
      peerId: libp2p.peerId.toString(),
      alias: this.init.alias,
      addrs: libp2p
        .getMultiaddrs()
        .map((a) => a.toString())
        .slice(0, 16),
      seq: this.seq++,
      load: this.components.load(),
      uptimeMs: Date.now() - this.startedAt,
      version: VERSION,
      tools: registry.list().length,
      digest: this.digest(),
      periodMs: this.period(),
    }
    this.schedulePublish(heartbeat.periodMs ?? this.init.intervalMs)
    const data = encodeHeartbeat(heartbeat)
    try {
      await libp2p.services.pubsub.publish(HEARTBEAT_TOPIC, data)
      this.stats.published++
      this.stats.publishedBytes += data.byteLength
    } catch (err) {
      this.components.log.debug({ err: (err as Error).message }, 'heartbeat not published')
    }
  }

  /**
   * The next heartbeat goes out 85–100% of a period from now: on its own timer rather than the
   * interval tick (a period of 1.6 intervals would otherwise round up to 2), jittered so that nodes
   * started together do not publish in step, and never later than announced (peers judge liveness
   * by the announced period).
   */
  private schedulePublish(periodMs: number): void {
    clearTimeout(this.publishTimer)
    if (!this.running) return
    this.publishTimer = setTimeout(
      () => void this.publish(),
      Math.round(periodMs * (0.85 + Math.random() * 0.15)),
    )
    this.publishTimer.unref()
  }

  private onHeartbeat(hb: Heartbeat): void {
    const { libp2p } = this.components
    if (hb.peerId === libp2p.peerId.toString()) return
    this.stats.received++
    const before = this.table.get(hb.peerId)?.addrs
    if (!this.table.onHeartbeat(hb)) return
    if (before != null && before.length === hb.addrs.length && before.every((a, i) => a === hb.addrs[i]))
      return
    // The heartbeat is signed by the peer: its addresses replace what we had (a restart may move ports).
    const addrs = hb.addrs.flatMap((a) => {
      try {
        return [multiaddr(a).decapsulateCode(421)]
      } catch {
        return []
      }
    })
    if (addrs.length > 0)
      void libp2p.peerStore.patch(peerIdFromString(hb.peerId), { multiaddrs: addrs }).catch(() => {})
  }

  /**
   * Pulls a peer's catalog: when its heartbeat announces another digest, or at once when its session
   * says `tools/list_changed`. One pull per peer at a time (a change during a pull pulls again after
   * it), a few peers at once; a failed pull is retried on the peer's next heartbeat.
   */
  async pull(peerId: string, urgent = false): Promise<void> {
    if (this.pulling.has(peerId)) {
      this.again.add(peerId)
      return
    }
    if (!urgent && Date.now() < (this.retryAt.get(peerId) ?? 0)) return
    if (!urgent && this.pulling.size >= PULL_CONCURRENCY) {
      // Queued, not dropped: it starts when a pull ends rather than at the peer's next heartbeat.
      this.waiting.add(peerId)
      return
    }
    this.waiting.delete(peerId)
    this.pulling.add(peerId)
    const digest = this.table.get(peerId)?.digest ?? ''
    try {
      const tools = await this.components.pullCatalog(peerId)
      this.table.setCatalog(peerId, tools, digest)
      this.stats.pulls.ok++
      this.failures.delete(peerId)
      this.retryAt.delete(peerId)
    } catch (err) {
      // Back off: a peer we cannot reach now is not dialled again at every one of its heartbeats.
      this.stats.pulls.failed++
      const failures = (this.failures.get(peerId) ?? 0) + 1
      this.failures.set(peerId, failures)
      this.retryAt.set(
        peerId,
        Date.now() + doublingDelay(failures, this.init.intervalMs, MAX_PULL_BACKOFF_MS),
      )
      this.components.log.debug({ peer: peerId, err: (err as Error).message }, 'catalog pull failed')
    } finally {
      this.pulling.delete(peerId)
      if (this.again.delete(peerId)) void this.pull(peerId, true)
      const next = this.waiting.values().next()
      if (!next.done) {
        this.waiting.delete(next.value)
        void this.pull(next.value)
      }
    }
  }

  /**
   * Closes connections this node opened beyond `targetConnections` that carry nothing but gossip
   * (those of catalog pulls, mostly): gossipsub talks to every connected subscriber, so each extra
   * connection adds to the heartbeat traffic of both ends. Newest first, so that the gossip mesh
   * built on older connections stays. Never one with a stream at work (an MCP session, a DHT
   * query), and never one to a peer tagged keep-alive: the bootstrap peers, and the peers kad-dht
   * keeps as the closest to this node (it tags up to 20, and libp2p redials them).
   */
  private async trimConnections(now = Date.now()): Promise<void> {
    const { libp2p } = this.components
    const connections = libp2p.getConnections()
    let excess = new Set(connections.map((c) => c.remotePeer.toString())).size - this.init.targetConnections
    if (excess <= 0) return
    const idle = (c: Connection): boolean =>
      c.streams.every((s) => IDLE_PROTOCOLS.some((p) => s.protocol?.startsWith(p) === true))
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
      const tags = await libp2p.peerStore.get(connection.remotePeer).then(
        (p) => [...p.tags.keys()],
        () => [],
      )
      // looked at again: a stream may have opened while the peer store answered
      if (tags.some((t) => t.startsWith(KEEP_ALIVE)) || connection.status !== 'open' || !idle(connection))
        continue
      excess--
      this.stats.trimmed++
      // Aborted, not closed: a graceful close shuts the muxer at once but leaves the connection
      // "open" until the peer's gossip streams end, and a dial meanwhile would pick it and fail.
      connection.abort(new Error('idle connection closed: more than target_connections'))
    }
  }

  /** Dials alive peers until the node has `targetConnections` connections to mesh peers. */
  private async keepConnected(): Promise<void> {
    const { libp2p } = this.components
    const connected = new Set(libp2p.getConnections().map((c) => c.remotePeer.toString()))
    const missing = this.init.targetConnections - connected.size
    if (missing <= 0) return
    const candidates = this.table
      .list()
      .filter((p) => p.state === 'alive' && !connected.has(p.peerId))
      .sort(() => Math.random() - 0.5)
      .slice(0, missing)
    await Promise.allSettled(
      candidates.map((p) =>
        libp2p.dial(peerIdFromString(p.peerId), { signal: AbortSignal.timeout(this.init.intervalMs * 5) }),
      ),
    )
  }
}
