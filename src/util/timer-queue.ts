/**
 * One timer for many deadlines. Calls carry a deadline each, and almost every call ends long before
 * it: a Node timer per call cost a `setTimeout` and a `clearTimeout` on the path of every call (most
 * of the timers' share of a call's CPU time). Here a deadline is an entry in a binary heap ordered by
 * time; ending a call removes its entry; one unreferenced timer wakes up at the earliest deadline and
 * is re-armed only when it fires or when an earlier deadline arrives.
 */

/** A deadline in the queue. */
export interface TimerEntry {
  /** Removes the deadline: its callback will not run. Safe to call twice. */
  cancel(): void
}

class Entry implements TimerEntry {
  readonly at: number
  /** Order of arrival: deadlines of the same time run in the order they were added. */
  readonly seq: number
  readonly onExpire: () => void
  /** Where the entry is in the heap; -1 once it has left it. */
  index = -1
  private readonly queue: TimerQueue

  constructor(queue: TimerQueue, at: number, seq: number, onExpire: () => void) {
    this.queue = queue
    this.at = at
    this.seq = seq
    this.onExpire = onExpire
  }

  cancel(): void {
    if (this.index >= 0) this.queue.remove(this)
  }
}

/** Whether `a` is due before `b`. */
function before(a: Entry, b: Entry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq)
}

/** Deadlines in order of time, behind one timer. */
export class TimerQueue {
  private readonly heap: Entry[] = []
  private added = 0
  private timer?: NodeJS.Timeout
  /** When the timer fires (in the queue's clock), if it is armed. */
  private armedAt = Number.POSITIVE_INFINITY
  private readonly now: () => number

  constructor(now: () => number = () => performance.now()) {
    this.now = now
  }

  /** Runs `onExpire` in `ms` milliseconds unless the entry is cancelled first. */
  add(ms: number, onExpire: () => void): TimerEntry {
    const entry = new Entry(this, this.now() + ms, this.added++, onExpire)
    entry.index = this.heap.length
    this.heap.push(entry)
    this.up(entry.index)
    if (entry.at < this.armedAt) this.arm(entry.at)
    return entry
  }

  /** Deadlines waiting. */
  get size(): number {
    return this.heap.length
  }

  /** @internal Takes `entry` out of the heap. */
  remove(entry: Entry): void {
    const at = entry.index
    const last = this.heap.pop() as Entry
    entry.index = -1
    if (last === entry) return
    this.heap[at] = last
    last.index = at
    this.down(at)
    this.up(last.index)
  }

  private up(i: number): void {
    const heap = this.heap
    const entry = heap[i]!
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!before(entry, heap[parent]!)) break
      heap[i] = heap[parent]!
      heap[i]!.index = i
      i = parent
    }
    heap[i] = entry
    entry.index = i
  }

  private down(i: number): void {
    const heap = this.heap
    const entry = heap[i]!
    for (;;) {
      const left = 2 * i + 1
      if (left >= heap.length) break
      const right = left + 1
      const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left
      if (!before(heap[child]!, entry)) break
      heap[i] = heap[child]!
      heap[i]!.index = i
      i = child
    }
    heap[i] = entry
    entry.index = i
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
    for (let head = this.heap[0]; head != null && head.at <= now; head = this.heap[0]) {
      this.remove(head)
      head.onExpire()
    }
    const next = this.heap[0]
    if (next != null) this.arm(next.at)
  }
}

/** The queue of the process: call deadlines, sent and served. */
export const deadlines = new TimerQueue()
