/**
 * Catalog pulls: a peer's tools are pulled over `/cord/mcp/1.0.0` when its heartbeat announces a
 * digest other than the catalog we hold, or at once when its session says `tools/list_changed`. One
 * pull per peer at a time (a change during a pull pulls again after it), a few peers at once (the
 * rest wait their turn), and a peer whose pulls fail is asked again only after a growing delay.
 */
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import type { Logger } from '../logger.ts'
import { doublingDelay } from '../util/backoff.ts'
import type { PeerTable } from './peer-table.ts'

/** Catalog pulls running at once. */
const PULL_CONCURRENCY = 8

/** Longest wait before pulling again from a peer whose pulls failed. */
const MAX_PULL_BACKOFF_MS = 30_000

/** What pulls need. */
export interface CatalogPullsComponents {
  table: PeerTable
  /** Lists a peer's tools: `signal` stops it, `timeoutMs` bounds the listing once connected. */
  pullCatalog: (peerId: string, signal: AbortSignal, timeoutMs: number) => Promise<Tool[]>
  log: Logger
}

/** Settings of pulls. */
export interface CatalogPullsInit {
  /** The heartbeat interval: a pull may take five, and the first backoff is one. */
  intervalMs: number
}

/** The catalog pulls of one node. */
export class CatalogPulls {
  /** Pulls that succeeded, and that failed (retried later). */
  readonly stats = { ok: 0, failed: 0 }
  private readonly components: CatalogPullsComponents
  private readonly init: CatalogPullsInit
  /** Peers whose catalog is being pulled, with the digest it is pulled for. */
  private readonly pulling = new Map<string, string>()
  private readonly waiting = new Set<string>()
  private readonly again = new Set<string>()
  private readonly failures = new Map<string, number>()
  private readonly retryAt = new Map<string, number>()
  private stopping = new AbortController()

  constructor(components: CatalogPullsComponents, init: CatalogPullsInit) {
    this.components = components
    this.init = init
  }

  /** Aborts the pulls in flight; later pulls do nothing. */
  stop(): void {
    this.stopping.abort()
    this.waiting.clear()
    this.again.clear()
  }

  /** Forgets what it held of a peer (one the table forgot). */
  forget(peerId: string): void {
    this.failures.delete(peerId)
    this.retryAt.delete(peerId)
    this.waiting.delete(peerId)
  }

  /** Pulls `peerId`'s catalog: now when `urgent`, else when its turn comes and its backoff allows. */
  async pull(peerId: string, urgent = false, now = Date.now()): Promise<void> {
    if (this.stopping.signal.aborted) return
    const inFlight = this.pulling.get(peerId)
    if (inFlight != null) {
      // Again after this one only for a change it may miss: a list_changed, or another digest. Under
      // load a pull spans several heartbeats that all announce the digest being pulled: pulling again
      // for each doubled the pulls of a forming mesh.
      if (urgent || this.components.table.get(peerId)?.digest !== inFlight) this.again.add(peerId)
      return
    }
    if (!urgent && now < (this.retryAt.get(peerId) ?? 0)) return
    if (!urgent && this.pulling.size >= PULL_CONCURRENCY) {
      // Queued, not dropped: it starts when a pull ends rather than at the peer's next heartbeat.
      this.waiting.add(peerId)
      return
    }
    this.waiting.delete(peerId)
    const digest = this.components.table.get(peerId)?.digest ?? ''
    this.pulling.set(peerId, digest)
    try {
      const tools = await this.components.pullCatalog(peerId, this.stopping.signal, this.init.intervalMs * 5)
      this.components.table.setCatalog(peerId, tools, digest)
      this.stats.ok++
      this.failures.delete(peerId)
      this.retryAt.delete(peerId)
    } catch (err) {
      if (this.stopping.signal.aborted) return
      // Back off: a peer we cannot reach now is not dialled again at every one of its heartbeats.
      this.stats.failed++
      const failures = (this.failures.get(peerId) ?? 0) + 1
      this.failures.set(peerId, failures)
      this.retryAt.set(
        peerId,
        Date.now() + doublingDelay(failures, this.init.intervalMs, MAX_PULL_BACKOFF_MS),
      )
      this.components.log.debug({ peer: peerId, err: (err as Error).message }, 'catalog pull failed')
    } finally {
      this.pulling.delete(peerId)
      this.next(peerId)
    }
  }

  /** After a pull of `peerId`: the same peer again if it changed meanwhile, and the next one waiting. */
  private next(peerId: string): void {
    if (this.again.delete(peerId)) void this.pull(peerId, true)
    const waiting = this.waiting.values().next()
    if (!waiting.done) {
      this.waiting.delete(waiting.value)
      void this.pull(waiting.value)
    }
  }
}
