/**
 * `npm run bench`: runs the benchmark's sections one after another and prints each as a Markdown
 * table, with its goals (ratios measured side by side in the same run) and notes.
 *
 * Sections (scripts/bench/<name>.ts, each a default-exported `Section`):
 *   calls     — a mesh call to a daemon started by `cord start` next to a raw libp2p echo (the floor)
 *               and the MCP SDK over Streamable HTTP;
 *   hosted    — calls to a hosted stdio MCP server: direct, bridged through the mesh, through a gateway;
 *   discovery — meshes of 10, 50 and 100 nodes, every node with the defaults of `cord start` and
 *               bootstrapping to the first: joining, failed pulls, CPU and memory at rest, traffic;
 *   cli       — start-up of CLI commands against a running daemon, next to `node -e 0`;
 *   topics    — topic messages across three nodes: rate and publish-to-delivery latency;
 *   relay     — calls over a relayed connection, after the upgrade to direct, and over direct TCP;
 *   churn     — calls by tool name over 20 providers while provider processes are killed and replaced.
 * To add one: write scripts/bench/<name>.ts and add it to SECTIONS below.
 *
 * Environment: BENCH_SECTIONS=calls,hosted,… or `all` (default: all of them; a few minutes, and the
 * discovery section up to about 15 more), and each section's own (see its file);
 * `--json FILE` also writes every section's figures as JSON.
 */
import { writeFileSync } from 'node:fs'
import { progress, render, type Section } from './bench/section.ts'

const SECTIONS: Record<string, () => Promise<{ default: Section }>> = {
  calls: () => import('./bench/calls.ts'),
  hosted: () => import('./bench/hosted.ts'),
  discovery: () => import('./bench/discovery.ts'),
  cli: () => import('./bench/cli.ts'),
  topics: () => import('./bench/topics.ts'),
  relay: () => import('./bench/relay-section.ts'),
  churn: () => import('./bench/churn.ts'),
}

/** What `npm run bench` runs without BENCH_SECTIONS: every section, discovery last (the longest). */
const DEFAULT_SECTIONS = ['cli', 'calls', 'hosted', 'topics', 'relay', 'churn', 'discovery']

async function main(): Promise<number> {
  const argv = process.argv.slice(2)
  const at = argv.indexOf('--json')
  const jsonOut = at >= 0 ? argv[at + 1] : undefined
  const asked = process.env.BENCH_SECTIONS
  const names =
    asked === 'all' ? Object.keys(SECTIONS) : (asked?.split(',').filter(Boolean) ?? DEFAULT_SECTIONS)
  const unknown = names.filter((n) => SECTIONS[n] == null)
  if (unknown.length > 0) {
    process.stderr.write(
      `unknown bench section ${unknown.join(', ')}: expected some of ${Object.keys(SECTIONS).join(', ')}\n`,
    )
    return 2
  }
  const json: Record<string, unknown> = {
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
  }
  for (const name of names) {
    const section = (await SECTIONS[name]!()).default
    progress(`${name}: ${section.describe}`)
    const started = performance.now()
    const result = await section.run()
    progress(`${name}: done in ${((performance.now() - started) / 1000).toFixed(0)} s`)
    console.log(`${render(result)}\n`)
    json[name] = result.json ?? { header: result.header, rows: result.rows }
    if (jsonOut != null) writeFileSync(jsonOut, `${JSON.stringify(json, null, 2)}\n`)
  }
  return 0
}

process.exit(await main())
