/**
 * Keeps the node connected to its bootstrap peers (and relays, and those `cord connect --keep` adds)
 * for as long as it runs. libp2p redials peers
 * tagged keep-alive, but gives up after a few tries; this part never does: it redials a lost
 * bootstrap peer with exponential backoff and jitter, from `minMs` up to `maxMs` — or every `minMs`
 * while the node hears no one at all (its own link is likely down, and will come back).
 */
import { KEEP_ALIVE, type Libp2p, type PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { DIAL_TIMEOUT_MS } from '../constants.ts'
import type { Logger } from '../logger.ts'
import { backoffDelay } from '../util/backoff.ts'

/** What keep-alive needs from the node. */
export interface KeepAliveComponents {
  libp2p: Libp2p
  log: Logger
  /**
   * Whether the node hears no one (no peer alive): its link is likely down, so a kept peer is
   * redialled every `minMs` instead of with a growing delay, to be back soon after the link is.
   */
  isolated?: () => boolean
}

/** Settings of keep-alive. */
export interface KeepAliveInit {
  /** Full multiaddrs (with /p2p/<id>) of the peers to keep. */
  peers: string[]
  minMs: number
  maxMs: number
}

interface Kept {
  peer: PeerId
  addr: Multiaddr
  failures: number
  timer?: NodeJS.Timeout
  dialing: boolean
  /** Settles when the first dial has ended, connected or not. */
  first: PromiseWithResolvers<void>
}

/** Dials the bootstrap peers and redials them whenever they are lost. */
export class KeepAlive {
  private readonly components: KeepAliveComponents
  private readonly init: KeepAliveInit
  private readonly kept = new Map<string, Kept>()
  private running = false
  private readonly onDisconnect = (evt: CustomEvent<PeerId>): void => {
    const kept = this.kept.get(evt.detail.toString())
    if (kept != null && this.running)
      this.schedule(kept, backoffDelay(0, this.init.minMs, this.init.maxMs) / 4)
  }

  constructor(components: KeepAliveComponents, init: KeepAliveInit) {
    this.components = components
    this.init = init
  }

  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    for (const text of this.init.peers) await this.keep(multiaddr(text))
    this.components.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
  }

  /**
   * Keeps `addr` (a full multiaddr, with /p2p/<id>) connected from now on, like a bootstrap peer;
   * resolves once its first dial has ended (see `firstDials`). False for this node itself.
   */
  async keep(addr: Multiaddr): Promise<boolean> {
    const id = addr.getComponents().findLast((c) => c.name === 'p2p')?.value
    const peer = id != null ? parsePeerIdSafe(id) : undefined
    if (id == null || peer == null || id === this.components.libp2p.peerId.toString()) return false
    const existing = this.kept.get(id)
    if (existing?.addr.equals(addr) === true) return true
    if (existing != null) clearTimeout(existing.timer)
    await this.components.libp2p.peerStore.merge(peer, {
      multiaddrs: [addr.decapsulateCode(421)],
      tags: { [KEEP_ALIVE]: { value: 1 } },
    })
    const kept: Kept = { peer, addr, failures: 0, dialing: false, first: Promise.withResolvers() }
    this.kept.set(id, kept)
    if (this.running) this.schedule(kept, 0)
    return true
  }

  /** Stops keeping `peerId` connected (its keep-alive tag goes too). False when it was not kept. */
  async release(peerId: PeerId): Promise<boolean> {
    const kept = this.kept.get(peerId.toString())
    if (kept == null) return false
    clearTimeout(kept.timer)
    kept.first.resolve()
    this.kept.delete(peerId.toString())
    await this.components.libp2p.peerStore
      .merge(peerId, { tags: { [KEEP_ALIVE]: undefined } })
      .catch(() => {})
    return true
  }

  /** Peer IDs kept connected. */
  ids(): string[] {
    return [...this.kept.keys()]
  }

  /** Whether `peerId` is kept connected. */
  has(peerId: string): boolean {
    return this.kept.has(peerId)
  }

  /**
   * Settles once the first dial to every kept peer has ended (at once when there is none, or they
   * all have): what a call to a peer with no known address waits for right after start.
   */
  async firstDials(): Promise<void> {
    await Promise.all([...this.kept.values()].map((k) => k.first.promise))
  }

  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    this.components.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
    for (const kept of this.kept.values()) {
      clearTimeout(kept.timer)
      kept.first.resolve()
    }
    this.kept.clear()
  }

  private isKept(kept: Kept): boolean {
    return this.kept.get(kept.peer.toString()) === kept
  }

  private schedule(kept: Kept, delay: number): void {
    clearTimeout(kept.timer)
    kept.timer = setTimeout(() => void this.dial(kept), delay)
    kept.timer.unref()
  }

  private async dial(kept: Kept): Promise<void> {
    if (!this.running || kept.dialing || !this.isKept(kept)) return
    const { libp2p, log } = this.components
    if (libp2p.getConnections(kept.peer).length > 0) {
      kept.failures = 0
      kept.first.resolve()
      return
    }
    kept.dialing = true
    try {
      // Keep the tag: libp2p drops it after its own retries fail.
      await libp2p.peerStore.merge(kept.peer, {
        multiaddrs: [kept.addr.decapsulateCode(421)],
        tags: { [KEEP_ALIVE]: { value: 1 } },
      })
      // The dial has its own bound: `maxMs` is the longest wait between redials (short in a test), and
      // an upgrade on a busy host can take longer; each abandoned attempt costs both ends a handshake.
      await libp2p.dial(kept.peer, {
        signal: AbortSignal.timeout(Math.max(this.init.maxMs, DIAL_TIMEOUT_MS)),
      })
      if (kept.failures > 0) log.info({ peer: kept.peer.toString() }, 'reconnected to bootstrap peer')
      kept.failures = 0
    } catch (err) {
      if (!this.running || !this.isKept(kept)) return
      const delay =
        this.components.isolated?.() === true
          ? this.init.minMs
          : backoffDelay(kept.failures, this.init.minMs, this.init.maxMs)
      kept.failures++
      log.debug(
        { peer: kept.peer.toString(), err: (err as Error).message, retryInMs: delay },
        'bootstrap peer unreachable',
      )
      this.schedule(kept, delay)
    } finally {
      kept.dialing = false
      kept.first.resolve()
    }
  }
}

function parsePeerIdSafe(id: string): PeerId | undefined {
  try {
    return peerIdFromString(id)
  } catch {
    return undefined
  }
}
