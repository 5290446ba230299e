/**
 * Readable log lines from pino's JSON records, for a terminal (`cord start`) and for `cord logs`.
 * Hand-written and dependency-free on purpose: `cord logs` loads it, and pino-pretty alone costs a
 * CLI command more time than all of its own work.
 *
 *     10:33:48.875 INFO  [discovery] peer dead  peer=12D3…Wq3 tool=echo call=4f1c… rtt=12
 */

/** pino's level numbers. */
export const LEVEL_NUMBERS: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
}

/** One parsed log line: pino's record (`level`, `time`, `msg` and the bound fields). */
export type LogRecord = Record<string, unknown>

/** How to render lines. */
export interface FormatOptions {
  /** ANSI colours (only for a terminal). @default false */
  color?: boolean
  /** Show the date before the time (a file spans days; a live terminal does not need it). @default false */
  date?: boolean
}

/** Fields shown first, in this order: which part logged, and about which peer, tool and call. */
const LEAD = ['peer', 'tool', 'call'] as const
/** Fields the line shows in their own place, or never. */
const PLACED = new Set(['level', 'time', 'msg', 'part', 'pid', 'hostname', ...LEAD])

const ANSI = { dim: 2, red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90 }
const LEVEL_COLOR: Record<number, number> = {
  10: ANSI.gray,
  20: ANSI.blue,
  30: ANSI.green,
  40: ANSI.yellow,
  50: ANSI.red,
  60: ANSI.magenta,
}

/** The name of a pino level number (`30` → `info`); an unknown number stays a number. */
export function levelName(level: unknown): string {
  for (const [name, n] of Object.entries(LEVEL_NUMBERS)) if (n === level) return name
  return String(level)
}

/** A line of a log file as a record, or `undefined` when it is not a JSON object. */
export function parseRecord(line: string): LogRecord | undefined {
  if (!line.startsWith('{')) return undefined
  try {
    const value: unknown = JSON.parse(line)
    return value != null && typeof value === 'object' && !Array.isArray(value)
      ? (value as LogRecord)
      : undefined
  } catch {
    return undefined
  }
}

/** Whether a record is at `min` (a pino level number) or above. Records with no level pass. */
export function atLeast(record: LogRecord, min: number): boolean {
  return typeof record.level !== 'number' || record.level >= min
}

/** One record as a readable line (and the indented stack of its `err`, if any). */
export function formatRecord(record: LogRecord, options: FormatOptions = {}): string {
  const paint = (code: number, text: string): string =>
    options.color === true ? `\u001b[${code}m${text}\u001b[0m` : text
  const level = typeof record.level === 'number' ? record.level : 30
  const head = [
    paint(ANSI.dim, formatTime(record.time, options.date === true)),
    paint(LEVEL_COLOR[level] ?? ANSI.gray, levelName(level).toUpperCase().padEnd(5)),
  ]
  if (record.part != null) head.push(paint(ANSI.cyan, `[${String(record.part)}]`))
  if (record.msg != null) head.push(String(record.msg))
  // a serialised error goes under the line with its stack; an error message is a field like others
  const err = record.err != null && typeof record.err === 'object' ? record.err : undefined
  const rest = Object.keys(record).filter((k) => !PLACED.has(k) && !(k === 'err' && err != null))
  const fields = [...LEAD.filter((k) => record[k] != null), ...rest]
  const tail = fields.map((k) => `${paint(ANSI.dim, `${k}=`)}${formatValue(record[k])}`).join(' ')
  const line = tail === '' ? head.join(' ') : `${head.join(' ')}  ${tail}`
  return err == null ? line : `${line}\n${formatError(err)}`
}

/** A line of a log file made readable; a line that is not a record is kept as it is. */
export function formatLine(line: string, options: FormatOptions = {}): string {
  const record = parseRecord(line)
  return record == null ? line : formatRecord(record, options)
}

/** `time` (epoch milliseconds, pino's default) as local `HH:MM:SS.mmm`, with the date when asked. */
function formatTime(time: unknown, withDate: boolean): string {
  if (typeof time !== 'number' && typeof time !== 'string') return '--:--:--.---'
  const d = new Date(time)
  if (Number.isNaN(d.getTime())) return String(time)
  const two = (n: number): string => String(n).padStart(2, '0')
  const clock = `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}.${String(d.getMilliseconds()).padStart(3, '0')}`
  return withDate ? `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${clock}` : clock
}

/** A field's value: bare when it reads unambiguously, JSON otherwise. */
function formatValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value)
  if (value === undefined) return 'undefined'
  return JSON.stringify(value) ?? String(value)
}

/** pino's serialised error (`type`, `message`, `stack`): its stack, indented under the line. */
function formatError(err: object): string {
  const e = err as Record<string, unknown>
  const text =
    typeof e.stack === 'string'
      ? e.stack
      : `${typeof e.type === 'string' ? e.type : 'Error'}: ${String(e.message ?? '')}`
  return text
    .split('\n')
    .map((l) => `    ${l.trimStart()}`)
    .join('\n')
}
