/** Counts of this node's requests in flight, by peer: the router weighs them beside a peer's announced load. */
export class PerPeer {
  private readonly counts = new Map<string, number>()

  /** Requests in flight to `peer`. */
  get(peer: string): number {
    return this.counts.get(peer) ?? 0
  }

  /** Runs `fn`, counted as a request in flight to `peer` while it runs. */
  async run<T>(peer: string, fn: () => Promise<T>): Promise<T> {
    this.counts.set(peer, this.get(peer) + 1)
    try {
      return await fn()
    } finally {
      const left = this.get(peer) - 1
      if (left > 0) this.counts.set(peer, left)
      else this.counts.delete(peer)
    }
  }
}
