/**
 * Section `calls`: an echo call with a 100-byte text, three ways, side by side in one run:
 *   mesh  — Cord: a node made with createNode() in this process (bootstrapped to the daemon, every
 *           other option at its default) calls the `echo` demo tool of a daemon started by
 *           `cord start` (default config and log level, rate limit lifted in its config.toml);
 *   floor — a raw echo between two plain libp2p hosts (TCP+Noise+Yamux), the serving one in its own
 *           process (floor.ts);
 *   http  — the MCP SDK Client → an MCP SDK Server over Streamable HTTP in its own process.
 * Goals, as ratios: mesh p50 ≤ 1.5× the floor and ≤ 0.3× HTTP; mesh calls/s at 64 in flight ≥ 0.8×
 * the floor's.
 */
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
import { repo, startChild, stopChild } from './procs.ts'
import type { Check, Section, SectionResult } from './section.ts'

/** The text every call sends and gets back. */
export const TEXT = 'x'.repeat(100)

async function meshTarget(daemon: Daemon): Promise<Target> {
  const node = await createNode({ listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [daemon.addr] })
  await node.start()
  await node.waitForPeers(1)
  return {
    name: 'mesh',
    label: 'mesh: createNode() → daemon (`cord start`), /cord/mcp/1.0.0',
    call: () => node.callTool(daemon.peerId, 'echo', { text: TEXT }),
    close: () => node.stop(),
  }
}

/** An MCP SDK client of the SDK echo server over Streamable HTTP, in its own process. */
export async function httpTarget(): Promise<Target> {
  const { proc, lines } = await startChild(['--import', 'tsx', repo('scripts/bench/mcp-server.ts'), 'http'], {
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
  }
}

async function run(): Promise<SectionResult> {
  const daemon = await startDaemon(LIFTED_LIMITS)
  const targets: Target[] = []
  try {
    targets.push(await meshTarget(daemon))
    targets.push(await floorTarget(new TextEncoder().encode(JSON.stringify({ text: TEXT }))))
    targets.push(await httpTarget())
    const measured = await interleaved(targets, { section: 'calls' })
    const { rounds } = measured
    const ratio = (a: string, b: string, pick: 'p50' | 'rps64'): number =>
      roundRatio(rounds, a, b, (m) => m[pick])
    const checks: Check[] = [
      { what: 'mesh p50 ÷ floor p50', ratio: ratio('mesh', 'floor', 'p50'), bound: 'max', goal: 1.5 },
      { what: 'mesh p50 ÷ HTTP p50', ratio: ratio('mesh', 'http', 'p50'), bound: 'max', goal: 0.3 },
      {
        what: `mesh calls/s ÷ floor calls/s, ${IN_FLIGHT} in flight`,
        ratio: ratio('mesh', 'floor', 'rps64'),
        bound: 'min',
        goal: 0.8,
      },
    ]
    return {
      title: `calls: echo of a 100-byte text; ${CALLS} sequential calls and ${BURST} at ${IN_FLIGHT} in flight per path and round, ${ROUNDS} rounds interleaved; figures are medians over rounds, ratios medians of the per-round ratios (node ${process.version})`,
      ...latencyRows(targets, measured, 'floor'),
      checks,
      notes: [
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
    await daemon.stop()
  }
}

const section: Section = {
  name: 'calls',
  describe: 'mesh call to a `cord start` daemon vs a raw libp2p echo (floor) and the MCP SDK over HTTP',
  run,
}
export default section
