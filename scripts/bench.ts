/**
 * `npm run bench`: round-trip latency (p50, p99) and throughput (1 and 64 calls in flight) of an
 * echo call with a 100-byte text, side by side in one run:
 *   (a) mesh   — Cord: MCP over /cord/mcp/1.0.0 to a node in another process
 *   (b) raw    — a raw length-prefixed echo on the same libp2p stack (TCP, Noise, Yamux): the floor
 *   (c) http   — the MCP SDK over Streamable HTTP on 127.0.0.1 (stateful session, JSON responses)
 *   (d) stdio  — the MCP SDK over stdio to a child process
 *   (e) bridged — Cord: a remote call to that same stdio server, hosted by the remote node
 *   (f) gateway — an MCP SDK client → the local node's MCP gateway (Streamable HTTP) → the mesh →
 *                 that same stdio server on the remote node
 * Rounds are interleaved (a b c d, a b c d, …) so that the noise of a shared machine hits all alike;
 * each figure is the median over rounds. `--json FILE` also writes the results as JSON.
 *
 * Then the relay benchmark (scripts/bench/relay.ts: relayed, upgraded and direct connections;
 * BENCH_RELAY=0 to skip) and the discovery benchmark (scripts/bench/discovery.ts) for meshes of
 * BENCH_MESH_SIZES nodes (default 10,25,50; empty to skip).
 *
 * BENCH_DEBUG=1 prints each path's progress on stderr; BENCH_PATHS=gateway,mesh,… measures only those
 * (names: gateway, mesh, raw, http, stdio, bridged).
 *
 * Environment: BENCH_CALLS (sequential calls per round, default 2000), BENCH_BURST (calls per
 * 64-in-flight run, default 6400), BENCH_ROUNDS (default 3).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { peerIdFromString } from '@libp2p/peer-id'
import { lpStream } from '@libp2p/utils'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { multiaddr } from '@multiformats/multiaddr'
import { type CordNode, createNode, Gateway, GatewayHttpServer } from '../dist/index.js'
import { discoveryBench } from './bench/discovery.ts'
import { relayBench } from './bench/relay.ts'

const CALLS = Number(process.env.BENCH_CALLS ?? 2000)
const BURST = Number(process.env.BENCH_BURST ?? 6400)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const WARMUP = 300
const IN_FLIGHT = 64
const TEXT = 'x'.repeat(100)
const RAW_ECHO_PROTOCOL = '/cord-bench/echo/1.0.0'
const here = (path: string): string => fileURLToPath(new URL(path, import.meta.url))

/** One way to make an echo call. */
interface Target {
  name: string
  label: string
  call: () => Promise<unknown>
  close: () => Promise<void>
}

interface Measurement {
  p50: number
  p99: number
  rps1: number
  rps64: number
}

const children: ChildProcess[] = []
function cleanup(): void {
  for (const child of children) if (child.exitCode == null) child.kill('SIGKILL')
}
process.on('exit', cleanup)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    cleanup()
    process.exit(130)
  })
}

function child(args: string[], stdio: 'stdout' | 'stderr'): Promise<{ proc: ChildProcess; line: string }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
  children.push(proc)
  return new Promise((resolve, reject) => {
    const stream = stdio === 'stdout' ? proc.stdout : proc.stderr
    createInterface({ input: stream! }).once('line', (line) => resolve({ proc, line }))
    proc.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}`)))
  })
}

async function meshAndRaw(local: CordNode): Promise<Target[]> {
  const { proc, line } = await child([here('./bench/peer.ts')], 'stdout')
  const remote = JSON.parse(line) as { peerId: string; addrs: string[] }
  await local.libp2p.dial(multiaddr(remote.addrs[0]!))
  const mesh: Target = {
    name: 'mesh',
    label: '(a) Cord mesh: MCP over /cord/mcp/1.0.0, 2 processes',
    call: () => local.callTool(remote.peerId, 'echo', { text: TEXT }),
    close: async () => {},
  }
  // The floor: one long-lived stream, frames pipelined; a reader matches replies in order.
  const stream = await local.libp2p.dialProtocol(peerIdFromString(remote.peerId), RAW_ECHO_PROTOCOL)
  const lp = lpStream(stream)
  const waiting: Array<() => void> = []
  void (async () => {
    try {
      for (;;) {
        await lp.read()
        waiting.shift()?.()
      }
    } catch {
      // stream closed at the end
    }
  })()
  const payload = new TextEncoder().encode(JSON.stringify({ text: TEXT }))
  const raw: Target = {
    name: 'raw',
    label: '(b) raw lpStream echo, same libp2p stack (floor)',
    call: () =>
      new Promise<void>((resolve, reject) => {
        waiting.push(resolve)
        lp.write(payload).catch(reject)
      }),
    close: async () => {
      stream.abort(new Error('done'))
      proc.stdin?.end()
    },
  }
  const bridged: Target = {
    name: 'bridged',
    label: '(e) Cord mesh → stdio server bridged on the remote node',
    call: () => local.callTool(remote.peerId, 'bench__echo', { text: TEXT }),
    close: async () => {},
  }
  return [mesh, raw, bridged]
}

async function gatewayPath(local: CordNode, gateway: Gateway): Promise<Target> {
  const server = new GatewayHttpServer(
    gateway,
    {
      listen: '127.0.0.1:0',
      allowedHosts: [],
      allowedOrigins: [],
      idleTimeoutMs: 600_000,
      maxSessions: 4,
      maxBodyBytes: 4 * 1024 * 1024,
    },
    local.log,
  )
  const url = await server.start()
  const deadline = Date.now() + 30_000
  while (!local.catalog().some((t) => t.name === 'bench__echo')) {
    if (Date.now() > deadline) throw new Error('the gateway never saw bench__echo')
    await new Promise((r) => setTimeout(r, 100))
  }
  const client = new Client({ name: 'bench', version: '1' })
  await client.connect(new StreamableHTTPClientTransport(new URL(url)))
  return {
    name: 'gateway',
    label: '(f) MCP client → Cord gateway (HTTP) → mesh → bridged stdio server',
    call: () => client.callTool({ name: 'bench__echo', arguments: { text: TEXT } }),
    close: async () => {
      await client.close()
      await server.stop()
    },
  }
}

async function http(): Promise<Target> {
  const { line } = await child([here('./bench/mcp-server.ts'), 'http'], 'stderr')
  const port = Number(line.split(' ')[1])
  const client = new Client({ name: 'bench', version: '1' })
  await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)))
  return {
    name: 'http',
    label: '(c) MCP SDK, Streamable HTTP on 127.0.0.1',
    call: () => client.callTool({ name: 'echo', arguments: { text: TEXT } }),
    close: () => client.close(),
  }
}

async function stdio(): Promise<Target> {
  const client = new Client({ name: 'bench', version: '1' })
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ['--import', 'tsx', here('./bench/mcp-server.ts'), 'stdio'],
    env: { PATH: process.env.PATH ?? '' },
    cwd: here('..'),
  })
  await client.connect(transport)
  return {
    name: 'stdio',
    label: '(d) MCP SDK, stdio child process',
    call: () => client.callTool({ name: 'echo', arguments: { text: TEXT } }),
    close: () => client.close(),
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

async function measure(target: Target): Promise<Measurement> {
  for (let i = 0; i < WARMUP; i++) await target.call()
  const times: number[] = []
  const start = performance.now()
  for (let i = 0; i < CALLS; i++) {
    if (process.env.BENCH_DEBUG && i % 500 === 0) process.stderr.write(`    ${target.name} seq ${i}\n`)
    const t = performance.now()
    await target.call()
    times.push(performance.now() - t)
  }
  const sequential = performance.now() - start
  times.sort((x, y) => x - y)
  let next = 0
  if (process.env.BENCH_DEBUG) {
    const t = setInterval(() => process.stderr.write(`    ${target.name} burst ${next}\n`), 2000)
    t.unref()
  }
  const burstStart = performance.now()
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next++ < BURST) await target.call()
    }),
  )
  const burst = performance.now() - burstStart
  return {
    p50: percentile(times, 50),
    p99: percentile(times, 99),
    rps1: (CALLS / sequential) * 1000,
    rps64: (BURST / burst) * 1000,
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

function table(targets: Target[], results: Map<string, Measurement>): string {
  const mesh = results.get('mesh')!
  const rows = targets.map((t) => {
    const m = results.get(t.name)!
    return [
      t.label,
      m.p50.toFixed(3),
      m.p99.toFixed(3),
      Math.round(m.rps1).toString(),
      Math.round(m.rps64).toString(),
      `${(m.p50 / mesh.p50).toFixed(2)}×`,
      `${(m.rps64 / mesh.rps64).toFixed(2)}×`,
    ]
  })
  const header = [
    'path',
    'p50 ms',
    'p99 ms',
    'calls/s (1)',
    'calls/s (64)',
    'p50 ÷ mesh',
    'calls/s (64) ÷ mesh',
  ]
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n')
}

async function main(): Promise<void> {
  const jsonOut =
    process.argv.indexOf('--json') >= 0 ? process.argv[process.argv.indexOf('--json') + 1] : undefined
  const local = await createNode({ listen: ['/ip4/127.0.0.1/tcp/0'], logLevel: 'silent', demoTools: false })
  const gateway = new Gateway(local, { maxTools: 1000 }, local.log)
  await local.start()
  const [mesh, raw, bridged] = await meshAndRaw(local)
  const only = process.env.BENCH_PATHS?.split(',')
  const all = [mesh!, raw!, await http(), await stdio(), bridged!, await gatewayPath(local, gateway)]
  const targets = only != null ? all.filter((t) => only.includes(t.name)) : all
  const rounds = new Map<string, Measurement[]>(targets.map((t) => [t.name, []]))
  console.log(
    `node ${process.version}; ${CALLS} sequential calls and ${BURST} calls at ${IN_FLIGHT} in flight per path and round; ${ROUNDS} rounds, interleaved\n`,
  )
  for (let round = 1; round <= ROUNDS; round++) {
    for (const target of targets) {
      rounds.get(target.name)!.push(await measure(target))
      process.stderr.write(`  round ${round}: ${target.name} done\n`)
    }
    process.stderr.write(`round ${round}/${ROUNDS} done\n`)
  }
  const results = new Map<string, Measurement>()
  for (const [name, ms] of rounds) {
    results.set(name, {
      p50: median(ms.map((m) => m.p50)),
      p99: median(ms.map((m) => m.p99)),
      rps1: median(ms.map((m) => m.rps1)),
      rps64: median(ms.map((m) => m.rps64)),
    })
  }
  console.log(table(targets, results))
  const meshResult = results.get('mesh')!
  const rawResult = results.get('raw')!
  const bridgedResult = results.get('bridged')!
  const stdioResult = results.get('stdio')!
  const httpResult = results.get('http')!
  const checks = [
    [`mesh p50 ≤ 2× raw floor p50`, meshResult.p50 / rawResult.p50, meshResult.p50 <= 2 * rawResult.p50],
    [
      `mesh p50 ≤ 0.3× Streamable HTTP p50`,
      meshResult.p50 / httpResult.p50,
      meshResult.p50 <= 0.3 * httpResult.p50,
    ],
    [
      `mesh calls/s at 64 in flight ≥ 0.5× raw floor`,
      meshResult.rps64 / rawResult.rps64,
      meshResult.rps64 >= 0.5 * rawResult.rps64,
    ],
  ] as const
  console.log('\ntargets:')
  for (const [what, ratio, ok] of checks)
    console.log(`  ${ok ? 'PASS' : 'MISS'}  ${what}  (ratio ${ratio.toFixed(2)})`)
  const floor = rawResult.p50 / httpResult.p50
  console.log(
    `  info  raw floor p50 ÷ Streamable HTTP p50 = ${floor.toFixed(2)} (no path on this stack beats the floor)`,
  )
  const bridgeP50 = bridgedResult.p50 / stdioResult.p50
  const bridgeRps = bridgedResult.rps64 / stdioResult.rps64
  console.log(
    `  info  remote call to a bridged stdio server ÷ direct stdio call: p50 ${bridgeP50.toFixed(2)}×, calls/s (64) ${bridgeRps.toFixed(2)}×`,
  )
  const gatewayResult = results.get('gateway')!
  console.log(
    `  info  MCP client → gateway → mesh → bridged stdio server ÷ direct stdio call: p50 ${(gatewayResult.p50 / stdioResult.p50).toFixed(2)}×, calls/s (64) ${(gatewayResult.rps64 / stdioResult.rps64).toFixed(2)}×`,
  )
  console.log(
    `  info  the same through the gateway ÷ Streamable HTTP straight to an MCP server: p50 ${(gatewayResult.p50 / httpResult.p50).toFixed(2)}×`,
  )
  if (jsonOut != null) {
    writeFileSync(
      jsonOut,
      `${JSON.stringify({ node: process.version, calls: CALLS, burst: BURST, rounds: ROUNDS, results: Object.fromEntries(results), rawRounds: Object.fromEntries(rounds) }, null, 2)}\n`,
    )
  }
  for (const target of targets) await target.close()
  await gateway.close()
  await local.stop()
  cleanup()
  if (process.env.BENCH_RELAY !== '0') {
    const relay = await relayBench()
    if (jsonOut != null) {
      const written = JSON.parse(readFileSync(jsonOut, 'utf8')) as Record<string, unknown>
      writeFileSync(jsonOut, `${JSON.stringify({ ...written, relay }, null, 2)}\n`)
    }
  }
  if (process.env.BENCH_MESH_SIZES !== '') {
    const sizes = (process.env.BENCH_MESH_SIZES ?? '10,25,50').split(',').map(Number)
    const rows = await discoveryBench(sizes)
    if (jsonOut != null) {
      const written = JSON.parse(readFileSync(jsonOut, 'utf8')) as Record<string, unknown>
      writeFileSync(jsonOut, `${JSON.stringify({ ...written, discovery: rows }, null, 2)}\n`)
    }
  }
}

await main()
process.exit(0)
