/**
 * One structured logger for every part. Logs go to stderr: stdout is for command output and, for
 * `cord mcp`, for MCP JSON-RPC. The daemon (`cord start`) also writes them to `<dir>/logs/`.
 *
 * Everything is written synchronously in this thread (no pino transport worker: a worker thread
 * is one more V8 isolate in every node's idle memory), so nothing is lost when the process exits.
 */
import { type DestinationStream, type Logger, pino, type StreamEntry } from 'pino'
import type { LogFormat, LogLevel } from './constants.ts'
import { logDir } from './log/files.ts'
import { formatLine } from './log/format.ts'
import { rotatingFile } from './log/rotating-file.ts'

export type { Logger } from 'pino'
export { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from './constants.ts'

/** A JSON-lines logger writing to stderr (fd 2), synchronously so nothing is lost at exit. */
export function createLogger(level: LogLevel = 'info', bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: bindings }, pino.destination({ fd: 2, sync: true }))
}

/** What the daemon's logger is made with. */
export interface DaemonLogInit {
  level: LogLevel
  /** stderr's format: `auto` is `pretty` on a terminal and `json` otherwise. */
  format: LogFormat
  /** Also write JSON lines to `<dataDir>/logs/cord.<n>.log`, rotated at `maxSize` bytes; omit for none. */
  file?: { dataDir: string; maxSize: number; maxFiles: number }
  /** Whether stderr is a terminal (decides `auto`, and colours). @default process.stderr.isTTY */
  tty?: boolean
}

/** The daemon's logger and what to do with it at exit. */
export interface DaemonLogger {
  log: Logger
  /** Whether stderr gets readable lines rather than JSON. */
  pretty: boolean
  /** Writes out anything still buffered (call before the process exits). Safe to call twice. */
  flush(): void
}

/**
 * The daemon's logger: stderr in its format (readable or JSON) and, when asked, rotated JSON-lines
 * files, each destination with its own format.
 */
export function createDaemonLogger(init: DaemonLogInit): DaemonLogger {
  const tty = init.tty ?? process.stderr.isTTY === true
  const pretty = init.format === 'pretty' || (init.format === 'auto' && tty)
  const stderr = pino.destination({ fd: 2, sync: true })
  if (init.level === 'silent') return { log: pino({ level: 'silent' }, stderr), pretty, flush: () => {} }
  const color = pretty && tty && process.env.NO_COLOR == null
  const streams: StreamEntry[] = [
    { level: init.level, stream: pretty ? prettyStream(stderr, color) : stderr },
  ]
  const file =
    init.file != null
      ? rotatingFile(logDir(init.file.dataDir), { maxSize: init.file.maxSize, maxFiles: init.file.maxFiles })
      : undefined
  if (file != null) streams.push({ level: init.level, stream: file })
  const log = pino({ level: init.level, base: {} }, pino.multistream(streams))
  const flush = (): void => {
    for (const stream of [stderr, file]) {
      try {
        stream?.flushSync()
      } catch {
        // nothing buffered, or the fd is gone: nothing more to save
      }
    }
  }
  return { log, pretty, flush }
}

/** A destination that turns pino's JSON lines into readable ones before writing them to `out`. */
function prettyStream(out: DestinationStream, color: boolean): DestinationStream {
  return {
    write(line: string): void {
      out.write(`${formatLine(line.trimEnd(), { color })}\n`)
    },
  }
}
