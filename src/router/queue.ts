/**
 * The order in which one call tries its candidates. The router ranks them when the call starts; a
 * peer found down while the call runs (another call's dial refused, its connection reset) drops
 * behind the rest at once, instead of being tried in its turn.
 */
import { PeerUnreachableError, SessionClosedError, TransportClosedError } from '../errors.ts'
import type { Candidate } from './router.ts'

/** Candidates not tried yet, best first, those marked down since the ranking last. */
export class CandidateQueue {
  private readonly left: Candidate[]
  private readonly isDown: (peerId: string) => boolean

  constructor(ranked: Candidate[], isDown: (peerId: string) => boolean) {
    this.left = [...ranked]
    this.isDown = isDown
  }

  /** The next candidate to try: the first not down, else the first; undefined when none is left. */
  next(): Candidate | undefined {
    if (this.left.length === 0) return undefined
    const up = this.left.findIndex((c) => !this.isDown(c.peerId))
    return this.left.splice(Math.max(up, 0), 1)[0]
  }

  /** How many candidates are left. */
  get remaining(): number {
    return this.left.length
  }
}

/**
 * Whether an attempt's error says the peer cannot be reached now: a dial refused or timed out, a
 * session that broke under the call, or a fresh session (attempt > 0) found closed already. A
 * pooled session found closed on the first attempt says only that the session went stale.
 */
export function isTransportFailure(err: unknown, attempt: number): boolean {
  return (
    err instanceof PeerUnreachableError ||
    err instanceof SessionClosedError ||
    (err instanceof TransportClosedError && attempt > 0)
  )
}
