/**
 * The pace of a node's heartbeats: every interval, stretched in meshes larger than the budget
 * (`interval × nodes / heartbeat_budget`), and stretched further while the node's view of the mesh
 * stays still (`interval × nodes / heartbeat_rest_budget`). See protocols/heartbeat.md, Rest.
 */
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
  /** When this node last saw its mesh change (a join, a catalog, its own tools or addresses). */
  private changedAt = Date.now()

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

  /**
   * Something changed that the mesh should hear soon — a peer joined or started again (it has yet to
   * hear everyone), a peer's catalog, this node's own tools or addresses: the node leaves rest. A
   * death, or a late peer coming back, is not such news: on a loaded host late heartbeats make
   * deaths and returns by the hundred, and waking the mesh for each loads the host further.
   */
  change(now = Date.now()): void {
    this.changedAt = now
  }
}
