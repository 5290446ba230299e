/**
 * One timer for many deadlines. Calls carry a deadline each, and almost every call ends long before
 * it: a Node timer per call cost a `setTimeout` and a `clearTimeout` on the path of every call (the
 * largest part of the timers' share of a call's CPU time). Here a deadline is an entry in a list kept
 * in order; ending a call unlinks its entry; one unreferenced timer wakes up at the earliest deadline
 * and is re-armed only when it fires or when an earlier deadline arrives. Deadlines of the same length
 * arrive in order, so adding one is appending it.
 */

/** A deadline in the queue. */
export interface TimerEntry {
  /** Removes the deadline: its callback will not run. Safe to call twice. */
  cancel(): void
}

class Entry implements TimerEntry {
  readonly at: number
  readonly onExpire: () => void
  prev?: Entry
  next?: Entry
  linked = true
  private readonly queue: TimerQueue

  constructor(queue: TimerQueue, at: number, onExpire: () => void) {
    this.queue = queue
    this.at = at
    this.onExpire = onExpire
  }

  cancel(): void {
    if (this.linked) this.queue.unlink(this)
  }
}

/** Deadlines in order of time, behind one timer. */
export class TimerQueue {
  private head?: Entry
  private tail?: Entry
  private timer?: NodeJS.Timeout
  /** When the timer fires (performance.now() time), if it is armed. */
  private armedAt = Number.POSITIVE_INFINITY
  private readonly now: () => number

  constructor(now: () => number = () => performance.now()) {
    this.now = now
  }

  /** Runs `onExpire` in `ms` milliseconds unless the entry is cancelled first. */
  add(ms: number, onExpire: () => void): TimerEntry {
    const entry = new Entry(this, this.now() + ms, onExpire)
    let after = this.tail
    while (after != null && after.at > entry.at) after = after.prev
    entry.prev = after
    entry.next = after != null ? after.next : this.head
    if (entry.next != null) entry.next.prev = entry
    else this.tail = entry
    if (after != null) after.next = entry
    else this.head = entry
    if (entry.at < this.armedAt) this.arm(entry.at)
    return entry
  }

  /** Deadlines waiting. */
  get size(): number {
    let n = 0
    for (let e = this.head; e != null; e = e.next) n++
    return n
  }

  /** @internal */
  unlink(entry: Entry): void {
    entry.linked = false
    if (entry.prev != null) entry.prev.next = entry.next
    else this.head = entry.next
    if (entry.next != null) entry.next.prev = entry.prev
    else this.tail = entry.prev
    entry.prev = undefined
    entry.next = undefined
  }

  private arm(at: number): void {
    if (this.timer != null) clearTimeout(this.timer)
    this.armedAt = at
    this.timer = setTimeout(() => this.fire(), Math.max(1, Math.ceil(at - this.now())))
    // Calls in flight keep their connections, and so the process, alive; the timer need not.
    this.timer.unref()
  }

  private fire(): void {
    this.timer = undefined
    this.armedAt = Number.POSITIVE_INFINITY
    // A timer may wake up to a millisecond before the clock here says it is due.
    const now = this.now() + 1
    while (this.head != null && this.head.at <= now) {
      const entry = this.head
      this.unlink(entry)
      entry.onExpire()
    }
    if (this.head != null) this.arm(this.head.at)
  }
}

/** The queue of the process: call deadlines, sent and served. */
export const deadlines = new TimerQueue()
