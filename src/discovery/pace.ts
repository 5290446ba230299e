/**
 * The pace of a node's heartbeats: every interval, stretched in meshes larger than the budget
 * (`interval × nodes / heartbeat_budget`), and stretched further while the node's view of the mesh
 * stays still (`interval × nodes / heartbeat_rest_budget`). See protocols/heartbeat.md, Rest.
 */
import type { PeerState } from './peer-table.ts'

/** Periods (at the active pace) with no change in the mesh after which a node rests. */
export const REST_AFTER_PERIODS = 3

/** Settings of the pace. */
export interface PaceInit {
  intervalMs: number
  heartbeatBudget: number
  heartbeatRestBudget: number
}

/** When the mesh last changed, and the period that follows from it. */
export class Pace {
  /** When this node last saw its mesh change (a peer, a catalog, its own tools or addresses). */
  private changedAt = Date.now()
  /** Each peer's last state, to tell a join or a death from a late heartbeat. */
  private readonly states = new Map<string, PeerState>()

  constructor(
    private readonly init: PaceInit,
    private readonly nodes: () => number,
  ) {}

  /** How often this node publishes now. */
  period(now = Date.now()): number {
    const budget = this.resting(now) ? this.init.heartbeatRestBudget : this.init.heartbeatBudget
    return Math.round(this.init.intervalMs * Math.max(1, this.nodes() / budget))
  }

  /** Whether nothing in the mesh has changed for `REST_AFTER_PERIODS` active periods. */
  resting(now = Date.now()): boolean {
    const active = this.init.intervalMs * Math.max(1, this.nodes() / this.init.heartbeatBudget)
    return now - this.changedAt >= REST_AFTER_PERIODS * active
  }

  /** Something changed (own tools or addresses, a peer's catalog): the node leaves rest. */
  change(now = Date.now()): void {
    this.changedAt = now
  }

  /**
   * A peer's state changed. A join, a death or a return from the dead is a change; a late heartbeat
   * (suspect and back) is no news worth waking the mesh for, and on a loaded host it would keep a
   * large mesh from ever resting. True when it was a change.
   */
  peerState(peerId: string, state: PeerState, now = Date.now()): boolean {
    const before = this.states.get(peerId)
    this.states.set(peerId, state)
    if (before != null && state !== 'dead' && before !== 'dead') return false
    this.change(now)
    return true
  }

  /** A peer the table forgot. */
  forget(peerId: string): void {
    this.states.delete(peerId)
  }
}
