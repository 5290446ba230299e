/**
 * Discovery without a broker: publishes this node's heartbeat every interval, takes in the
 * heartbeats of the mesh (rejecting and counting bad ones), keeps the peer table and the catalogs
 * pulled from peers up to date, keeps enough connections for gossip to reach the node, and keeps the
 * node's tools advertised in the DHT.
 */
import { type GossipSub, TopicValidatorResult } from '@libp2p/gossipsub'
import {
  type ContentRouting,
  KEEP_ALIVE,
  type Libp2p,
  type PeerId,
  type PeerStore,
  type PrivateKey,
} from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import { multiaddr } from '@multiformats/multiaddr'
import { HEARTBEAT_TOPIC, VERSION } from '../constants.ts'
import type { Logger } from '../logger.ts'
import type { ToolRegistry } from '../registry/registry.ts'
import { shareable } from './catalog-record.ts'
import { CatalogSync, type CatalogSyncStats } from './catalog-sync.ts'
import { ConnectionUpkeep } from './connections.ts'
import { advertiserInit, ToolAdvertiser } from './dht.ts'
import {
  catalogDigest,
  decodeHeartbeat,
  encodeHeartbeat,
  type Heartbeat,
  heartbeatAddrs,
  heartbeatLinks,
  type RejectReason,
} from './heartbeat.ts'
import { Pace } from './pace.ts'
import { PeerTable } from './peer-table.ts'
import { CatalogPulls } from './pulls.ts'

/** What discovery needs from the node: the libp2p services it uses, the node's tools, and a way to pull a peer's. */
export interface DiscoveryComponents {
  peerId: PeerId
  pubsub: GossipSub
  peerStore: PeerStore
  contentRouting: ContentRouting
  /** The node's connections, addresses and connection events. */
  network: Pick<
    Libp2p,
    | 'getConnections'
    | 'dial'
    | 'getMultiaddrs'
    | 'addEventListener'
    | 'removeEventListener'
    | 'handle'
    | 'unhandle'
    | 'dialProtocol'
  >
  /** The node's key: it signs the node's catalog records. */
  privateKey: PrivateKey
  /** The access rules: what a shared catalog record may show (see protocols/catalog.md). */
  policy: Parameters<typeof shareable>[1]
  /** The node's own tools, announced in heartbeats and provided in the DHT. */
  registry: Pick<ToolRegistry, 'list' | 'addEventListener' | 'removeEventListener'>
  log: Logger
  /** Lists a peer's tools over `/cord/mcp/1.0.0`: `signal` stops it, `timeoutMs` bounds the listing. */
  pullCatalog: (peerId: string, signal: AbortSignal, timeoutMs: number) => Promise<Tool[]>
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
  /**
   * The same at rest: once a node's view of the mesh has not changed for `REST_AFTER_PERIODS` periods
   * (no peer joined, died or came back, no catalog or address changed), its period stretches to
   * `intervalMs × nodes / restBudget`; any change brings it back at once.
   */
  heartbeatRestBudget: number
  suspectAfter: number
  deadAfter: number
  /** How long a peer may stay silent (dead) before it is forgotten. */
  forgetAfterMs: number
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
  /** Signed catalog records: published, received, rejected, exchanged (see protocols/catalog.md). */
  catalogs: CatalogSyncStats
}

/** What `cord status` shows of discovery. */
export type DiscoveryStatus = DiscoveryStats & {
  peers: number
  digest: string
  periodMs: number
  /** Whether the node publishes at its rest period (its view of the mesh has been still a while). */
  resting: boolean
}

/** Discovery of one node. */
export class Discovery {
  readonly table: PeerTable
  private readonly stats = {
    published: 0,
    publishedBytes: 0,
    received: 0,
    rejected: { 'too-large': 0, 'not-json': 0, schema: 0, unsigned: 0, 'signer-mismatch': 0 },
    denied: 0,
  }
  private readonly components: DiscoveryComponents
  private readonly init: DiscoveryInit
  private readonly advertiser: ToolAdvertiser
  private readonly pulls: CatalogPulls
  private readonly upkeep: ConnectionUpkeep
  private readonly catalogs: CatalogSync
  private readonly validated = new WeakMap<object, Heartbeat>()
  private publishTimer?: NodeJS.Timeout
  private timer?: NodeJS.Timeout
  private seq = 0
  private readonly startedAt = Date.now()
  /** How often this node publishes now, and whether it rests (see pace.ts). */
  readonly pace: Pace
  /** When the next heartbeat is due. */
  private nextPublishAt = 0
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
    this.pace.change()
    this.advertiser.schedule()
    // The record first: a peer that hears the new digest then usually holds its catalog already.
    void this.catalogs.publishOwn().finally(() => this.publish())
  }
  /** The node's addresses changed (a relay reservation, a port mapping): say so at once. */
  private readonly onSelfUpdate = (): void => {
    const addrs = heartbeatAddrs(this.components.network.getMultiaddrs().map((a) => a.toString()))
    if (addrs.join(' ') === this.announced) return
    this.pace.change()
    void this.publish()
  }
  private announced = ''

  constructor(components: DiscoveryComponents, init: DiscoveryInit) {
    this.components = components
    this.init = init
    this.table = new PeerTable(init)
    this.pace = new Pace(init, () => this.table.liveCount + 1)
    const { log } = components
    this.advertiser = new ToolAdvertiser(
      { contentRouting: components.contentRouting, log },
      advertiserInit(init.intervalMs, components.peerId.toString(), this.table),
    )
    this.pulls = new CatalogPulls({ table: this.table, pullCatalog: components.pullCatalog, log }, init)
    this.upkeep = new ConnectionUpkeep(
      {
        network: components.network,
        peerStore: components.peerStore,
        table: this.table,
        self: components.peerId.toString(),
      },
      init,
    )
    this.catalogs = new CatalogSync(
      {
        ...components,
        network: components.network,
        table: this.table,
        pulls: this.pulls,
        own: () => {
          const tools = components.registry.list()
          return { ...shareable(tools, components.policy), digest: catalogDigest(tools) }
        },
      },
      init,
    )
    this.table.addEventListener('catalog-stale', (evt) => this.catalogs.stale(evt.detail))
    this.table.addEventListener('forget', (evt) => void this.forget(evt.detail.peerId))
    this.table.addEventListener('joined', () => this.changed())
    this.table.addEventListener('state', (evt) => {
      log.info({ peer: evt.detail.peerId, alias: evt.detail.alias, state: evt.detail.state }, 'peer state')
    })
  }

  /** Counters, the peers in the table, this node's digest and period, for `cord status`. */
  status(): DiscoveryStatus {
    return {
      ...this.stats,
      rejected: { ...this.stats.rejected },
      trimmed: this.upkeep.trimmed,
      pulls: { ...this.pulls.stats },
      catalogs: this.catalogs.stats(),
      peers: this.table.list().length,
      digest: this.digest(),
      periodMs: this.pace.period(),
      resting: this.pace.resting(),
    }
  }

  /** The digest of this node's own catalog. */
  digest(): string {
    return catalogDigest(this.components.registry.list())
  }

  start(): void {
    if (this.running) return
    this.running = true
    const { pubsub, network, registry } = this.components
    pubsub.topicValidators.set(HEARTBEAT_TOPIC, (_peer, message) => this.validate(message))
    pubsub.subscribe(HEARTBEAT_TOPIC)
    pubsub.addEventListener('message', this.onMessage as never)
    network.addEventListener('peer:connect', this.onConnect)
    network.addEventListener('self:peer:update', this.onSelfUpdate)
    registry.addEventListener('change', this.onRegistryChange)
    this.advertiser.start(() => registry.list().map((t) => t.name))
    const every = (): void => {
      this.table.tick()
      void this.upkeep.tick()
      // A provide fails while the routing table is still empty: try again until every name is out.
      if (this.advertiser.due()) this.advertiser.schedule(0)
    }
    this.timer = setInterval(every, this.init.intervalMs)
    this.timer.unref()
    void this.catalogs.start()
    void this.publish()
  }

  stop(): void {
    if (!this.running) return
    this.running = false
    clearInterval(this.timer)
    clearTimeout(this.publishTimer)
    this.advertiser.stop()
    this.pulls.stop()
    void this.catalogs.stop()
    const { pubsub, network, registry } = this.components
    pubsub.removeEventListener('message', this.onMessage as never)
    pubsub.topicValidators.delete(HEARTBEAT_TOPIC)
    network.removeEventListener('peer:connect', this.onConnect)
    network.removeEventListener('self:peer:update', this.onSelfUpdate)
    registry.removeEventListener('change', this.onRegistryChange)
  }

  /** Pulls a peer's catalog now (its session said `tools/list_changed`). */
  pullNow(peerId: string): void {
    void this.pulls.pull(peerId, true)
  }

  /**
   * The mesh changed: the node leaves rest, and a heartbeat due later than one active period from now
   * comes sooner, so that peers that joined hear it (and learn its shorter period) soon.
   */
  private changed(): void {
    this.pace.change()
    const period = this.pace.period()
    if (this.running && this.nextPublishAt - Date.now() > period) this.schedulePublish(period)
  }

  /** Publishes this node's heartbeat now. */
  async publish(): Promise<void> {
    if (!this.running) return
    const { network, registry, pubsub } = this.components
    const heartbeat: Heartbeat = {
      v: 1,
      peerId: this.components.peerId.toString(),
      alias: this.init.alias,
      addrs: heartbeatAddrs(network.getMultiaddrs().map((a) => a.toString())),
      seq: this.seq++,
      load: this.components.load(),
      uptimeMs: Date.now() - this.startedAt,
      version: VERSION,
      tools: registry.list().length,
      digest: this.digest(),
      periodMs: this.pace.period(),
      links: heartbeatLinks(
        network.getConnections().map((c) => c.remotePeer.toString()),
        (id) => this.table.get(id)?.state === 'alive',
      ),
    }
    this.schedulePublish(heartbeat.periodMs ?? this.init.intervalMs)
    this.announced = heartbeat.addrs.join(' ')
    const data = encodeHeartbeat(heartbeat)
    try {
      await pubsub.publish(HEARTBEAT_TOPIC, data)
      this.stats.published++
      this.stats.publishedBytes += data.byteLength
    } catch (err) {
      this.components.log.debug({ err: (err as Error).message }, 'heartbeat not published')
    }
  }

  /**
   * A peer the table forgot: its pull state goes, and so does its peer store entry unless it is
   * connected or kept (a bootstrap peer).
   */
  private async forget(peerId: string): Promise<void> {
    this.pulls.forget(peerId)
    this.catalogs.forget(peerId)
    const peer = peerIdFromString(peerId)
    if (this.components.network.getConnections(peer).length > 0) return
    const tags = await this.components.peerStore.get(peer).then(
      (p) => [...p.tags.keys()],
      () => undefined,
    )
    if (tags == null || tags.some((t) => t.startsWith(KEEP_ALIVE))) return
    await this.components.peerStore.delete(peer).catch(() => {})
    this.components.log.debug({ peer: peerId }, 'forgot a peer that stayed dead')
  }

  /** Gossipsub's validator of heartbeats: accepted ones are decoded once, for the message handler. */
  private validate(message: Parameters<typeof decodeHeartbeat>[0]): TopicValidatorResult {
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
    const delay = Math.round(periodMs * (0.85 + Math.random() * 0.15))
    this.nextPublishAt = Date.now() + delay
    this.publishTimer = setTimeout(() => void this.publish(), delay)
    this.publishTimer.unref()
  }

  private onHeartbeat(hb: Heartbeat): void {
    if (hb.peerId === this.components.peerId.toString()) return
    this.stats.received++
    const known = this.table.get(hb.peerId)
    const before = known?.addrs
    const digest = known?.digest
    if (!this.table.onHeartbeat(hb)) return
    // A new peer or a change of state shows as the table's `state` event; a new catalog shows here.
    if (known != null && digest !== hb.digest) this.changed()
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
      void this.components.peerStore.patch(peerIdFromString(hb.peerId), { multiaddrs: addrs }).catch(() => {})
  }
}
