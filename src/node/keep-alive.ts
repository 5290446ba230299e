/**
 * Keeps the node connected to its bootstrap peers for as long as it runs. libp2p redials peers
 * tagged keep-alive, but gives up after a few tries; this part never does: it redials a lost
 * bootstrap peer with exponential backoff and jitter, from `minMs` up to `maxMs`.
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
    const self = this.components.libp2p.peerId.toString()
    for (const text of this.init.peers) {
      const addr = multiaddr(text)
      const id = addr.getComponents().findLast((c) => c.name === 'p2p')?.value
      if (id == null || id === self || this.kept.has(id)) continue
      const peer = parsePeerIdSafe(id)
      if (peer == null) continue
      await this.components.libp2p.peerStore.merge(peer, {
        multiaddrs: [addr.decapsulateCode(421)],
        tags: { [KEEP_ALIVE]: { value: 1 } },
      })
      const kept: Kept = { peer, addr, failures: 0, dialing: false }
      this.kept.set(id, kept)
      this.schedule(kept, 0)
    }
    this.components.libp2p.addEventListener('peer:disconnect', this.onDisconnect)
  }

  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    this.components.libp2p.removeEventListener('peer:disconnect', this.onDisconnect)
    for (const kept of this.kept.values()) clearTimeout(kept.timer)
    this.kept.clear()
  }

  private schedule(kept: Kept, delay: number): void {
    clearTimeout(kept.timer)
    kept.timer = setTimeout(() => void this.dial(kept), delay)
    kept.timer.unref()
  }

  private async dial(kept: Kept): Promise<void> {
    if (!this.running || kept.dialing) return
    const { libp2p, log } = this.components
    if (libp2p.getConnections(kept.peer).length > 0) {
      kept.failures = 0
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
      if (!this.running) return
      const delay = backoffDelay(kept.failures, this.init.minMs, this.init.maxMs)
      kept.failures++
      log.debug(
        { peer: kept.peer.toString(), err: (err as Error).message, retryInMs: delay },
        'bootstrap peer unreachable',
      )
      this.schedule(kept, delay)
    } finally {
      kept.dialing = false
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
