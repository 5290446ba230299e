/**
 * `npm run conformance`: the server scenarios of the MCP conformance suite
 * (@modelcontextprotocol/conformance, `--suite all`), run twice against the suite's reference server
 * (test/fixtures/conformance-server.mjs, Streamable HTTP):
 *
 *   direct   the conformance client → the reference server
 *   gateway  the conformance client → (name proxy) → node B's MCP gateway → the mesh →
 *            node A, which hosts the reference server as `[[servers]] name = "conformance"` (url)
 *
 * The name proxy (scripts/conformance/name-proxy.ts) maps `conformance__<name>` back to the suite's
 * names and sends the gateway's token, as a configured client would. Every scenario that passes
 * directly must pass through the mesh: the script prints both results side by side and exits 1 when
 * one does not. CONFORMANCE_SCENARIO=<name> runs one scenario; CONFORMANCE_VERBOSE=1 prints the
 * suite's output.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { pino } from 'pino'
import { parseConfig } from '../src/config/load.ts'
import { startDaemon } from '../src/control/daemon.ts'
import { createNode } from '../src/index.ts'
import { NameProxy } from './conformance/name-proxy.ts'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const SUITE = join(ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js')
const FIXTURE = join(ROOT, 'test/fixtures/conformance-server.mjs')
const SERVER = 'conformance'

/** One scenario's result, as the suite counts it. */
export interface ScenarioResult {
  passed: number
  failed: number
  warnings: number
  /** The suite's verdict: no failure and no warning. */
  ok: boolean
}

/** Both runs, by scenario. */
export interface ConformanceReport {
  direct: Map<string, ScenarioResult>
  gateway: Map<string, ScenarioResult>
  /** Scenarios that pass directly but not through the mesh. */
  regressions: string[]
  /** The suite's output of each run. */
  output: { direct: string; gateway: string }
}

/** The per-scenario lines of the suite's summary. */
export function parseSummary(output: string): Map<string, ScenarioResult> {
  const results = new Map<string, ScenarioResult>()
  const line = /^([✓✗]) (\S+): (\d+) passed, (\d+) failed(?:, (\d+) warnings)?$/gm
  for (const m of output.matchAll(line)) {
    const [, mark, name, passed, failed, warnings] = m
    results.set(name!, {
      passed: Number(passed),
      failed: Number(failed),
      warnings: Number(warnings ?? 0),
      ok: mark === '✓',
    })
  }
  return results
}

/** Runs the suite's server scenarios against `url`; its output. */
function runSuite(url: URL, scenario: string | undefined): Promise<string> {
  const args = [
    SUITE,
    'server',
    '--url',
    url.toString(),
    ...(scenario != null ? ['--scenario', scenario] : ['--suite', 'all']),
  ]
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 300_000, maxBuffer: 64 << 20 }, (_err, stdout, stderr) =>
      resolve(`${stdout}\n${stderr}`),
    )
  })
}

/** Starts the reference server on a free port; its child process and MCP endpoint. */
async function startFixture(): Promise<{ child: ChildProcess; url: URL }> {
  const child = spawn(process.execPath, [FIXTURE], {
    env: { ...process.env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const url = await new Promise<URL>((resolve, reject) => {
    let out = ''
    child.stdout?.setEncoding('utf8')
    child.stdout?.on('data', (text: string) => {
      out += text
      const found = /MCP endpoint: (\S+)/.exec(out)
      if (found != null) resolve(new URL(found[1]!))
    })
    child.once('exit', (code) =>
      reject(new Error(`the reference server exited (${code}) before listening: ${out}`)),
    )
  })
  child.stdout?.resume()
  child.stderr?.resume()
  return { child, url }
}

/** Starts both nodes and the proxy, runs the suite both ways, stops everything. */
export async function runConformance(options: { scenario?: string } = {}): Promise<ConformanceReport> {
  const log = pino({ level: process.env.CORD_LOG_LEVEL ?? 'silent' })
  const dir = await mkdtemp(join(tmpdir(), 'cord-conformance-'))
  const fixture = await startFixture()
  const stops: Array<() => Promise<unknown>> = []
  try {
    // Node A hosts the reference server; node B's gateway is the one tested.
    const host = await createNode({
      alias: 'host',
      listen: ['/ip4/127.0.0.1/tcp/0'],
      demoTools: false,
      logger: log,
      discovery: { heartbeatIntervalMs: 200 },
      servers: [{ name: SERVER, url: fixture.url.toString() }],
    })
    await host.start()
    stops.push(() => host.stop())
    const daemon = await startDaemon({
      dir: join(dir, 'gateway'),
      node: {
        alias: 'gateway',
        listen: ['/ip4/127.0.0.1/tcp/0'],
        demoTools: false,
        bootstrap: [host.multiaddrs[0]!],
        discovery: { heartbeatIntervalMs: 200 },
      },
      controlListen: '127.0.0.1:0',
      gateway: parseConfig('', 'none').gateway,
      log,
    })
    stops.unshift(() => daemon.stop())
    const deadline = Date.now() + 30_000
    while (!daemon.node.catalog().some((t) => t.name === `${SERVER}__test_simple_text`)) {
      if (Date.now() > deadline) throw new Error('the gateway node never saw the reference server’s tools')
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    const proxy = new NameProxy({
      target: new URL(daemon.gatewayUrl!),
      prefix: `${SERVER}__`,
      ...(daemon.gatewayToken != null ? { token: daemon.gatewayToken } : {}),
    })
    const proxyUrl = await proxy.start()
    stops.unshift(() => proxy.stop())

    const direct = await runSuite(fixture.url, options.scenario)
    const gateway = await runSuite(proxyUrl, options.scenario)
    const report = { direct: parseSummary(direct), gateway: parseSummary(gateway) }
    const regressions = [...report.direct]
      .filter(([name, r]) => r.ok && report.gateway.get(name)?.ok !== true)
      .map(([name]) => name)
    return { ...report, regressions, output: { direct, gateway } }
  } finally {
    for (const stop of stops) await stop().catch(() => {})
    fixture.child.kill()
    await rm(dir, { recursive: true, force: true })
  }
}

/** The two runs side by side. */
export function formatReport(report: ConformanceReport): string {
  const cell = (r: ScenarioResult | undefined): string =>
    r == null
      ? 'not run'
      : `${r.ok ? 'pass' : 'FAIL'} (${r.passed}/${r.failed}${r.warnings > 0 ? `/${r.warnings}w` : ''})`
  const names = [...new Set([...report.direct.keys(), ...report.gateway.keys()])]
  const width = Math.max(...names.map((n) => n.length), 8)
  const lines = [`${'scenario'.padEnd(width)}  ${'direct'.padEnd(16)}  through the gateway`]
  for (const name of names)
    lines.push(
      `${name.padEnd(width)}  ${cell(report.direct.get(name)).padEnd(16)}  ${cell(report.gateway.get(name))}`,
    )
  const count = (m: Map<string, ScenarioResult>): string => {
    const ok = [...m.values()].filter((r) => r.ok).length
    const checks = [...m.values()].reduce((a, r) => a + r.passed, 0)
    return `${ok}/${m.size} scenarios (${checks} checks passed)`
  }
  lines.push(
    '',
    `direct:              ${count(report.direct)}`,
    `through the gateway: ${count(report.gateway)}`,
  )
  lines.push(
    report.regressions.length === 0
      ? 'every scenario that passes directly passes through the mesh'
      : `pass directly but not through the mesh: ${report.regressions.join(', ')}`,
  )
  return lines.join('\n')
}

if (process.argv[1] != null && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = Date.now()
  const report = await runConformance({ scenario: process.env.CONFORMANCE_SCENARIO })
  if (process.env.CONFORMANCE_VERBOSE === '1')
    process.stdout.write(
      `--- direct ---\n${report.output.direct}\n--- gateway ---\n${report.output.gateway}\n`,
    )
  process.stdout.write(`${formatReport(report)}\n(${((Date.now() - started) / 1000).toFixed(1)} s)\n`)
  process.exitCode = report.regressions.length === 0 && report.direct.size > 0 ? 0 : 1
}
