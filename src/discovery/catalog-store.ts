/**
 * The verified catalog records a node holds, its own among them: by provider, the newest record of
 * each (a record with a lower `seq` than the one held is old news), with the exact bytes it came in,
 * so that it is handed on as signed. Bounded: a provider the peer table forgets leaves the store too.
 */
import type { CatalogRecord } from './catalog-record.ts'

/** A record and the bytes it travels as. */
export interface HeldRecord {
  record: CatalogRecord
  bytes: Uint8Array
}

/** Most providers whose records a node holds; past it, new providers' records are not kept. */
export const MAX_HELD_RECORDS = 10_000

/** The records of one node. */
export class CatalogStore {
  private readonly records = new Map<string, HeldRecord>()

  /** Takes a verified record in; false when it is not newer than the one held (or the store is full). */
  put(held: HeldRecord): boolean {
    const known = this.records.get(held.record.peerId)
    if (known != null && known.record.seq >= held.record.seq) return false
    if (known == null && this.records.size >= MAX_HELD_RECORDS) return false
    this.records.set(held.record.peerId, held)
    return true
  }

  /** The record of `peerId`, when it is the one for `digest` (any digest when none is given). */
  get(peerId: string, digest?: string): HeldRecord | undefined {
    const held = this.records.get(peerId)
    if (held == null || (digest != null && held.record.digest !== digest)) return undefined
    return held
  }

  /** Forgets a provider's record. */
  delete(peerId: string): void {
    this.records.delete(peerId)
  }

  /** Every record held. */
  all(): HeldRecord[] {
    return [...this.records.values()]
  }

  get size(): number {
    return this.records.size
  }
}
