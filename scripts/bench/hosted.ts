/**
 * Section `hosted`: a call to an MCP server that a Cord node hosts, three ways, side by side:
 *   stdio   — the MCP SDK Client → the SDK echo server as a stdio child (no Cord): the baseline;
 *   bridged — a node made with createNode() in this process → a daemon (`cord start`) that hosts that
 *             same stdio server (`[[servers]]` in its config.toml) → the server;
 *   gateway — the MCP SDK Client → the MCP gateway (Streamable HTTP) of a second daemon, the caller's
 *             own, bootstrapped to the first → the mesh → the hosted server.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { createNode } from '../../dist/index.js'
import { TEXT } from './calls.ts'
import { type Daemon, LIFTED_LIMITS, startDaemon } from './daemon.ts'
import { BURST, CALLS, IN_FLIGHT, interleaved, latencyRows, ROUNDS, type Target } from './measure.ts'
import { repo } from './procs.ts'
import type { Section, SectionResult } from './section.ts'

/** A quarter of the calls section's sizes, 3 rounds: the gateway path is slow, and this section is for information. */
const SIZES = { calls: Math.ceil(CALLS / 4), burst: Math.ceil(BURST / 4), rounds: Math.min(ROUNDS, 3) }

const ECHO_SERVER = ['--import', 'tsx', repo('scripts/bench/mcp-server.ts'), 'stdio']

/** config.toml of the serving daemon: the limits lifted, and the SDK echo server hosted as `bench`. */
const SERVING_CONFIG = `${LIFTED_LIMITS}
[[servers]]
name = "bench"
command = ${JSON.stringify(process.execPath)}
args = ${JSON.stringify(ECHO_SERVER)}
cwd = ${JSON.stringify(repo('.'))}
`

async function stdioTarget(): Promise<Target> {
  const client = new Client({ name: 'bench', version: '1' })
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: ECHO_SERVER,
      env: { PATH: process.env.PATH ?? '' },
      cwd: repo('.'),
    }),
  )
  return {
    name: 'stdio',
    label: 'MCP SDK Client → SDK Server, stdio child',
    call: () => client.callTool({ name: 'echo', arguments: { text: TEXT } }),
    close: () => client.close(),
  }
}

async function bridgedTarget(serving: Daemon): Promise<Target> {
  const node = await createNode({ listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [serving.addr] })
  await node.start()
  await node.waitForPeers(1)
  return {
    name: 'bridged',
    label: 'createNode() → daemon → its hosted stdio server',
    call: () => node.callTool(serving.peerId, 'bench__echo', { text: TEXT }),
    close: () => node.stop(),
    ...(serving.proc.pid != null ? { servingPid: serving.proc.pid } : {}),
  }
}

async function gatewayTarget(caller: Daemon): Promise<Target> {
  const client = new Client({ name: 'bench', version: '1' })
  await client.connect(new StreamableHTTPClientTransport(new URL(caller.gatewayUrl)))
  // The gateway shows the tool once the caller daemon has pulled the serving daemon's catalog.
  const deadline = Date.now() + 60_000
  let name: string | undefined
  while (name == null) {
    name = (await client.listTools()).tools.find((t) => t.name.startsWith('bench__echo'))?.name
    if (name != null) break
    if (Date.now() > deadline) throw new Error('the gateway never showed bench__echo')
    await new Promise((r) => setTimeout(r, 200))
  }
  const tool = name
  return {
    name: 'gateway',
    label: 'MCP SDK Client → daemon gateway (HTTP) → mesh → daemon → stdio server',
    call: () => client.callTool({ name: tool, arguments: { text: TEXT } }),
    close: () => client.close(),
  }
}

async function run(): Promise<SectionResult> {
  const serving = await startDaemon(SERVING_CONFIG)
  const daemons = [serving]
  const targets: Target[] = []
  try {
    daemons.push(await startDaemon('', ['--bootstrap', serving.addr]))
    targets.push(await stdioTarget())
    targets.push(await bridgedTarget(serving))
    targets.push(await gatewayTarget(daemons[1]!))
    const measured = await interleaved(targets, { section: 'hosted', ...SIZES })
    return {
      title: `hosted: echo of a 100-byte text by an MCP server over stdio; ${SIZES.calls} sequential calls and ${SIZES.burst} at ${IN_FLIGHT} in flight per path and round, ${SIZES.rounds} rounds interleaved`,
      ...latencyRows(targets, measured, 'stdio'),
      json: { results: Object.fromEntries(measured.results), rounds: Object.fromEntries(measured.rounds) },
    }
  } finally {
    for (const t of targets) await t.close().catch(() => {})
    for (const d of daemons.reverse()) await d.stop()
  }
}

const section: Section = {
  name: 'hosted',
  describe: 'calls to a hosted stdio MCP server: direct, through the mesh, through a gateway and the mesh',
  run,
}
export default section
