/**
 * Latency and throughput of call paths, side by side: each round measures every path in turn
 * (sequential calls, then calls at 64 in flight), the order rotating from round to round, so that the
 * noise of a shared machine hits all paths alike; each figure is the median over rounds.
 *
 * Environment: BENCH_CALLS (sequential calls per path and round, default 2000), BENCH_BURST (calls
 * per 64-in-flight run, default 6400), BENCH_ROUNDS (default 5), BENCH_DEBUG=1 (progress).
 */
import { readFileSync } from 'node:fs'
import { progress } from './section.ts'

export const CALLS = Number(process.env.BENCH_CALLS ?? 2000)
export const BURST = Number(process.env.BENCH_BURST ?? 6400)
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
export const IN_FLIGHT = 64
const WARMUP = 300

/** One way to make a call. */
export interface Target {
  name: string
  label: string
  call: () => Promise<unknown>
  close: () => Promise<void>
  /** The process that serves the calls, whose CPU time is counted. */
  servingPid?: number
}

/** What one path measured (one round, or the medians over rounds). */
export interface Measurement {
  /** Latency of sequential calls, ms. */
  p50: number
  p99: number
  /** Calls per second, one in flight and 64 in flight. */
  rps1: number
  rps64: number
  /** CPU time per sequential call, µs: this process (the caller), and the serving one. */
  callerCpuUs: number
  servingCpuUs: number
}

/** CPU time of a process so far, µs, from /proc (clock ticks of 10 ms); NaN where there is no /proc. */
function processCpuUs(pid: number | undefined): number {
  if (pid == null) return Number.NaN
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10_000
  } catch {
    return Number.NaN
  }
}

function ownCpuUs(): number {
  const { user, system } = process.cpuUsage()
  return user + system
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

/** One round of one path. */
export async function measure(target: Target, calls = CALLS, burst = BURST): Promise<Measurement> {
  for (let i = 0; i < WARMUP; i++) await target.call()
  const cpuBefore = [ownCpuUs(), processCpuUs(target.servingPid)] as const
  const times: number[] = []
  const start = performance.now()
  for (let i = 0; i < calls; i++) {
    const t = performance.now()
    await target.call()
    times.push(performance.now() - t)
  }
  const sequential = performance.now() - start
  const perCall = (before: number, after: number): number => (after - before) / calls
  const callerCpuUs = perCall(cpuBefore[0], ownCpuUs())
  const servingCpuUs = perCall(cpuBefore[1], processCpuUs(target.servingPid))
  times.sort((x, y) => x - y)
  let next = 0
  const burstStart = performance.now()
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < burst) await target.call()
    }),
  )
  const elapsed = performance.now() - burstStart
  return {
    callerCpuUs,
    servingCpuUs,
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    rps1: (calls / sequential) * 1000,
    rps64: (burst / elapsed) * 1000,
  }
}

/** Every path, `rounds` times, interleaved; the medians over rounds, and each round's figures. */
export async function interleaved(
  targets: Target[],
  options: { rounds?: number; calls?: number; burst?: number; section: string } = { section: '' },
): Promise<{ results: Map<string, Measurement>; rounds: Map<string, Measurement[]> }> {
  const count = options.rounds ?? ROUNDS
  const rounds = new Map<string, Measurement[]>(targets.map((t) => [t.name, []]))
  for (let round = 0; round < count; round++) {
    // Rotate the order: no path always runs right after the same other one.
    const order = targets.map((_, i) => targets[(i + round) % targets.length]!)
    for (const target of order) {
      const m = await measure(target, options.calls, options.burst)
      rounds.get(target.name)!.push(m)
      if (process.env.BENCH_DEBUG)
        progress(
          `    ${target.name}: p50 ${m.p50.toFixed(3)} ms, ${Math.round(m.rps64)} calls/s at ${IN_FLIGHT}`,
        )
    }
    progress(`  ${options.section}: round ${round + 1}/${count} done`)
  }
  const results = new Map<string, Measurement>()
  for (const [name, ms] of rounds) {
    results.set(name, {
      p50: median(ms.map((m) => m.p50)),
      p99: median(ms.map((m) => m.p99)),
      rps1: median(ms.map((m) => m.rps1)),
      rps64: median(ms.map((m) => m.rps64)),
      callerCpuUs: median(ms.map((m) => m.callerCpuUs)),
      servingCpuUs: median(ms.map((m) => m.servingCpuUs)),
    })
  }
  return { results, rounds }
}

/** Median over rounds of a per-round ratio of two paths (noise that hits one round hits both). */
export function roundRatio(
  rounds: Map<string, Measurement[]>,
  a: string,
  b: string,
  pick: (m: Measurement) => number,
): number {
  const xs = rounds.get(a)!
  const ys = rounds.get(b)!
  return median(xs.map((x, i) => pick(x) / pick(ys[i]!)))
}

/** The table of a set of paths, with ratios to path `base` (medians of the per-round ratios). */
export function latencyRows(
  targets: Target[],
  measured: { results: Map<string, Measurement>; rounds: Map<string, Measurement[]> },
  base: string,
): { header: string[]; rows: string[][] } {
  const { results, rounds } = measured
  const header = [
    'path',
    'p50 ms',
    'p99 ms',
    'calls/s (1)',
    `calls/s (${IN_FLIGHT})`,
    `p50 ÷ ${base}`,
    `calls/s (${IN_FLIGHT}) ÷ ${base}`,
    'CPU µs/call (1): caller',
    'serving',
  ]
  const rows = targets.map((t) => {
    const m = results.get(t.name)!
    return [
      t.label,
      m.p50.toFixed(3),
      m.p99.toFixed(3),
      Math.round(m.rps1).toLocaleString('en-US'),
      Math.round(m.rps64).toLocaleString('en-US'),
      `${roundRatio(rounds, t.name, base, (x) => x.p50).toFixed(2)}×`,
      `${roundRatio(rounds, t.name, base, (x) => x.rps64).toFixed(2)}×`,
      Math.round(m.callerCpuUs).toString(),
      Number.isNaN(m.servingCpuUs) ? '–' : Math.round(m.servingCpuUs).toString(),
    ]
  })
  return { header, rows }
}
