/**
 * Topics bench: messages per second and latency from publish to delivery across three nodes, all in
 * this one process (createNode, TCP on 127.0.0.1; b and c bootstrap to a). The subscriber is on c;
 * the publishers are a and b. Runs:
 *   - one publisher (b), one message in flight: publish, wait for delivery at c, next
 *   - two publishers (a, b) back to back: each publishes as fast as `publish()` resolves
 *   - the same with 16 KiB messages
 * Latency is publish() called → handler at c (one clock: one process). Each figure is the median over
 * rounds; order, losses and duplicates are checked per publisher.
 *
 * Environment: BENCH_TOPIC_MESSAGES (messages per run, default 2000), BENCH_TOPIC_ROUNDS (default 3).
 * A section of `npm run bench`, and runnable alone: `npx tsx scripts/bench/topics.ts`.
 */
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'
import { type CordNode, createNode, type TopicMessage } from '../../dist/index.js'

const MESSAGES = Number(process.env.BENCH_TOPIC_MESSAGES ?? 2000)
const ROUNDS = Number(process.env.BENCH_TOPIC_ROUNDS ?? 3)
const WARMUP = 200
/** Messages published but not yet delivered, at most, in the windowed run. */
const WINDOW = 16
const SMALL = 'x'.repeat(100)
const LARGE = 'x'.repeat(16 * 1024)

/** What a section of the bench returns. */
export interface TopicsBenchResult {
  title: string
  header: string[]
  rows: string[][]
  notes?: string[]
  json?: unknown
}

/** One measured run. */
interface RunResult {
  messages: number
  ms: number
  perSecond: number
  p50: number
  p99: number
  lost: number
  duplicates: number
  outOfOrder: number
}

interface Payload {
  p: string
  i: number
  pad: string
}

const quantile = (sorted: number[], q: number): number =>
  sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
const median = (xs: number[]): number =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  )

async function waitUntil(probe: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`topics bench: timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}

async function withTimeout(promise: Promise<void>, ms: number, what: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`topics bench: timed out waiting for ${what}`)), ms)
  })
  try {
    await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** The three nodes and the subscriber's bookkeeping. */
class Mesh {
  readonly nodes: CordNode[]
  private readonly sent = new Map<string, number>()
  private readonly latencies: number[] = []
  private readonly last = new Map<string, number>()
  private received = 0
  private duplicates = 0
  private outOfOrder = 0
  private readonly seen = new Set<string>()
  private waiters: Array<{ n: number; resolve: () => void }> = []
  /** Messages published since the last reset. */
  published = 0

  private constructor(nodes: CordNode[]) {
    this.nodes = nodes
  }

  static async start(topic: string): Promise<Mesh> {
    const options = { listen: ['/ip4/127.0.0.1/tcp/0'], logLevel: 'silent' as const }
    const a = await createNode({ ...options, alias: 'a' })
    await a.start()
    const bootstrap = [a.multiaddrs[0]!]
    const [b, c] = await Promise.all([
      createNode({ ...options, alias: 'b', bootstrap }),
      createNode({ ...options, alias: 'c', bootstrap }),
    ])
    await Promise.all([b.start(), c.start()])
    const mesh = new Mesh([a, b, c])
    c.subscribe(topic, (m) => mesh.onMessage(m))
    await waitUntil(
      () => [a, b].every((p) => p.topics().some((t) => t.topic === topic && t.peers.includes(c.peerId))),
      20_000,
      'the publishers to see the subscriber',
    )
    return mesh
  }

  /** Publishes message `i` of publisher `p` (a node index) and notes when. */
  publish(topic: string, p: number, i: number, pad: string): Promise<unknown> {
    this.sent.set(`${p}:${i}`, performance.now())
    this.published++
    return this.nodes[p]!.publish(topic, { p: String(p), i, pad } satisfies Payload)
  }

  /** Forgets what was counted so far. */
  reset(): void {
    this.sent.clear()
    this.latencies.length = 0
    this.last.clear()
    this.seen.clear()
    this.received = 0
    this.published = 0
    this.duplicates = 0
    this.outOfOrder = 0
  }

  get count(): number {
    return this.received
  }

  /** Resolves when `n` messages have arrived since the last reset (at once when they have). */
  arrived(n: number): Promise<void> {
    if (this.received >= n) return Promise.resolve()
    return new Promise((resolve) => {
      this.waiters.push({ n, resolve })
    })
  }

  result(expected: number, ms: number): RunResult {
    const sorted = [...this.latencies].sort((x, y) => x - y)
    return {
      messages: expected,
      ms,
      perSecond: (this.received / ms) * 1000,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      lost: expected - this.received,
      duplicates: this.duplicates,
      outOfOrder: this.outOfOrder,
    }
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.stop()))
  }

  private onMessage(m: TopicMessage): void {
    const now = performance.now()
    const { p, i } = m.data as Payload
    const key = `${p}:${i}`
    if (this.seen.has(key)) {
      this.duplicates++
      return
    }
    this.seen.add(key)
    this.received++
    if (i <= (this.last.get(p) ?? 0)) this.outOfOrder++
    this.last.set(p, i)
    const sent = this.sent.get(key)
    if (sent != null) this.latencies.push(now - sent)
    if (this.waiters.length > 0) {
      const due = this.waiters.filter((w) => this.received >= w.n)
      this.waiters = this.waiters.filter((w) => this.received < w.n)
      for (const w of due) w.resolve()
    }
  }
}

/** One message in flight: publish on b, wait for c to get it. */
async function oneInFlight(mesh: Mesh, topic: string, n: number): Promise<RunResult> {
  mesh.reset()
  const started = performance.now()
  for (let i = 1; i <= n; i++) {
    await mesh.publish(topic, 1, i, SMALL)
    await withTimeout(mesh.arrived(i), 10_000, `message ${i}`)
  }
  return mesh.result(n, performance.now() - started)
}

/**
 * Two publishers (a, b), each as fast as publish() resolves, n messages in all; with `window`, a
 * publisher waits while that many messages are published but not yet delivered (flow control the
 * bench has and gossip has not: it shows the rate the mesh sustains, and the latency at that rate).
 */
async function backToBack(
  mesh: Mesh,
  topic: string,
  n: number,
  pad: string,
  window = Number.POSITIVE_INFINITY,
): Promise<RunResult> {
  mesh.reset()
  const each = Math.floor(n / 2)
  const started = performance.now()
  const run = async (p: number): Promise<void> => {
    for (let i = 1; i <= each; i++) {
      if (mesh.published - mesh.count >= window) await mesh.arrived(mesh.published - window + 1)
      await mesh.publish(topic, p, i, pad)
    }
  }
  await Promise.all([run(0), run(1)])
  // Whatever has not arrived 5 s after the last publish is counted as lost.
  await withTimeout(mesh.arrived(2 * each), 5_000, 'delivery').catch(() => {})
  return mesh.result(2 * each, performance.now() - started)
}

const fmt = (x: number, digits = 2): string =>
  Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: digits }) : '—'

/** Runs the bench and returns its table. */
async function run(): Promise<TopicsBenchResult> {
  const topic = 'bench/topics'
  const mesh = await Mesh.start(topic)
  const runs: Record<string, RunResult[]> = { single: [], window: [], pair: [], large: [] }
  try {
    await backToBack(mesh, topic, WARMUP, SMALL)
    for (let r = 0; r < ROUNDS; r++) {
      runs.single!.push(await oneInFlight(mesh, topic, Math.min(MESSAGES, 1000)))
      runs.window!.push(await backToBack(mesh, topic, MESSAGES, SMALL, WINDOW))
      runs.pair!.push(await backToBack(mesh, topic, MESSAGES, SMALL))
      runs.large!.push(await backToBack(mesh, topic, Math.min(MESSAGES, 1000), LARGE))
    }
  } finally {
    await mesh.stop()
  }
  const label: Record<string, string> = {
    single: '1 publisher (b), 1 message in flight, 100 B',
    window: `2 publishers (a, b), at most ${WINDOW} undelivered, 100 B`,
    pair: '2 publishers (a, b) back to back, 100 B',
    large: '2 publishers (a, b) back to back, 16 KiB',
  }
  const rows = Object.entries(runs).map(([k, rs]) => {
    const sum = (f: (x: RunResult) => number): number => rs.reduce((s, x) => s + f(x), 0)
    return [
      label[k]!,
      fmt(rs[0]?.messages ?? 0, 0),
      fmt(median(rs.map((x) => x.perSecond)), 0),
      fmt(median(rs.map((x) => x.p50)), 3),
      fmt(median(rs.map((x) => x.p99)), 3),
      `${sum((x) => x.lost)} / ${sum((x) => x.duplicates)} / ${sum((x) => x.outOfOrder)}`,
    ]
  })
  return {
    title: `Topics: publish → delivery at a subscriber on node c; three nodes in one process (TCP on 127.0.0.1, b and c bootstrap to a), median of ${ROUNDS} rounds`,
    header: ['run', 'messages', 'delivered/s', 'p50 ms', 'p99 ms', 'lost / dup / out of order (all rounds)'],
    rows,
    notes: [
      'Latency: publish() called on the publisher → the handler on c (one clock: one process).',
      'Back to back: each publisher awaits publish() before the next (gossip is best-effort: nothing is retransmitted).',
    ],
    json: runs,
  }
}

/** The topics section of `npm run bench`. */
const section: { name: string; describe: string; run: () => Promise<TopicsBenchResult> } = {
  name: 'topics',
  describe: 'topics: messages per second and publish → delivery latency across three nodes (one process)',
  run,
}
export default section

/** The result as a Markdown table. */
function markdown(result: TopicsBenchResult): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`
  return [
    result.title,
    '',
    line(result.header),
    line(result.header.map(() => '---')),
    ...result.rows.map(line),
    '',
    ...(result.notes ?? []),
  ].join('\n')
}

if (process.argv[1] != null && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const result = await run()
  process.stdout.write(`${markdown(result)}\n`)
  process.exit(0)
}
