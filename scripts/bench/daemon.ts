/**
 * A Cord daemon as a user starts it: `node dist/cli/main.js start --dir <tmp> --listen
 * /ip4/127.0.0.1/tcp/0`, with the default config and log level. The only lines written to its
 * config.toml are the ones a section asks for (the benchmark lifts the per-peer rate limit there:
 * 1,000 calls/s by default, and a run makes more).
 *
 * BENCH_SERVING_PROF=<dir>: the daemon runs under `node --cpu-prof` (see procs.ts).
 */
import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PROFILE_ARGS, repo, startChild, stopChild } from './procs.ts'

/** config.toml lines that lift the limits on incoming calls (everything else stays default). */
export const LIFTED_LIMITS = `[limits]
rate_per_sec = 1000000000
burst = 1000000000
`

/** A running daemon. */
export interface Daemon {
  proc: ChildProcess
  peerId: string
  /** Its listen address, with /p2p/<peer ID>. */
  addr: string
  /** Its MCP gateway (Streamable HTTP). */
  gatewayUrl: string
  dir: string
  stop: () => Promise<void>
}

/**
 * Starts a daemon with `config` as its config.toml and `flags` after the default ones; `checkout` is
 * the checkout whose build runs (this one by default).
 */
export async function startDaemon(
  config: string,
  flags: string[] = [],
  checkout = repo('.'),
): Promise<Daemon> {
  const dir = await mkdtemp(join(tmpdir(), 'cord-bench-'))
  await writeFile(join(dir, 'config.toml'), config)
  const { proc, lines } = await startChild(
    [join(checkout, 'dist/cli/main.js'), 'start', '--dir', dir, '--listen', '/ip4/127.0.0.1/tcp/0', ...flags],
    {
      ready: (line) => line.startsWith('Press Ctrl+C'),
      execArgv: PROFILE_ARGS,
    },
  )
  // The lines `cord start` prints: "peer ID  …", "listen   …", "gateway  <url> (…)".
  const field = (name: string): string => {
    const line = lines.find((l) => l.startsWith(name))
    if (line == null) throw new Error(`cord start printed no "${name}" line:\n${lines.join('\n')}`)
    return line.slice(name.length).trim().split(' ')[0]!
  }
  return {
    proc,
    peerId: field('peer ID'),
    addr: field('listen'),
    gatewayUrl: field('gateway'),
    dir,
    stop: async () => {
      await stopChild(proc)
      await rm(dir, { recursive: true, force: true })
    },
  }
}
