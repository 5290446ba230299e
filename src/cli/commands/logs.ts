/**
 * `cord logs`: the daemon's log files (`<dir>/logs/`), oldest first, as readable lines; `--follow`
 * keeps reading as the daemon writes, across rotations. It reads the files itself, so it works
 * whether the daemon runs or not, and loads nothing of pino or libp2p.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import { NoLogsError } from '../../errors.ts'
import { LogReader, logDir, logFileNumbers } from '../../log/files.ts'
import { atLeast, formatLine, LEVEL_NUMBERS, parseRecord } from '../../log/format.ts'
import { defaultDataDir } from '../../node/data-dir.ts'
import { EXIT } from '../exit-codes.ts'
import type { Output } from '../output.ts'

/** Options of `cord logs`. */
export interface LogsOptions {
  dir?: string
  follow?: boolean
  /** Only lines at this level or above. */
  level?: string
  /** Only the last this many lines (of those that pass `level`). */
  lines?: number
  json?: boolean
}

/** How often `--follow` looks for new lines. */
const FOLLOW_POLL_MS = 200

/** Prints the log; with `--follow`, resolves on Ctrl+C. */
export async function logsCommand(options: LogsOptions, io: Output): Promise<number> {
  const dir = logDir(options.dir ?? defaultDataDir())
  if ((await logFileNumbers(dir)).length === 0)
    throw new NoLogsError(
      `no log files in ${dir}: a daemon started with this --dir writes them there (unless its config has [log] file = false)`,
    )
  const min = LEVEL_NUMBERS[options.level ?? 'trace'] ?? 0
  const color = options.json !== true && process.stdout.isTTY === true && process.env.NO_COLOR == null
  const print = (lines: string[]): void => {
    const shown = lines.filter((line) => {
      const record = parseRecord(line)
      return record == null || atLeast(record, min)
    })
    if (shown.length === 0) return
    io.out(shown.map((l) => (options.json === true ? l : formatLine(l, { color, date: true }))).join('\n'))
  }
  const reader = new LogReader(dir)
  const first = await reader.read()
  print(options.lines != null ? lastLines(first, min, options.lines) : first)
  if (options.follow !== true) return EXIT.ok
  const stop = new AbortController()
  const onSignal = (): void => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    while (!stop.signal.aborted) {
      await sleep(FOLLOW_POLL_MS, undefined, { signal: stop.signal }).catch(() => undefined)
      if (!stop.signal.aborted) print(await reader.read())
    }
    return EXIT.ok
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
}

/** The last `count` lines at `min` or above (and the lines that are not records among them). */
function lastLines(lines: string[], min: number, count: number): string[] {
  const kept: string[] = []
  for (let i = lines.length - 1; i >= 0 && kept.length < count; i--) {
    const line = lines[i] as string
    const record = parseRecord(line)
    if (record == null || atLeast(record, min)) kept.push(line)
  }
  return kept.reverse()
}
