/** The two small charts of the call window: calls per second (in, out) and latency percentiles. */
import uPlot from 'uplot'
import { byId } from './dom.ts'
import type { State } from './types.ts'

let rate: uPlot | undefined
let latency: uPlot | undefined

const HEIGHT = 150

function width(id: string): number {
  return Math.max(240, byId(id).clientWidth)
}

function chart(
  id: string,
  series: Array<{ label: string; stroke: string; dash?: number[] }>,
  unit: string,
  points = false,
): uPlot {
  const opts: uPlot.Options = {
    width: width(id),
    height: HEIGHT,
    cursor: { drag: { x: false, y: false } },
    scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
    axes: [{}, { label: unit, size: 50 }],
    series: [
      {},
      ...series.map((s) => ({
        label: s.label,
        stroke: s.stroke,
        width: 2,
        ...(s.dash != null ? { dash: s.dash } : {}),
        spanGaps: false,
        // Latency has gaps (seconds without calls): a lone second still shows, as a dot.
        ...(points ? { points: { show: true, size: 6 } } : {}),
      })),
    ],
  }
  return new uPlot(opts, [[], ...series.map(() => [])], byId(id))
}

/** Draws the window of a snapshot. */
export function renderCharts(state: State): void {
  rate ??= chart(
    'rate-chart',
    [
      { label: 'in', stroke: '#1f6feb' },
      { label: 'out', stroke: '#b35900', dash: [6, 3] },
    ],
    'calls/s',
  )
  latency ??= chart(
    'latency-chart',
    [
      { label: 'p50', stroke: '#1a7f37' },
      { label: 'p90', stroke: '#9a6700', dash: [6, 3] },
      { label: 'p99', stroke: '#cf222e', dash: [2, 3] },
    ],
    'ms',
    true,
  )
  const t = state.calls.map((s) => s.t / 1000)
  rate.setData([t, state.calls.map((s) => s.in), state.calls.map((s) => s.out)])
  const q = (k: 'p50' | 'p90' | 'p99'): Array<number | null> => state.calls.map((s) => s[k] ?? null)
  latency.setData([t, q('p50'), q('p90'), q('p99')])
  const last = state.calls.at(-1)
  const total = state.calls.reduce((n, s) => n + s.in + s.out, 0)
  byId('rate-chart').setAttribute(
    'aria-label',
    `${total} calls in the last minute; last second: ${last?.in ?? 0} in, ${last?.out ?? 0} out`,
  )
}

/** Fits the charts to their boxes when the window is resized. */
export function resizeCharts(): void {
  rate?.setSize({ width: width('rate-chart'), height: HEIGHT })
  latency?.setSize({ width: width('latency-chart'), height: HEIGHT })
}
