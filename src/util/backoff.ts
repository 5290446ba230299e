/** Exponential backoff: redials, restarts of hosted servers, catalog pulls and DHT provides. */

/** Delay before retry number `failures` (0-based): `minMs` doubling with each failure, capped at `maxMs`. */
export function doublingDelay(failures: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.min(Math.max(failures, 0), 30))
}

/** The same with ±25% jitter, so that peers that failed together do not retry together. */
export function backoffDelay(
  failures: number,
  minMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  return Math.round(doublingDelay(failures, minMs, maxMs) * (0.75 + random() * 0.5))
}
