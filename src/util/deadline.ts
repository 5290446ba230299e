/**
 * The signal of one outgoing call: its deadline, the caller's signal and the node's shutdown. One
 * timer and one controller, held until `dispose()`: `AbortSignal.any([AbortSignal.timeout(…)])` can
 * lose its timeout to the garbage collector so that it never fires (nodejs/node#57736) — seen as
 * calls that hung under load in the benchmark. Made for every call, so it is one object that is its
 * own timer callback and abort listener.
 */

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
  private readonly timer: NodeJS.Timeout
  private readonly sources: AbortSignal[]

  constructor(timeoutMs: number, sources: AbortSignal[]) {
    this.end = performance.now() + timeoutMs
    this.sources = sources
    this.timer = setTimeout(() => this.onTimeout(), timeoutMs)
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
    clearTimeout(this.timer)
    for (const source of this.sources) source.removeEventListener('abort', this)
  }

  private onTimeout(): void {
    this.timedOut = true
    this.controller.abort(new DOMException('The operation timed out.', 'TimeoutError'))
  }
}
