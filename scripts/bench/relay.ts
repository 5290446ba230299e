/**
 * Relay benchmark (part of `npm run bench`): the round trip of an echo call (100-byte text) from one
 * node to another in a separate process, over three kinds of connection:
 *   relayed  — through a Cord relay in a third process (circuit relay v2, no limits);
 *   upgraded — the same two nodes after the relayed connection was replaced by a direct one, as
 *              hole punching (DCUtR) does: a direct connection opened, the relayed one closed, the
 *              MCP session reopened on the direct one (the first call after the switch is timed too);
 *   direct   — a node that dialled the target over TCP from the start.
 * On loopback DCUtR itself never upgrades (libp2p punches holes only towards public addresses), so
 * the upgrade is made by hand here; the network namespace suite (test/netns) shows what DCUtR does
 * behind NAT. Rounds are interleaved; figures are medians over rounds. BENCH_RELAY_CALLS (default
 * 2000), BENCH_RELAY_ROUNDS (default 3).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { multiaddr } from '@multiformats/multiaddr'
import { type CordNode, createNode } from '../../dist/index.js'

const CALLS = Number(process.env.BENCH_RELAY_CALLS ?? 2000)
const ROUNDS = Number(process.env.BENCH_RELAY_ROUNDS ?? 3)
const WARMUP = 200
const IN_FLIGHT = 64
const TEXT = 'x'.repeat(100)
/**
 * The callers: no heartbeats during the benchmark (a 1 h interval), so that nothing dials the target
 * by its other addresses behind the benchmark's back (discovery keeps connections to alive peers).
 */
const BENCH_NODE = {
  listen: ['/ip4/127.0.0.1/tcp/0'],
  logLevel: 'silent' as const,
  demoTools: false,
  discovery: { heartbeatIntervalMs: 3_600_000 },
}

/** One row of the relay benchmark. */
export interface RelayRow {
  path: 'relayed' | 'upgraded' | 'direct'
  p50: number
  p99: number
  rps1: number
  rps64: number
}

/** What the benchmark reports besides the rows. */
export interface RelayBenchResult {
  rows: RelayRow[]
  /** The first call after the switch to a direct connection (a new MCP session), median over rounds, ms. */
  firstCallAfterUpgradeMs: number
}

interface Peer {
  proc: ChildProcess
  peerId: string
  addrs: string[]
}

function peer(args: string[]): Promise<Peer> {
  const script = new URL('./relay-peer.ts', import.meta.url).pathname
  const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    createInterface({ input: proc.stdout! }).once('line', (line) => resolve({ proc, ...JSON.parse(line) }))
    proc.once('exit', (code) => reject(new Error(`relay-peer ${args.join(' ')} exited with ${code}`)))
  })
}

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!
const median = (xs: number[]): number =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  )

async function measure(call: () => Promise<unknown>): Promise<Omit<RelayRow, 'path'>> {
  for (let i = 0; i < WARMUP; i++) await call()
  const times: number[] = []
  const t0 = performance.now()
  for (let i = 0; i < CALLS; i++) {
    const s = performance.now()
    await call()
    times.push(performance.now() - s)
  }
  const sequential = performance.now() - t0
  times.sort((a, b) => a - b)
  const burst = CALLS * 2
  const t1 = performance.now()
  let next = 0
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < burst) await call()
    }),
  )
  const parallel = performance.now() - t1
  return {
    p50: quantile(times, 0.5),
    p99: quantile(times, 0.99),
    rps1: (CALLS / sequential) * 1000,
    rps64: (burst / parallel) * 1000,
  }
}

const connectionOf = (node: CordNode, peerId: string): string =>
  node.libp2p
    .getConnections()
    .filter((c) => c.remotePeer.toString() === peerId)
    .map((c) => (c.direct ? 'direct' : 'relayed'))
    .join(',')

/** Progress on stderr: stdout carries the driver's tables. */
const log = (line: string): boolean => process.stderr.write(`${line}\n`)

/** Runs the relay benchmark and returns the figures (scripts/bench.ts prints them as its `relay` section). */
export async function relayBench(): Promise<RelayBenchResult> {
  const relay = await peer(['relay'])
  const target = await peer(['target', relay.addrs[0]!])
  const circuit = target.addrs.find((a) => a.includes('/p2p-circuit/'))!
  const tcp = target.addrs.find((a) => !a.includes('/p2p-circuit'))!
  const plain = await createNode(BENCH_NODE)
  await plain.start()
  await plain.connect(tcp)
  const echo = (node: CordNode) => () => node.callTool(target.peerId, 'echo', { text: TEXT })
  const rounds: Record<RelayRow['path'], Array<Omit<RelayRow, 'path'>>> = {
    relayed: [],
    upgraded: [],
    direct: [],
  }
  const firsts: number[] = []
  log(
    `\nrelay: ${CALLS} sequential calls and ${CALLS * 2} at ${IN_FLIGHT} in flight per path and round; ${ROUNDS} rounds`,
  )
  for (let round = 1; round <= ROUNDS; round++) {
    // A new caller each round, that knows the target only by its relayed address.
    const caller = await createNode(BENCH_NODE)
    await caller.start()
    await caller.connect(circuit)
    const expect = (kind: string): void => {
      const got = connectionOf(caller, target.peerId)
      if (got !== kind) throw new Error(`expected a ${kind} connection, got ${got || 'none'}`)
    }
    expect('relayed')
    rounds.relayed.push(await measure(echo(caller)))
    expect('relayed')
    // The upgrade, as DCUtR makes it: a direct connection beside the relayed one, then the relayed one closed.
    const relayed = caller.libp2p.getConnections().filter((c) => c.remotePeer.toString() === target.peerId)
    await caller.libp2p.dial(multiaddr(tcp), { force: true })
    await Promise.all(relayed.map((c) => c.close()))
    const s = performance.now()
    await echo(caller)()
    firsts.push(performance.now() - s)
    expect('direct')
    rounds.upgraded.push(await measure(echo(caller)))
    rounds.direct.push(await measure(echo(plain)))
    await caller.stop()
    process.stderr.write(`relay round ${round}/${ROUNDS} done\n`)
  }
  const rows = (['relayed', 'upgraded', 'direct'] as const).map((path) => ({
    path,
    p50: median(rounds[path].map((m) => m.p50)),
    p99: median(rounds[path].map((m) => m.p99)),
    rps1: median(rounds[path].map((m) => m.rps1)),
    rps64: median(rounds[path].map((m) => m.rps64)),
  }))
  const direct = rows.find((r) => r.path === 'direct')!
  log('| path | p50 ms | p99 ms | calls/s (1 in flight) | calls/s (64 in flight) | p50 ÷ direct |')
  log('|---|---|---|---|---|---|')
  for (const r of rows)
    log(
      `| ${r.path} | ${r.p50.toFixed(3)} | ${r.p99.toFixed(3)} | ${Math.round(r.rps1)} | ${Math.round(r.rps64)} | ${(r.p50 / direct.p50).toFixed(2)}× |`,
    )
  const firstCallAfterUpgradeMs = median(firsts)
  log(`first call after the switch to direct (a new MCP session): ${firstCallAfterUpgradeMs.toFixed(1)} ms`)
  await plain.stop()
  for (const p of [target, relay]) p.proc.stdin?.end()
  return { rows, firstCallAfterUpgradeMs }
}
