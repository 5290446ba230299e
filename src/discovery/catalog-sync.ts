/**
 * Catalogs without an O(n²) storm (see protocols/catalog.md): each node signs a record of the tools it
 * shows to every caller and publishes it on `cord/catalog/1` when it changes; receivers verify and
 * keep it. A heartbeat whose digest a node lacks is answered from the records it holds, else by asking
 * a neighbour for that record by digest (`/cord/catalog/1.0.0`), else the provider, else an MCP pull.
 * A joiner asks its first neighbour for every record; peers named in `restrictedFor` pull their list.
 */
import { type GossipSub, type Message, TopicValidatorResult } from '@libp2p/gossipsub'
import type { IdentifyResult, Libp2p, PeerId, PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import { CATALOG_PROTOCOL, CATALOG_TOPIC } from '../constants.ts'
import type { Logger } from '../logger.ts'
import { shuffled } from '../util/shuffle.ts'
import { CatalogExchange, type CatalogRequest, MAX_WANTED } from './catalog-exchange.ts'
import {
  decodeRecord,
  MAX_CATALOG_RECORD_BYTES,
  pullsOwnList,
  type RecordRejectReason,
  signRecord,
} from './catalog-record.ts'
import { CatalogStore, type HeldRecord } from './catalog-store.ts'
import type { MeshPeer, PeerTable } from './peer-table.ts'
import type { CatalogPulls } from './pulls.ts'

/** Neighbours asked for a record before the provider itself is. */
const NEIGHBOURS_ASKED = 2

/** Exchanges in flight at once. */
const MAX_EXCHANGES = 2

/** What catalog sync needs. */
export interface CatalogSyncComponents {
  peerId: PeerId
  privateKey: PrivateKey
  pubsub: GossipSub
  network: Pick<
    Libp2p,
    'handle' | 'unhandle' | 'dialProtocol' | 'getConnections' | 'addEventListener' | 'removeEventListener'
  >
  table: PeerTable
  pulls: CatalogPulls
  /** The node's own tools as a shared record may carry them, and the digest its heartbeats announce. */
  own: () => { tools: Tool[]; restrictedFor?: string[]; digest: string }
  admits?: (peerId: string) => boolean
  log: Logger
}

/** Counters, for `cord status` and the benchmark. */
export interface CatalogSyncStats {
  published: number
  publishedBytes: number
  /** Records taken in (gossip or exchange), and their bytes. */
  received: number
  receivedBytes: number
  rejected: Record<RecordRejectReason, number>
  /** Records of peers the allow/deny lists shut out, dropped. */
  denied: number
  /** Exchanges asked of others, records they brought, exchanges that failed. */
  requests: number
  fetched: number
  failedRequests: number
  /** Exchanges served to others: requests, records, bytes; refused. */
  served: number
  servedRecords: number
  servedBytes: number
  refused: number
  /** Catalogs that fell back to a pull over MCP (no record found, or the record says to). */
  fallbackPulls: number
  /** Records held. */
  held: number
}

/** A record wanted: by digest, and how many sources were asked. */
interface Want {
  digest: string
  asked: Set<string>
}

/** Catalog records of one node. */
export class CatalogSync {
  readonly store = new CatalogStore()
  private readonly c: CatalogSyncComponents
  private readonly exchange: CatalogExchange
  private readonly self: string
  private readonly wants = new Map<string, Want>()
  private readonly s = {
    published: 0,
    publishedBytes: 0,
    received: 0,
    receivedBytes: 0,
    rejected: { 'too-large': 0, 'not-json': 0, schema: 0, signature: 0, 'signer-mismatch': 0 },
    denied: 0,
    requests: 0,
    fetched: 0,
    failedRequests: 0,
    fallbackPulls: 0,
  }
  private exchanges = 0
  private synced = false
  private syncing = false
  private ownSeq = 0
  private building?: Promise<void>
  private rebuild = false
  /** Own record not yet heard by anyone (published before any subscriber): sent again on the first. */
  private unheard = false
  private wantTimer?: NodeJS.Timeout
  private readonly wantDelayMs: number
  private stopping = new AbortController()
  private running = false
  private readonly onMessage = (evt: CustomEvent<Message>): void => {
    if (evt.detail.topic !== CATALOG_TOPIC) return
    const held = this.validated.get(evt.detail as object)
    if (held != null) this.take(held)
  }
  private readonly validated = new WeakMap<object, HeldRecord>()
  private readonly onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    if (this.synced || this.syncing || !evt.detail.protocols.includes(CATALOG_PROTOCOL)) return
    void this.syncAll(evt.detail.peerId)
  }
  private readonly onSubscription = (): void => {
    if (this.unheard && this.c.pubsub.getSubscribers(CATALOG_TOPIC).length > 0) void this.publishOwn()
  }

  constructor(components: CatalogSyncComponents, init: { intervalMs: number }) {
    this.c = components
    this.self = components.peerId.toString()
    this.exchange = new CatalogExchange({
      libp2p: components.network,
      store: this.store,
      log: components.log,
    })
    // Long enough for the record published with a change to arrive by gossip before anyone asks.
    this.wantDelayMs = Math.min(250, Math.round(init.intervalMs / 4))
  }

  stats(): CatalogSyncStats {
    const e = this.exchange.stats
    return {
      ...this.s,
      rejected: { ...this.s.rejected },
      served: e.served,
      servedRecords: e.servedRecords,
      servedBytes: e.servedBytes,
      refused: e.refused,
      held: this.store.size,
    }
  }

  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    this.stopping = new AbortController()
    const { pubsub, network } = this.c
    pubsub.topicValidators.set(CATALOG_TOPIC, (_peer, message) => this.validate(message))
    pubsub.subscribe(CATALOG_TOPIC)
    pubsub.addEventListener('message', this.onMessage as never)
    pubsub.addEventListener('subscription-change', this.onSubscription)
    network.addEventListener('peer:identify', this.onIdentify)
    await this.exchange.start()
    await this.publishOwn()
  }

  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    this.stopping.abort()
    clearTimeout(this.wantTimer)
    const { pubsub, network } = this.c
    pubsub.removeEventListener('message', this.onMessage as never)
    pubsub.removeEventListener('subscription-change', this.onSubscription)
    pubsub.topicValidators.delete(CATALOG_TOPIC)
    network.removeEventListener('peer:identify', this.onIdentify)
    await this.exchange.stop()
  }

  /** Signs and publishes this node's record (its tools changed, or at start). One at a time. */
  async publishOwn(): Promise<void> {
    if (!this.running) return
    if (this.building != null) {
      this.rebuild = true
      return this.building
    }
    this.building = this.build().finally(() => {
      this.building = undefined
      if (this.rebuild) {
        this.rebuild = false
        void this.publishOwn()
      }
    })
    return this.building
  }

  /** A peer's heartbeat announces a digest whose catalog the table lacks. */
  stale(peer: MeshPeer): void {
    if (peer.digest == null || !this.running) return
    const held = this.store.get(peer.peerId, peer.digest)
    if (held != null) {
      this.apply(held)
      return
    }
    const want = this.wants.get(peer.peerId)
    if (want?.digest === peer.digest) return
    this.wants.set(peer.peerId, { digest: peer.digest, asked: new Set() })
    this.scheduleWants()
  }

  /** Forgets a provider the table forgot. */
  forget(peerId: string): void {
    this.store.delete(peerId)
    this.wants.delete(peerId)
  }

  private async build(): Promise<void> {
    const own = this.c.own()
    this.ownSeq = Math.max(Date.now(), this.ownSeq + 1)
    const { record, bytes } = await signRecord(
      {
        v: 1,
        peerId: this.self,
        digest: own.digest,
        seq: this.ownSeq,
        tools: own.tools,
        ...(own.restrictedFor != null ? { restrictedFor: own.restrictedFor } : {}),
      },
      this.c.privateKey,
    )
    if (bytes.byteLength > MAX_CATALOG_RECORD_BYTES) {
      // Too large to share: peers pull the list from this node over MCP instead.
      this.store.delete(this.self)
      this.c.log.warn({ bytes: bytes.byteLength }, 'catalog record too large to share; peers will pull it')
      return
    }
    this.store.put({ record, bytes })
    try {
      const result = await this.c.pubsub.publish(CATALOG_TOPIC, bytes)
      this.unheard = result.recipients.length === 0
      this.s.published++
      this.s.publishedBytes += bytes.byteLength
    } catch (err) {
      this.unheard = true
      this.c.log.debug({ err: (err as Error).message }, 'catalog record not published')
    }
  }

  /** Gossipsub's validator of records: only a provider's own, signed by it, newer than the one held. */
  private async validate(message: Message): Promise<TopicValidatorResult> {
    if (message.type !== 'signed') {
      this.s.rejected.signature++
      return TopicValidatorResult.Reject
    }
    const held = await this.check(message.data, message.from.toString())
    if (held == null) return TopicValidatorResult.Reject
    if (this.c.admits?.(held.record.peerId) === false) {
      this.s.denied++
      return TopicValidatorResult.Ignore
    }
    const known = this.store.get(held.record.peerId)
    if (known != null && known.record.seq >= held.record.seq) return TopicValidatorResult.Ignore
    this.validated.set(message, held)
    return TopicValidatorResult.Accept
  }

  /** Decodes and verifies a record; counts and logs a refusal. */
  private async check(bytes: Uint8Array, signer?: string): Promise<HeldRecord | undefined> {
    const decoded = await decodeRecord(bytes, signer)
    if (decoded.ok) return { record: decoded.record, bytes }
    this.s.rejected[decoded.reason]++
    this.c.log.warn({ reason: decoded.reason, detail: decoded.detail }, 'catalog record rejected')
    return undefined
  }

  /** Keeps a verified record and applies it to the table when it is the catalog a peer announces. */
  private take(held: HeldRecord): void {
    const { peerId, digest } = held.record
    if (peerId === this.self) return
    if (!this.store.put(held)) return
    this.s.received++
    this.s.receivedBytes += held.bytes.byteLength
    if (this.wants.get(peerId)?.digest === digest) this.wants.delete(peerId)
    const peer = this.c.table.get(peerId)
    if (peer?.digest === digest && peer.toolsDigest !== digest) this.apply(held)
  }

  /** A record for the digest a peer announces: its tools, or a pull of our own view when it says so. */
  private apply(held: HeldRecord): void {
    const { peerId, digest, tools } = held.record
    this.wants.delete(peerId)
    if (!pullsOwnList(held.record, this.self)) {
      this.c.table.setCatalog(peerId, tools, digest)
      return
    }
    // What everyone sees, at once; our own view (it may hold more) from the provider. Held without a
    // digest, so that later heartbeats retry a pull that failed.
    if (this.c.table.get(peerId)?.tools == null) this.c.table.setCatalog(peerId, tools, '')
    this.s.fallbackPulls++
    void this.c.pulls.pull(peerId)
  }

  private scheduleWants(): void {
    if (this.wantTimer != null) return
    this.wantTimer = setTimeout(() => {
      this.wantTimer = undefined
      void this.askForWants()
    }, this.wantDelayMs)
    this.wantTimer.unref()
  }

  /**
   * Asks for the records wanted: a neighbour not yet asked for them (up to NEIGHBOURS_ASKED), then
   * the provider itself; a record nobody had is pulled over MCP (bounded and backed off by pulls).
   */
  private async askForWants(): Promise<void> {
    if (!this.running || this.exchanges >= MAX_EXCHANGES) return
    for (const [peerId, want] of this.wants) {
      const peer = this.c.table.get(peerId)
      if (peer == null || peer.digest !== want.digest || peer.toolsDigest === want.digest)
        this.wants.delete(peerId)
    }
    if (this.wants.size === 0) return
    const neighbours = this.neighbours()
    // The neighbour that can be asked for the most of them.
    const pick = neighbours
      .map((n) => ({ n, wanted: this.wantedFrom(n) }))
      .filter((x) => x.wanted.length > 0)
      .sort((a, b) => b.wanted.length - a.wanted.length)[0]
    if (pick != null) return this.ask(pick.n, { v: 1, want: pick.wanted.slice(0, MAX_WANTED) })
    const [providerId, want] = this.wants.entries().next().value as [string, Want]
    if (!want.asked.has(providerId)) {
      want.asked.add(providerId)
      return this.ask(providerId, { v: 1, want: [{ peerId: providerId, digest: want.digest }] })
    }
    this.wants.delete(providerId)
    this.s.fallbackPulls++
    void this.c.pulls.pull(providerId)
    this.scheduleWants()
  }

  /** The wants `neighbour` may be asked for (it is not their provider, and fewer were asked). */
  private wantedFrom(neighbour: string): { peerId: string; digest: string }[] {
    const wanted: { peerId: string; digest: string }[] = []
    for (const [peerId, want] of this.wants) {
      if (peerId === neighbour || want.asked.has(neighbour) || want.asked.size >= NEIGHBOURS_ASKED) continue
      wanted.push({ peerId, digest: want.digest })
    }
    return wanted
  }

  /** Connected peers that are Cord nodes (in the table), at random. */
  private neighbours(): string[] {
    const ids = new Set(this.c.network.getConnections().map((c) => c.remotePeer.toString()))
    return shuffled([...ids].filter((id) => this.c.table.get(id)?.state === 'alive'))
  }

  /** One exchange with `peer`; what it brings is verified and taken in; then the next wants. */
  private async ask(peer: string, request: CatalogRequest): Promise<void> {
    for (const w of request.want ?? []) this.wants.get(w.peerId)?.asked.add(peer)
    this.exchanges++
    this.s.requests++
    try {
      const frames = await this.exchange.request(peerIdFromString(peer), request, this.stopping.signal)
      await this.takeFrames(frames)
    } catch (err) {
      this.s.failedRequests++
      this.c.log.debug({ peer, err: (err as Error).message }, 'catalog exchange failed')
    } finally {
      this.exchanges--
      if (this.wants.size > 0) this.scheduleWants()
    }
  }

  private async takeFrames(frames: Uint8Array[]): Promise<void> {
    for (const frame of frames) {
      const held = await this.check(frame)
      if (held == null) continue
      if (this.c.admits?.(held.record.peerId) === false) {
        this.s.denied++
        continue
      }
      this.s.fetched++
      this.take(held)
    }
  }

  /** On joining: every record the first Cord neighbour holds, in one exchange. */
  private async syncAll(peer: PeerId): Promise<void> {
    this.syncing = true
    this.s.requests++
    try {
      await this.takeFrames(await this.exchange.request(peer, { v: 1, all: true }, this.stopping.signal))
      this.synced = true
    } catch (err) {
      this.s.failedRequests++
      this.c.log.debug({ peer: peer.toString(), err: (err as Error).message }, 'catalog sync failed')
    } finally {
      this.syncing = false
    }
  }
}
