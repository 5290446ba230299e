/**
 * A sliding window of the tool calls of the last minute, per second: how many went in (served) and
 * out (made), how many failed, and their latency percentiles. The dashboard draws it. One recorder
 * per process (`callWindow`): a daemon runs one node; the call sites feed it with one line each
 * (`observeCall`).
 */

/** Which way a call went: served by this node (`in`) or made by it (`out`). */
export type CallDirection = 'in' | 'out'

/** One second of the window. */
export interface CallSecond {
  /** Start of the second, ms since the epoch. */
  t: number
  in: number
  out: number
  /** Calls that ended in an error (either way). */
  errors: number
  /** Latency percentiles of the calls that ended in this second, in ms (absent when none did). */
  p50?: number
  p90?: number
  p99?: number
}

/** Seconds the window keeps. */
export const CALL_WINDOW_SECONDS = 60
/** Latencies kept per second for the percentiles: past this, a reservoir sample. */
const MAX_SAMPLES = 512

interface Bucket {
  second: number
  in: number
  out: number
  errors: number
  seen: number
  samples: number[]
}

/** Calls per second and latency percentiles over the last `seconds`. */
export class CallWindow {
  private readonly buckets: Bucket[]
  private readonly seconds: number

  constructor(seconds = CALL_WINDOW_SECONDS) {
    this.seconds = seconds
    this.buckets = Array.from({ length: seconds }, () => emptyBucket(-1))
  }

  /** Records one call that took `ms` and ended at `now`. */
  record(direction: CallDirection, ms: number, ok: boolean, now = Date.now()): void {
    const bucket = this.bucket(Math.floor(now / 1000))
    bucket[direction]++
    if (!ok) bucket.errors++
    bucket.seen++
    if (bucket.samples.length < MAX_SAMPLES) bucket.samples.push(ms)
    else {
      const at = Math.floor(Math.random() * bucket.seen)
      if (at < MAX_SAMPLES) bucket.samples[at] = ms
    }
  }

  /** The last `seconds` whole seconds before `now`, oldest first (the current second is not over). */
  snapshot(now = Date.now()): CallSecond[] {
    const current = Math.floor(now / 1000)
    const out: CallSecond[] = []
    for (let s = current - this.seconds; s < current; s++) {
      const b = this.buckets[s % this.seconds]!
      out.push(b.second === s ? summarize(b) : { t: s * 1000, in: 0, out: 0, errors: 0 })
    }
    return out
  }

  private bucket(second: number): Bucket {
    const index = second % this.seconds
    let bucket = this.buckets[index]!
    if (bucket.second !== second) {
      bucket = emptyBucket(second)
      this.buckets[index] = bucket
    }
    return bucket
  }
}

function emptyBucket(second: number): Bucket {
  return { second, in: 0, out: 0, errors: 0, seen: 0, samples: [] }
}

function summarize(b: Bucket): CallSecond {
  const base = { t: b.second * 1000, in: b.in, out: b.out, errors: b.errors }
  if (b.samples.length === 0) return base
  const sorted = [...b.samples].sort((x, y) => x - y)
  const at = (q: number): number => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!)
  return { ...base, p50: at(0.5), p90: at(0.9), p99: at(0.99) }
}

const round = (ms: number): number => Math.round(ms * 100) / 100

/** The process's call window. */
export const callWindow: CallWindow = new CallWindow()

/**
 * Records `call` in the process's window when it settles, and returns it unchanged (its rejection
 * still reaches the caller): the one line a call site adds.
 */
export function observeCall<T>(direction: CallDirection, call: Promise<T>): Promise<T> {
  const started = performance.now()
  call.then(
    () => callWindow.record(direction, performance.now() - started, true),
    () => callWindow.record(direction, performance.now() - started, false),
  )
  return call
}
