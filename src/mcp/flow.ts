/**
 * Flow control on the calling side. A serving node advertises the limits it applies to each calling
 * peer (`capabilities.experimental["cord/flow"]` of its `initialize` result); the calling node keeps
 * its calls on that session within them — at most `maxConcurrent` in flight and no faster than the
 * serving node's token bucket refills — and queues the rest in order, like an HTTP/2 client under
 * `MAX_CONCURRENT_STREAMS`. Each queued call still ends at its own deadline or abort.
 */
import type { ServerCapabilities } from '@modelcontextprotocol/sdk/types.js'

/** Key of the flow limits in a server's `capabilities.experimental`. */
export const FLOW_CAPABILITY = 'cord/flow'

/** The limits a serving node applies to the calls of one peer. */
export interface FlowLimits {
  /** Calls in flight at once. */
  maxConcurrent: number
  /** Calls per second, on average. */
  ratePerSec: number
  /** Calls that may start at once after an idle time. */
  burst: number
}

/** The flow limits a serving node advertised, if it advertised valid ones. */
export function advertisedFlow(capabilities: ServerCapabilities | undefined): FlowLimits | undefined {
  const raw = capabilities?.experimental?.[FLOW_CAPABILITY] as Record<string, unknown> | undefined
  if (raw == null) return undefined
  const { maxConcurrent, ratePerSec, burst } = raw
  const positive = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n) && n > 0
  if (!positive(maxConcurrent) || !positive(ratePerSec) || !positive(burst)) return undefined
  return { maxConcurrent: Math.floor(maxConcurrent), ratePerSec, burst: Math.max(1, Math.floor(burst)) }
}

/** The capabilities entry that advertises `limits`. */
export function flowCapability(limits: FlowLimits): Record<string, object> {
  return { [FLOW_CAPABILITY]: { ...limits } }
}

interface Waiter {
  resolve: () => void
  reject: (reason: unknown) => void
  signal: AbortSignal
  onAbort: () => void
}

/** Time source of a window (injectable for tests). */
export interface FlowClock {
  now: () => number
  setTimeout: (fn: () => void, ms: number) => unknown
  clearTimeout: (handle: unknown) => void
}

const SYSTEM_CLOCK: FlowClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
}

/**
 * The calls of one session: at most `maxConcurrent` in flight and a token bucket mirroring the
 * serving node's; the rest wait in order. Without limits (a peer that advertised none) it only counts.
 */
export class CallWindow {
  private readonly limits?: FlowLimits
  private readonly clock: FlowClock
  private readonly queue: Waiter[] = []
  private inflight = 0
  private tokens: number
  private updated: number
  private timer?: unknown

  constructor(limits: FlowLimits | undefined, clock: FlowClock = SYSTEM_CLOCK) {
    this.limits = limits
    this.clock = clock
    this.tokens = limits?.burst ?? 0
    this.updated = clock.now()
  }

  /** Calls in flight through this window. */
  get active(): number {
    return this.inflight
  }

  /** Calls waiting for room. */
  get waiting(): number {
    return this.queue.length
  }

  /** Runs `fn` once the window has room; `signal` gives up the wait. */
  async run<T>(signal: AbortSignal, fn: () => Promise<T>): Promise<T> {
    if (this.queue.length > 0 || !this.tryTake()) await this.wait(signal)
    try {
      return await fn()
    } finally {
      this.inflight--
      this.pump()
    }
  }

  private tryTake(): boolean {
    const limits = this.limits
    if (limits == null) {
      this.inflight++
      return true
    }
    if (this.inflight >= limits.maxConcurrent) return false
    this.refill()
    if (this.tokens < 1) return false
    this.tokens -= 1
    this.inflight++
    return true
  }

  private refill(): void {
    const limits = this.limits
    if (limits == null) return
    const now = this.clock.now()
    this.tokens = Math.min(limits.burst, this.tokens + ((now - this.updated) / 1000) * limits.ratePerSec)
    this.updated = now
  }

  private wait(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted()
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          const at = this.queue.indexOf(waiter)
          if (at >= 0) this.queue.splice(at, 1)
          reject(signal.reason)
          this.pump()
        },
      }
      signal.addEventListener('abort', waiter.onAbort, { once: true })
      this.queue.push(waiter)
      this.schedule()
    })
  }

  /** Lets waiters in, in order, while there is room. */
  private pump(): void {
    while (this.queue.length > 0 && this.tryTake()) {
      const waiter = this.queue.shift() as Waiter
      waiter.signal.removeEventListener('abort', waiter.onAbort)
      waiter.resolve()
    }
    this.schedule()
  }

  /** When the head of the queue waits for a token (not for a call to end), wakes up when one is due. */
  private schedule(): void {
    const limits = this.limits
    if (this.timer != null || limits == null || this.queue.length === 0) return
    if (this.inflight >= limits.maxConcurrent) return
    this.refill()
    const ms = Math.max(1, Math.ceil(((1 - this.tokens) / limits.ratePerSec) * 1000))
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined
      this.pump()
    }, ms)
  }
}
