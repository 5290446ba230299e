/**
 * Per-publisher order at a subscriber: messages of one publisher (one session of it) on one topic
 * come out in sequence order, each once. A message that arrives before an earlier one waits up to
 * the reorder window for it; then the missing ones are reported as a gap and delivery goes on. The
 * first message seen from a publisher starts its sequence: a late subscriber gets messages from then
 * on, with no gap for what came before it.
 */
import type { Envelope } from './envelope.ts'

/** Messages a subscriber missed: sequence numbers `first`…`last` of `from` on `topic`. */
export interface TopicGap {
  topic: string
  from: string
  first: number
  last: number
}

/** What a sequencer hands on. */
export interface SequencerSink {
  deliver: (envelope: Envelope) => void
  gap: (gap: TopicGap) => void
  /** A copy of a message already delivered (or older than a gap) was dropped. */
  duplicate: () => void
}

/** Settings of a sequencer. */
export interface SequencerInit {
  reorderWindowMs: number
  maxPending: number
}

interface PublisherState {
  session: string
  next: number
  pending: Map<number, Envelope>
  timer?: ReturnType<typeof setTimeout>
}

/** Orders the messages of one topic by publisher. */
export class Sequencer {
  private readonly topic: string
  private readonly sink: SequencerSink
  private readonly init: SequencerInit
  private readonly publishers = new Map<string, PublisherState>()

  constructor(topic: string, sink: SequencerSink, init: SequencerInit) {
    this.topic = topic
    this.sink = sink
    this.init = init
  }

  /** Takes one message (already validated). */
  push(envelope: Envelope): void {
    let state = this.publishers.get(envelope.from)
    if (state == null || state.session !== envelope.session) {
      // A new publisher, or one that restarted (a new session): its sequence starts here.
      if (state != null) clearTimeout(state.timer)
      state = { session: envelope.session, next: envelope.seq, pending: new Map() }
      this.publishers.set(envelope.from, state)
    }
    if (envelope.seq < state.next || state.pending.has(envelope.seq)) {
      this.sink.duplicate()
      return
    }
    if (envelope.seq > state.next) {
      state.pending.set(envelope.seq, envelope)
      if (state.pending.size > this.init.maxPending) this.skipGap(envelope.from, state)
      else state.timer ??= this.waitFor(envelope.from, state)
      return
    }
    this.sink.deliver(envelope)
    state.next++
    this.flush(envelope.from, state)
  }

  /** Forgets every publisher and stops the timers. */
  close(): void {
    for (const state of this.publishers.values()) clearTimeout(state.timer)
    this.publishers.clear()
  }

  private waitFor(from: string, state: PublisherState): ReturnType<typeof setTimeout> {
    const timer = setTimeout(() => {
      state.timer = undefined
      this.skipGap(from, state)
    }, this.init.reorderWindowMs)
    timer.unref?.()
    return timer
  }

  /** Gives up on the missing messages before the earliest held one: reports the gap, delivers on. */
  private skipGap(from: string, state: PublisherState): void {
    clearTimeout(state.timer)
    state.timer = undefined
    if (state.pending.size === 0) return
    const first = Math.min(...state.pending.keys())
    this.sink.gap({ topic: this.topic, from, first: state.next, last: first - 1 })
    state.next = first
    this.flush(from, state)
  }

  /** Delivers the held messages that are next in sequence; waits again if others are still held. */
  private flush(from: string, state: PublisherState): void {
    for (let held = state.pending.get(state.next); held != null; held = state.pending.get(state.next)) {
      state.pending.delete(state.next)
      this.sink.deliver(held)
      state.next++
    }
    if (state.pending.size === 0) {
      clearTimeout(state.timer)
      state.timer = undefined
    } else state.timer ??= this.waitFor(from, state)
  }
}
