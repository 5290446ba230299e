/**
 * The signal of one outgoing call: its deadline and the caller's signal. One entry in the process's
 * deadline queue and one controller, held until `dispose()`: `AbortSignal.any([AbortSignal.timeout(…)])`
 * can lose its timeout to the garbage collector so that it never fires (nodejs/node#57736) — seen as
 * calls that hung under load in the benchmark. Made for every call, so it is one object that is its
 * own abort listener.
 */
import { deadlines, type TimerEntry } from './timer-queue.ts'

/** A call's signal and what aborted it. */
export interface CallDeadline {
  /** Aborted at the deadline, by `abort()`, or when a source aborts. */
  readonly signal: AbortSignal
  /** Whether the deadline passed (rather than a source aborting). */
  readonly timedOut: boolean
  /** Milliseconds left until the deadline (at least 1). */
  remainingMs(): number
  /** Aborts the call with `reason` (the node stopping, say). */
  abort(reason: unknown): void
  /** Clears the timer and the listeners; call when the call ends. */
  dispose(): void
}

/** A deadline of `timeoutMs` joined with `sources`. */
export function callDeadline(timeoutMs: number, sources: AbortSignal[]): CallDeadline {
  return new Deadline(timeoutMs, sources)
}

class Deadline implements CallDeadline {
  timedOut = false
  private readonly end: number
  private readonly controller = new AbortController()
  private readonly timer: TimerEntry
  private readonly sources: AbortSignal[]

  constructor(timeoutMs: number, sources: AbortSignal[]) {
    this.end = performance.now() + timeoutMs
    this.sources = sources
    this.timer = deadlines.add(timeoutMs, () => this.onTimeout())
    for (const source of sources) {
      if (source.aborted) this.controller.abort(source.reason)
      else source.addEventListener('abort', this, { once: true })
    }
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  remainingMs(): number {
    return Math.max(1, Math.round(this.end - performance.now()))
  }

  abort(reason: unknown): void {
    this.controller.abort(reason)
  }

  /** A source aborted (`this` is the listener: no closure per call). */
  handleEvent(evt: Event): void {
    this.controller.abort((evt.target as AbortSignal).reason)
  }

  dispose(): void {
    this.timer.cancel()
    for (const source of this.sources) source.removeEventListener('abort', this)
  }

  private onTimeout(): void {
    this.timedOut = true
    this.controller.abort(new DOMException('The operation timed out.', 'TimeoutError'))
  }
}
