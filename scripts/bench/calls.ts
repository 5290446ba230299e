/**
 * Section `calls`: an echo call with a 100-byte text, three ways, side by side in one run:
 *   mesh  — Cord: a node made with createNode() in this process (bootstrapped to the daemon, every
 *           other option at its default) calls the `echo` demo tool of a daemon started by
 *           `cord start` (default config and log level, rate limit lifted in its config.toml);
 *   floor — a raw echo between two plain libp2p hosts (TCP+Noise+Yamux), the serving one in its own
 *           process (floor.ts);
 *   http  — the MCP SDK Client → an MCP SDK Server over Streamable HTTP in its own process.
 * Goals, as ratios: mesh p50 ≤ 1.5× the floor and ≤ 0.3× HTTP; mesh calls/s at 64 in flight ≥ 0.8×
 * the floor's. BENCH_PATHS=mesh,floor,http picks paths (all by default); BENCH_TRACING=1 adds
 * `traced`, the mesh path with both ends tracing (`[tracing] otlp_endpoint`) to a local OTLP sink.
 */

import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { createNode } from '../../dist/index.js'
import { type Daemon, LIFTED_LIMITS, startDaemon } from './daemon.ts'
import { floorTarget } from './floor.ts'
import {
  BURST,
  CALLS,
  IN_FLIGHT,
  interleaved,
  latencyRows,
  ROUNDS,
  roundRatio,
  type Target,
} from './measure.ts'
import { type OtlpSink, otlpSink } from './otlp-sink.ts'
import { PROFILE_ARGS, repo, startChild, stopChild } from './procs.ts'
import type { Check, Section, SectionResult } from './section.ts'

/** The text every call sends and gets back. */
export const TEXT = 'x'.repeat(100)

const LABELS: Record<string, string> = {
  mesh: 'mesh: createNode() → daemon (`cord start`), /cord/mcp/1.0.0',
  traced: 'traced: the same, both ends tracing to an OTLP/HTTP sink',
}

async function meshTarget(
  daemon: Daemon,
  create = createNode,
  name = 'mesh',
  tracing?: { otlpEndpoint: string },
): Promise<Target> {
  const node = await create({
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [daemon.addr],
    ...(tracing != null ? { tracing } : {}),
  })
  await node.start()
  await node.waitForPeers(1)
  return {
    name,
    label: LABELS[name] ?? `${name}: the same, built from ${BASELINE}`,
    call: () => node.callTool(daemon.peerId, 'echo', { text: TEXT }),
    close: () => node.stop(),
    ...(daemon.proc.pid != null ? { servingPid: daemon.proc.pid } : {}),
  }
}

/** An MCP SDK client of the SDK echo server over Streamable HTTP, in its own process. */
export async function httpTarget(): Promise<Target> {
  const args = [...PROFILE_ARGS, '--import', 'tsx', repo('scripts/bench/mcp-server.ts'), 'http']
  const { proc, lines } = await startChild(args, {
    stream: 'stderr',
    ready: (line) => line.startsWith('ready '),
  })
  const port = Number(lines.at(-1)!.split(' ')[1])
  const client = new Client({ name: 'bench', version: '1' })
  await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)))
  return {
    name: 'http',
    label: 'MCP SDK Client → SDK Server, Streamable HTTP, own process',
    call: () => client.callTool({ name: 'echo', arguments: { text: TEXT } }),
    close: async () => {
      await client.close()
      await stopChild(proc)
    },
    ...(proc.pid != null ? { servingPid: proc.pid } : {}),
  }
}

/**
 * BENCH_BASELINE=<checkout>: also the mesh path with the daemon and createNode() of another checkout's
 * build (`npm run build` there), as `baseline`: a change's effect, side by side in one run.
 */
const BASELINE = process.env.BENCH_BASELINE

/** BENCH_PATHS=mesh,floor,http measures only those (to profile one path, say). */
const wanted = (path: string): boolean => process.env.BENCH_PATHS?.split(',').includes(path) ?? true

/** BENCH_TRACING=1 adds `traced`: the mesh path with tracing on at both ends (see otlp-sink.ts). */
const TRACING = process.env.BENCH_TRACING != null

async function run(): Promise<SectionResult> {
  const daemon = await startDaemon(LIFTED_LIMITS)
  const daemons = [daemon]
  const targets: Target[] = []
  let sink: OtlpSink | undefined
  try {
    if (BASELINE != null) {
      const other = await startDaemon(LIFTED_LIMITS, [], BASELINE)
      daemons.push(other)
      const lib = (await import(join(BASELINE, 'dist/index.js'))) as { createNode: typeof createNode }
      targets.push(await meshTarget(other, lib.createNode, 'baseline'))
    }
    if (wanted('mesh')) targets.push(await meshTarget(daemon))
    if (TRACING) {
      sink = await otlpSink()
      const tracing = `[tracing]\notlp_endpoint = "${sink.url}"\n`
      const traced = await startDaemon(`${LIFTED_LIMITS}${tracing}`)
      daemons.push(traced)
      targets.push(await meshTarget(traced, createNode, 'traced', { otlpEndpoint: sink.url }))
    }
    if (wanted('floor'))
      targets.push(await floorTarget(new TextEncoder().encode(JSON.stringify({ text: TEXT }))))
    if (wanted('http')) targets.push(await httpTarget())
    const measured = await interleaved(targets, { section: 'calls' })
    const { rounds } = measured
    const ratio = (a: string, b: string, pick: 'p50' | 'rps64'): number =>
      rounds.has(a) && rounds.has(b) ? roundRatio(rounds, a, b, (m) => m[pick]) : Number.NaN
    const goals: Check[] = [
      { what: 'mesh p50 ÷ floor p50', ratio: ratio('mesh', 'floor', 'p50'), bound: 'max', goal: 1.5 },
      { what: 'mesh p50 ÷ HTTP p50', ratio: ratio('mesh', 'http', 'p50'), bound: 'max', goal: 0.3 },
      {
        what: `mesh calls/s ÷ floor calls/s, ${IN_FLIGHT} in flight`,
        ratio: ratio('mesh', 'floor', 'rps64'),
        bound: 'min',
        goal: 0.8,
      },
    ]
    const checks = goals.filter((c) => !Number.isNaN(c.ratio))
    // The traced nodes send what their batches still hold when they stop.
    for (const t of targets.filter((t) => t.name === 'traced')) await t.close()
    const spansSent = sink != null ? await sink.spans() : 0
    return {
      title: `calls: echo of a 100-byte text; ${CALLS} sequential calls and ${BURST} at ${IN_FLIGHT} in flight per path and round, ${ROUNDS} rounds interleaved; figures are medians over rounds, ratios medians of the per-round ratios (node ${process.version})`,
      ...latencyRows(targets, measured, targets.some((t) => t.name === 'floor') ? 'floor' : targets[0]!.name),
      checks,
      notes: [
        ...(sink != null
          ? [
              `traced ÷ mesh: p50 ${ratio('traced', 'mesh', 'p50').toFixed(2)}×, calls/s at ${IN_FLIGHT} in flight ${ratio('traced', 'mesh', 'rps64').toFixed(2)}×; the OTLP sink got ${spansSent} spans`,
            ]
          : []),
        ...(BASELINE != null
          ? [
              `mesh ÷ baseline: p50 ${ratio('mesh', 'baseline', 'p50').toFixed(2)}×, calls/s at ${IN_FLIGHT} in flight ${ratio('mesh', 'baseline', 'rps64').toFixed(2)}×`,
            ]
          : []),
        `floor p50 ÷ HTTP p50: ${ratio('floor', 'http', 'p50').toFixed(2)}× (no path on this stack beats the floor)`,
      ],
      json: {
        results: Object.fromEntries(measured.results),
        rounds: Object.fromEntries(rounds),
        checks,
      },
    }
  } finally {
    for (const t of targets) await t.close().catch(() => {})
    for (const d of daemons) await d.stop()
    await sink?.close()
  }
}

const section: Section = {
  name: 'calls',
  describe: 'mesh call to a `cord start` daemon vs a raw libp2p echo (floor) and the MCP SDK over HTTP',
  run,
}
export default section
