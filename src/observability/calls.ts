/**
 * Calls in and out: a counter by tool and outcome and a latency histogram by tool, recorded with one
 * line at each call site. The hot path stays cheap: the labelled children of a tool are looked up
 * once and cached, so recording a call allocates nothing.
 */
import type { Counter, Histogram } from 'prom-client'
import { CordError } from '../errors.ts'

/** Which way a call went: served by this node (`in`) or made by it (`out`). */
export type CallDirection = 'in' | 'out'

/**
 * How a call ended: `ok`, `tool_error` (the tool answered `isError: true`), or the kind of the error
 * that failed it (`rejected`, `unreachable`, `timeout`, `stopping`, …; `error` for anything else).
 */
export type CallOutcome = string

/** What a part that makes or serves calls reports to. */
export interface CallObserver {
  /**
   * Records one call of `tool` that started at `startedAt` (`performance.now()`) and ended now.
   * `peer` (the caller or the serving peer) is used only when per-peer labels are on.
   */
  recordCall(
    direction: CallDirection,
    tool: string,
    outcome: CallOutcome,
    startedAt: number,
    peer?: string,
  ): void
}

/** The label of a tool name that this node does not serve (a caller's typo must not make a series). */
export const UNKNOWN_TOOL = '(unknown)'
/** The label of tools past `MAX_TOOL_LABELS`. */
export const OTHER_TOOL = '(other)'
/** Distinct tool labels per direction: past it, calls are counted as `(other)`. */
export const MAX_TOOL_LABELS = 500

/** The outcome of a call that failed with `err`. */
export function outcomeOf(err: unknown): CallOutcome {
  return err instanceof CordError ? err.kind : 'error'
}

/** The outcome of a call that returned `result`. */
export function resultOutcome(result: { isError?: boolean } | undefined): CallOutcome {
  return result?.isError === true ? 'tool_error' : 'ok'
}

/** The cached children of one tool in one direction. */
interface ToolSeries {
  label: string
  duration: Histogram.Internal<string>
  outcomes: Map<CallOutcome, Counter.Internal>
}

/** Records calls into a counter and a histogram (see `CordMetrics`). */
export class CallRecorder implements CallObserver {
  private readonly total: Counter<string>
  private readonly duration: Histogram<string>
  private readonly perPeer?: Counter<string>
  private readonly series: Record<CallDirection, Map<string, ToolSeries>> = { in: new Map(), out: new Map() }

  constructor(total: Counter<string>, duration: Histogram<string>, perPeer?: Counter<string>) {
    this.total = total
    this.duration = duration
    if (perPeer != null) this.perPeer = perPeer
  }

  recordCall(
    direction: CallDirection,
    tool: string,
    outcome: CallOutcome,
    startedAt: number,
    peer?: string,
  ): void {
    const series = this.seriesOf(direction, tool)
    series.duration.observe((performance.now() - startedAt) / 1000)
    let counter = series.outcomes.get(outcome)
    if (counter == null) {
      counter = this.total.labels(direction, series.label, outcome)
      series.outcomes.set(outcome, counter)
    }
    counter.inc()
    if (this.perPeer != null && peer != null) this.perPeer.labels(direction, peer).inc()
  }

  private seriesOf(direction: CallDirection, tool: string): ToolSeries {
    const tools = this.series[direction]
    const known = tools.get(tool)
    if (known != null) return known
    const label = tools.size < MAX_TOOL_LABELS ? tool : OTHER_TOOL
    const series = tools.get(label) ?? {
      label,
      duration: this.duration.labels(direction, label),
      outcomes: new Map(),
    }
    tools.set(label, series)
    return series
  }
}
