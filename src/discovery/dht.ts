/**
 * Tool provider records in the private Kad-DHT (see protocols/kad.md): a node provides the key of
 * every tool name it serves, and finds the providers of a name. The key of tool `<name>` is the CID
 * (v1, raw, sha256) of the bytes of `cord/tool/<name>`.
 */
import { createHash } from 'node:crypto'
import type { ContentRouting, PeerStore } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import { FIRST_PROVIDE_AFTER_INTERVALS } from '../constants.ts'
import type { Logger } from '../logger.ts'
import { DEMO_TOOL_NAMES } from '../registry/demo-tools.ts'
import { doublingDelay } from '../util/backoff.ts'
import type { PeerTable } from './peer-table.ts'

/** Longest wait between two rounds of provides that failed. */
const MAX_PROVIDE_BACKOFF_MS = 60_000

/**
 * Provider records a tool name needs: one `findProviders` answer's worth (the DHT's k). Past this
 * many, a node whose catalog shows the name served by others leaves the record to them.
 */
export const PROVIDERS_PER_TOOL = 20

/** The DHT key of a tool name. */
export async function toolKey(name: string): Promise<CID> {
  return CID.create(1, raw.code, await sha256.digest(new TextEncoder().encode(`cord/tool/${name}`)))
}

/** Peer IDs that provide `name`, as the DHT knows them (at most `limit`, within the signal's time). */
export async function findProviders(
  components: { contentRouting: ContentRouting; peerStore: PeerStore },
  name: string,
  options: { signal: AbortSignal; limit?: number },
): Promise<string[]> {
  const key = await toolKey(name)
  const found = new Set<string>()
  try {
    for await (const provider of components.contentRouting.findProviders(key, { signal: options.signal })) {
      if (provider.multiaddrs.length > 0)
        await components.peerStore.merge(provider.id, { multiaddrs: provider.multiaddrs }).catch(() => {})
      found.add(provider.id.toString())
      if (found.size >= (options.limit ?? PROVIDERS_PER_TOOL)) break
    }
  } catch (err) {
    // A lookup that times out or finds no route still returns what it found.
    if (!options.signal.aborted && found.size === 0) throw err
  }
  return [...found]
}

/** Scores computed (a node ranks the same holders on every tick); cleared when it grows past its bound. */
const scores = new Map<string, string>()
const MAX_SCORES = 8_192

/** A peer's rank for providing `name`: a hash of both, the same on every node (rendezvous hashing). */
function providerScore(name: string, peerId: string): string {
  const key = `${name}\n${peerId}`
  let score = scores.get(key)
  if (score == null) {
    if (scores.size >= MAX_SCORES) scores.clear()
    score = createHash('sha256').update(key).digest('hex')
    scores.set(key, score)
  }
  return score
}

/**
 * Whether `self` is one of the `k` peers that provide `name` in the DHT: of the peers whose catalog
 * serves the name (`holders`, self included or not), the `k` with the lowest score. Every node ranks
 * with the same hash, so nodes that see the same holders pick the same `k`; when one of them dies,
 * the next in rank takes its place.
 */
export function amongProviders(
  name: string,
  self: string,
  holders: Iterable<string>,
  k = PROVIDERS_PER_TOOL,
): boolean {
  const own = providerScore(name, self)
  let ahead = 0
  for (const peerId of holders) {
    if (peerId === self || providerScore(name, peerId) >= own) continue
    if (++ahead >= k) return false
  }
  return true
}

/** What the advertiser asks the node. */
export interface AdvertiserInit {
  /** Wait after a failed round, doubling up to a minute. */
  retryMinMs: number
  /**
   * Names the first round leaves out when they are `heldBack`: they wait this long after `start()`,
   * so that the node first hears who else serves them. Other names go out at once: a new provider
   * must be found by name at once, the DHT being the way to it before its catalog has spread.
   */
  firstRoundMs?: number
  /** Names that many nodes are expected to serve (the demo tools); none when absent. */
  heldBack?: (name: string) => boolean
  /** Whether this node's record of `name` is wanted (see `amongProviders`); every name when absent. */
  wanted?: (name: string) => boolean
}

/** The advertiser's settings for a node with heartbeats every `intervalMs`, ranking by what `table` knows. */
export function advertiserInit(
  intervalMs: number,
  self: string,
  table: Pick<PeerTable, 'serving'>,
): AdvertiserInit {
  return {
    retryMinMs: intervalMs,
    firstRoundMs: intervalMs * FIRST_PROVIDE_AFTER_INTERVALS * (1 + Math.random()),
    heldBack: (name) => DEMO_TOOL_NAMES.includes(name),
    wanted: (name) => amongProviders(name, self, table.serving(name)),
  }
}

/**
 * Keeps a provider record for every tool name the node serves, but the names that many peers serve:
 * those only the peers ranked first by `amongProviders` provide, so that a mesh of a hundred nodes
 * that all serve `echo` sends 20 provides for it, not 100 (each dials up to 20 peers).
 */
export class ToolAdvertiser {
  private readonly contentRouting: ContentRouting
  private readonly log: Logger
  private readonly wanted: (name: string) => boolean
  private readonly firstRoundMs: number
  private readonly heldBack: (name: string) => boolean
  private notBefore = 0
  private heldTimer?: NodeJS.Timeout
  private provided = new Set<string>()
  private pending?: NodeJS.Timeout
  private names: () => string[] = () => []
  private readonly controller = new AbortController()
  private syncing = false
  private readonly retryMinMs: number
  private failures = 0
  private retryAt = 0

  /**
   * `retryMinMs`: after a round in which some provide failed (a routing table still empty, a mesh
   * too busy to answer), the next round waits this long, doubling up to a minute — a provide dials
   * up to 20 peers, and retrying every interval would add load where load made it fail.
   */
  constructor(components: { contentRouting: ContentRouting; log: Logger }, init: AdvertiserInit) {
    this.contentRouting = components.contentRouting
    this.log = components.log
    this.retryMinMs = init.retryMinMs
    this.firstRoundMs = init.firstRoundMs ?? 0
    this.wanted = init.wanted ?? (() => true)
    this.heldBack = init.heldBack ?? (() => false)
  }

  /** Starts advertising the names `names()` returns. */
  start(names: () => string[]): void {
    this.names = names
    this.notBefore = Date.now() + this.firstRoundMs
    this.schedule(0)
    if (this.firstRoundMs > 0) {
      this.heldTimer = setTimeout(() => this.schedule(0), this.firstRoundMs)
      this.heldTimer.unref()
    }
  }

  /** Asks for the records to be brought up to date soon (calls within `delayMs` are merged). */
  schedule(delayMs = 200): void {
    if (this.controller.signal.aborted) return
    clearTimeout(this.pending)
    this.pending = setTimeout(() => void this.sync(), delayMs)
    this.pending.unref()
  }

  /** Re-provides every name (after the routing table gained peers, for example). */
  refresh(): void {
    this.provided.clear()
    this.schedule()
  }

  stop(): void {
    this.controller.abort()
    clearTimeout(this.pending)
    clearTimeout(this.heldTimer)
  }

  /** Whether some served name whose record is wanted has none yet (a provide failed, or is to come). */
  behind(): boolean {
    return this.missing().length > 0
  }

  /** Served names whose record from this node is wanted and not out yet (held-back ones once their time came). */
  private missing(now = Date.now()): string[] {
    const holding = now < this.notBefore
    return this.names().filter(
      (n) => !this.provided.has(n) && !(holding && this.heldBack(n)) && this.wanted(n),
    )
  }

  /** Whether some served name has no provider record and a new round is due. */
  due(now = Date.now()): boolean {
    return now >= this.retryAt && this.behind()
  }

  private async sync(): Promise<void> {
    if (this.syncing) return
    this.syncing = true
    try {
      await this.syncOnce()
    } finally {
      this.syncing = false
    }
  }

  private async syncOnce(): Promise<void> {
    const names = new Set(this.names())
    const signal = this.controller.signal
    let failed = false
    // One at a time: each provide is a DHT query that dials the peers closest to the key.
    for (const name of this.missing()) {
      if (signal.aborted) return
      // Peers heard during the round's earlier provides may have taken this name over.
      if (!this.wanted(name)) continue
      try {
        await this.contentRouting.provide(await toolKey(name), { signal })
        this.provided.add(name)
      } catch (err) {
        failed = true
        if (!signal.aborted)
          this.log.debug({ tool: name, err: (err as Error).message }, 'could not provide tool yet')
      }
    }
    this.failures = failed ? this.failures + 1 : 0
    this.retryAt = failed
      ? Date.now() + doublingDelay(this.failures - 1, this.retryMinMs, MAX_PROVIDE_BACKOFF_MS)
      : 0
    for (const name of [...this.provided].filter((n) => !names.has(n))) {
      this.provided.delete(name)
      await this.contentRouting.cancelReprovide?.(await toolKey(name)).catch(() => {})
    }
  }
}

/** A provider of a tool, with what the peer table knows of it. */
export interface FoundProvider {
  peerId: string
  alias?: string
  state?: string
}

/** `ids` with their alias and state from `table` (this node, `self`, is alive). */
export function describeProviders(
  ids: string[],
  self: { peerId: string; alias: string },
  table: PeerTable,
): FoundProvider[] {
  return ids.map((peerId) => {
    const peer = peerId === self.peerId ? { alias: self.alias, state: 'alive' } : table.get(peerId)
    return {
      peerId,
      ...(peer?.alias != null ? { alias: peer.alias } : {}),
      ...(peer?.state != null ? { state: peer.state } : {}),
    }
  })
}
