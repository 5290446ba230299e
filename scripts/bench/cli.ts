/**
 * CLI start-up: how long a command that talks to a running daemon takes, from spawn to exit, next
 * to `node -e 0` (the floor: starting Node itself) on the same machine, interleaved round by round.
 * The daemon is started by `cord start` with the default config.
 *
 * BENCH_CLI_ROUNDS (default 30): runs of each command.
 */
import { execFile } from 'node:child_process'
import { startDaemon } from './daemon.ts'
import { repo } from './procs.ts'
import { progress, type Section } from './section.ts'

const ROUNDS = Number(process.env.BENCH_CLI_ROUNDS ?? 30)

/** Milliseconds from spawning `node ARGS` to its exit; rejects when it exits non-zero. */
function timed(args: string[]): Promise<number> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: 30_000 }, (err, _out, stderr) => {
      if (err != null) reject(new Error(`node ${args.join(' ')} failed: ${stderr || err.message}`))
      else resolve(performance.now() - started)
    })
  })
}

const percentile = (xs: number[], p: number): number => {
  const sorted = [...xs].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!
}

const section: Section = {
  name: 'cli',
  describe: 'CLI start-up: cord commands against a running daemon, next to node -e 0',
  run: async () => {
    const daemon = await startDaemon('')
    const cli = repo('dist/cli/main.js')
    const commands: Array<[string, string[]]> = [
      ['node -e 0 (floor)', ['-e', '0']],
      ['cord --help', [cli, '--help']],
      ['cord id --json', [cli, 'id', '--dir', daemon.dir, '--json']],
      ['cord peers', [cli, 'peers', '--dir', daemon.dir]],
      ['cord call echo', [cli, 'call', '--dir', daemon.dir, daemon.peerId, 'echo', '{"text":"hi"}']],
    ]
    const times = commands.map((): number[] => [])
    try {
      for (let round = 0; round < ROUNDS; round++) {
        if (round % 10 === 0) progress(`cli: round ${round + 1} of ${ROUNDS}`)
        for (const [i, [, args]] of commands.entries()) times[i]!.push(await timed(args))
      }
    } finally {
      await daemon.stop()
    }
    const floor = percentile(times[0]!, 50)
    const rows = commands.map(([name], i) => {
      const p50 = percentile(times[i]!, 50)
      return [name, p50.toFixed(0), percentile(times[i]!, 90).toFixed(0), `${(p50 / floor).toFixed(2)}×`]
    })
    const id = percentile(times[2]!, 50) / floor
    return {
      title: `CLI start-up, spawn to exit, ${ROUNDS} interleaved rounds, against a daemon started by cord start`,
      header: ['command', 'p50 ms', 'p90 ms', 'p50 / node -e 0'],
      rows,
      checks: [{ what: 'cord id --json p50 / node -e 0 p50', ratio: id, bound: 'max', goal: 3 }],
      json: Object.fromEntries(commands.map(([name], i) => [name, times[i]])),
    }
  },
}

export default section
