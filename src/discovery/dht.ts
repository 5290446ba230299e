/**
 * Tool provider records in the private Kad-DHT (see protocols/kad.md): a node provides the key of
 * every tool name it serves, and finds the providers of a name. The key of tool `<name>` is the CID
 * (v1, raw, sha256) of the bytes of `cord/tool/<name>`.
 */
import type { ContentRouting, PeerStore } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import * as raw from 'multiformats/codecs/raw'
import { sha256 } from 'multiformats/hashes/sha2'
import type { Logger } from '../logger.ts'
import { doublingDelay } from '../util/backoff.ts'
import type { PeerTable } from './peer-table.ts'

/** Longest wait between two rounds of provides that failed. */
const MAX_PROVIDE_BACKOFF_MS = 60_000

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
      if (found.size >= (options.limit ?? 20)) break
    }
  } catch (err) {
    // A lookup that times out or finds no route still returns what it found.
    if (!options.signal.aborted && found.size === 0) throw err
  }
  return [...found]
}

/** Keeps a provider record for every tool name the node serves. */
export class ToolAdvertiser {
  private readonly contentRouting: ContentRouting
  private readonly log: Logger
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
  constructor(components: { contentRouting: ContentRouting; log: Logger }, init: { retryMinMs: number }) {
    this.contentRouting = components.contentRouting
    this.log = components.log
    this.retryMinMs = init.retryMinMs
  }

  /** Starts advertising the names `names()` returns. */
  start(names: () => string[]): void {
    this.names = names
    this.schedule(0)
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
  }

  /** Whether some served name has no provider record yet (a provide failed, or is to come). */
  behind(): boolean {
    return this.names().some((n) => !this.provided.has(n))
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
    for (const name of [...names].filter((n) => !this.provided.has(n))) {
      if (signal.aborted) return
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
