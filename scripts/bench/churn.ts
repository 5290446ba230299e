/**
 * Section `churn`: calls by tool name while provider processes die. 20 providers of one read-only
 * tool run in 4 forked processes (5 nodes each, default configuration, each bootstrapping to the
 * caller, as nodes joining the first one would); the caller, a node in this process, calls the tool
 * by name with 4 calls in flight, and beside them (a fifth lane) calls a provider of its own process
 * by peer ID (the direct call, measured in the same run). Runs: no kills, then one provider process
 * killed with SIGKILL and replaced by a new process with the same configuration (so fresh
 * identities) every 10 s, 5 s and 3 s. Each run starts a fresh mesh.
 *
 * Environment: BENCH_CHURN_MS (length of each run, default 40000), BENCH_CHURN_KILLS (the kill
 * periods in ms, `0` for none; default 0,10000,5000,3000).
 */
import { type CordNode, createNode } from '../../dist/index.js'
import type { ChurnRequest } from './churn-worker.ts'
import { type Check, progress, type Section, type SectionResult } from './section.ts'
import { WorkerRpc } from './worker-rpc.ts'

const RUN_MS = Number(process.env.BENCH_CHURN_MS ?? 40_000)
const KILLS = (process.env.BENCH_CHURN_KILLS ?? '0,10000,5000,3000').split(',').map(Number)
const PROCESSES = 4
const PER_PROCESS = 5
const IN_FLIGHT = 4
const TOOL = 'churn_lookup'
/** How long a fresh mesh may take until the caller sees every provider. */
const SETTLE_LIMIT_MS = 60_000

/** A forked provider process. */
class Providers extends WorkerRpc<ChurnRequest> {
  constructor() {
    super(new URL('./churn-worker.ts', import.meta.url))
  }

  kill(): void {
    this.child.kill('SIGKILL')
  }
}

/** What one run measured. */
export interface ChurnRow {
  killEveryMs: number
  /** Providers the caller knew when the calls began. */
  providersAtStart: number
  kills: number
  calls: number
  succeeded: number
  failures: Record<string, number>
  p50: number
  p99: number
  max: number
  directCalls: number
  directFailed: number
  directP50: number
  directP99: number
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

async function spawnProviders(
  slot: number,
  generation: number,
  caller: CordNode,
): Promise<{ proc: Providers; peers: string[] }> {
  const proc = new Providers()
  const peers = await proc.request<string[]>({
    op: 'spawn',
    count: PER_PROCESS,
    prefix: `p${slot}g${generation}`,
    tool: TOOL,
    bootstrap: [caller.multiaddrs[0]!],
  })
  return { proc, peers }
}

/** Calls `call` in a loop until `until`, recording latencies and failures. */
async function lane(
  call: () => Promise<unknown>,
  until: number,
  times: number[],
  failures: Record<string, number>,
): Promise<number> {
  let n = 0
  while (performance.now() < until) {
    const t = performance.now()
    n++
    try {
      await call()
      times.push(performance.now() - t)
    } catch (err) {
      const name = (err as Error).name ?? 'Error'
      failures[name] = (failures[name] ?? 0) + 1
    }
  }
  return n
}

/** One run: a fresh mesh, calls for RUN_MS, a provider process killed and replaced every `killEveryMs`. */
async function runOnce(killEveryMs: number): Promise<ChurnRow> {
  const caller = await createNode({ alias: 'caller', listen: ['/ip4/127.0.0.1/tcp/0'], logLevel: 'silent' })
  await caller.start()
  // the process of each slot now, and every process started (for the cleanup)
  const slots: Providers[] = []
  const all: Providers[] = []
  try {
    const spawned = await Promise.all(
      Array.from({ length: PROCESSES }, (_, i) => spawnProviders(i, 0, caller)),
    )
    for (const s of spawned) slots.push(s.proc)
    all.push(...slots)
    // The direct call's target: a provider of process 0, which is never killed (kills rotate over 1..3).
    const direct = spawned[0]!.peers[0]!
    const started = Date.now()
    const providers = (): number => caller.catalog().find((t) => t.name === TOOL)?.providers.length ?? 0
    // A readiness wait; a mesh that has not pulled every catalog by the limit runs with what it has.
    while (providers() < PROCESSES * PER_PROCESS && Date.now() - started < SETTLE_LIMIT_MS) await sleep(200)
    const seen = providers()
    progress(`  churn: ${seen} providers in ${((Date.now() - started) / 1000).toFixed(1)} s`)
    const until = performance.now() + RUN_MS
    const times: number[] = []
    const failures: Record<string, number> = {}
    const directTimes: number[] = []
    const directFailures: Record<string, number> = {}
    let kills = 0
    let stop = false
    // Kills keep their period whatever a replacement takes to start (on a loaded host, seconds).
    const replacements: Array<Promise<unknown>> = []
    const killer = (async (): Promise<void> => {
      if (killEveryMs <= 0) return
      let next = 1
      while (!stop) {
        await sleep(killEveryMs)
        if (stop) break
        const slot = next
        next = (next % (PROCESSES - 1)) + 1
        slots[slot]!.kill()
        kills++
        const replacement = spawnProviders(slot, kills, caller).then((s) => {
          all.push(s.proc)
          slots[slot] = s.proc
          return s
        })
        replacements.push(replacement.catch(() => {}))
      }
    })()
    const byName = (): Promise<unknown> => caller.callTool(undefined, TOOL, {}, { timeout: 10_000 })
    const counts = await Promise.all([
      ...Array.from({ length: IN_FLIGHT }, () => lane(byName, until, times, failures)),
      lane(() => caller.callTool(direct, TOOL, {}, { timeout: 10_000 }), until, directTimes, directFailures),
    ])
    stop = true
    await killer
    await Promise.all(replacements)
    times.sort((a, b) => a - b)
    directTimes.sort((a, b) => a - b)
    const calls = counts.slice(0, IN_FLIGHT).reduce((a, b) => a + b, 0)
    return {
      killEveryMs,
      providersAtStart: seen,
      kills,
      calls,
      succeeded: times.length,
      failures,
      p50: percentile(times, 50),
      p99: percentile(times, 99),
      max: times.at(-1) ?? Number.NaN,
      directCalls: counts[IN_FLIGHT]!,
      directFailed: counts[IN_FLIGHT]! - directTimes.length,
      directP50: percentile(directTimes, 50),
      directP99: percentile(directTimes, 99),
    }
  } finally {
    await Promise.allSettled(all.map((s) => s.close()))
    await caller.stop()
  }
}

async function run(): Promise<SectionResult> {
  const rows: ChurnRow[] = []
  for (const every of KILLS) {
    const row = await runOnce(every)
    rows.push(row)
    progress(`  churn: ${JSON.stringify(row)}`)
  }
  const ms = (v: number): string => (v < 10 ? v.toFixed(2) : v.toFixed(0))
  const rate = (r: ChurnRow): number => r.succeeded / r.calls
  const checks: Check[] = []
  for (const r of rows) {
    if (r.killEveryMs === 0)
      checks.push({ what: 'no kills: p99 ÷ 20 ms', ratio: r.p99 / 20, bound: 'max', goal: 1 })
    if (r.killEveryMs === 5000) {
      checks.push({ what: 'kill every 5 s: succeeded ÷ 99 %', ratio: rate(r) / 0.99, bound: 'min', goal: 1 })
      checks.push({ what: 'kill every 5 s: p99 ÷ 1 s', ratio: r.p99 / 1000, bound: 'max', goal: 1 })
    }
    if (r.killEveryMs === 3000)
      checks.push({ what: 'kill every 3 s: succeeded ÷ 95 %', ratio: rate(r) / 0.95, bound: 'min', goal: 1 })
  }
  return {
    title: `churn: ${PROCESSES * PER_PROCESS} providers of one read-only tool over ${PROCESSES} processes, calls by name with ${IN_FLIGHT} in flight for ${RUN_MS / 1000} s per run; a killed process (SIGKILL) is replaced by a new one with the same configuration (fresh identities); direct: calls by peer ID to one provider in the same run`,
    header: [
      'kill every',
      'providers at start',
      'kills',
      'calls',
      'succeeded',
      'failures',
      'p50 ms',
      'p99 ms',
      'max ms',
      'direct p50 ms',
      'direct p99 ms',
      'p50 ÷ direct',
      'p99 ÷ direct',
    ],
    rows: rows.map((r) => [
      r.killEveryMs > 0 ? `${r.killEveryMs / 1000} s` : 'never',
      String(r.providersAtStart),
      String(r.kills),
      String(r.calls),
      `${((100 * r.succeeded) / r.calls).toFixed(2)} %`,
      Object.entries(r.failures)
        .map(([k, v]) => `${v} ${k}`)
        .join(', ') || '—',
      ms(r.p50),
      ms(r.p99),
      ms(r.max),
      ms(r.directP50),
      ms(r.directP99),
      `${(r.p50 / r.directP50).toFixed(1)}×`,
      `${(r.p99 / r.directP99).toFixed(1)}×`,
    ]),
    checks,
    json: rows,
  }
}

const section: Section = {
  name: 'churn',
  describe:
    'calls by tool name over 20 providers in 4 processes, one process killed and replaced every 10/5/3 s',
  run,
}
export default section
