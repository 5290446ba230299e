/**
 * The signal of one outgoing call: its deadline, the caller's signal and the node's shutdown. One
 * timer and one controller, held until `dispose()`: `AbortSignal.any([AbortSignal.timeout(…)])` can
 * lose its timeout to the garbage collector so that it never fires (nodejs/node#57736) — seen as
 * calls that hung under load in the benchmark.
 */

/** A call's signal and what aborted it. */
export interface CallDeadline {
  /** Aborted at the deadline, or when a source aborts. */
  signal: AbortSignal
  /** Aborted at the deadline only. */
  deadline: AbortSignal
  /** Milliseconds left until the deadline (at least 1). */
  remainingMs: () => number
  /** Clears the timer and the listeners; call when the call ends. */
  dispose: () => void
}

/** A deadline of `timeoutMs` joined with `sources`. */
export function callDeadline(timeoutMs: number, sources: AbortSignal[]): CallDeadline {
  const end = performance.now() + timeoutMs
  const deadline = new AbortController()
  const controller = new AbortController()
  const timer = setTimeout(() => {
    const reason = new DOMException('The operation timed out.', 'TimeoutError')
    deadline.abort(reason)
    controller.abort(reason)
  }, timeoutMs)
  const onAbort = (evt: Event): void => controller.abort((evt.target as AbortSignal).reason)
  for (const source of sources) {
    if (source.aborted) controller.abort(source.reason)
    else source.addEventListener('abort', onAbort, { once: true })
  }
  const dispose = (): void => {
    clearTimeout(timer)
    for (const source of sources) source.removeEventListener('abort', onAbort)
  }
  const remainingMs = (): number => Math.max(1, Math.round(end - performance.now()))
  return { signal: controller.signal, deadline: deadline.signal, remainingMs, dispose }
}
