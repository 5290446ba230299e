/**
 * How much: per-peer token buckets (calls per second, with a burst) and concurrency limits per peer
 * and per node, for incoming calls. Over a limit a call is refused at once with a retry-after hint —
 * there is no queue to grow.
 */
import { RateLimitedError } from '../errors.ts'

/** Limits on incoming calls. */
export interface CallLimits {
  /** Calls per second each peer may start, on average. */
  ratePerSec: number
  /** Calls a peer may start at once after being idle. */
  burst: number
  /** Calls in flight from one peer. */
  maxConcurrentPerPeer: number
  /** Calls in flight from all peers together. */
  maxConcurrent: number
}

interface PeerState {
  tokens: number
  updated: number
  inflight: number
}

/** Retry hint when a concurrency limit is full: about one short call's time. */
const CONCURRENCY_RETRY_MS = 100
/** Past this many peers tracked, idle ones (full bucket, nothing in flight) are forgotten. */
const MAX_TRACKED = 10_000

/** Admits or refuses incoming calls. */
export class CallLimiter {
  private readonly limits: CallLimits
  private readonly peers = new Map<string, PeerState>()
  private inflight = 0
  /** Calls refused, by which limit: the rate, or a concurrency limit (per peer or per node). */
  readonly refused = { rate: 0, concurrency: 0 }

  constructor(limits: CallLimits) {
    this.limits = limits
  }

  /**
   * What one peer may do, as a serving node advertises it to callers (see mcp/flow.ts): the per-peer
   * concurrency (never above the node's total), rate and burst.
   */
  get perPeer(): { maxConcurrent: number; ratePerSec: number; burst: number } {
    const { ratePerSec, burst, maxConcurrentPerPeer, maxConcurrent } = this.limits
    return { maxConcurrent: Math.min(maxConcurrentPerPeer, maxConcurrent), ratePerSec, burst }
  }

  /** Calls in flight, all peers. */
  get active(): number {
    return this.inflight
  }

  /** Admits a call from `caller` (throws `RateLimitedError` if over a limit); the returned function ends it. */
  acquire(caller: string, now = Date.now()): () => void {
    const { ratePerSec, burst, maxConcurrentPerPeer, maxConcurrent } = this.limits
    const peer = this.state(caller, now)
    peer.tokens = Math.min(burst, peer.tokens + ((now - peer.updated) / 1000) * ratePerSec)
    peer.updated = now
    if (peer.tokens < 1) {
      const retryAfterMs = Math.ceil(((1 - peer.tokens) / ratePerSec) * 1000)
      this.refused.rate++
      throw new RateLimitedError(
        `rate limit: at most ${ratePerSec} calls per second (burst ${burst}) from one peer; retry in ${retryAfterMs} ms`,
        retryAfterMs,
      )
    }
    if (peer.inflight >= maxConcurrentPerPeer) {
      this.refused.concurrency++
      throw new RateLimitedError(
        `too many calls in flight from this peer (limit ${maxConcurrentPerPeer}); retry in about ${CONCURRENCY_RETRY_MS} ms`,
        CONCURRENCY_RETRY_MS,
      )
    }
    if (this.inflight >= maxConcurrent) {
      this.refused.concurrency++
      throw new RateLimitedError(
        `the node is at its limit of ${maxConcurrent} calls in flight; retry in about ${CONCURRENCY_RETRY_MS} ms`,
        CONCURRENCY_RETRY_MS,
      )
    }
    peer.tokens -= 1
    peer.inflight++
    this.inflight++
    let released = false
    return () => {
      if (released) return
      released = true
      peer.inflight--
      this.inflight--
    }
  }

  private state(caller: string, now: number): PeerState {
    let peer = this.peers.get(caller)
    if (peer == null) {
      if (this.peers.size >= MAX_TRACKED) this.prune(now)
      peer = { tokens: this.limits.burst, updated: now, inflight: 0 }
      this.peers.set(caller, peer)
    }
    return peer
  }

  private prune(now: number): void {
    const { ratePerSec, burst } = this.limits
    for (const [id, p] of this.peers) {
      if (p.inflight === 0 && p.tokens + ((now - p.updated) / 1000) * ratePerSec >= burst)
        this.peers.delete(id)
    }
  }
}
