/**
 * One structured logger for every part. Logs go to stderr: stdout is for command output and, for
 * `cord mcp`, for MCP JSON-RPC.
 */
import { type Logger, pino } from 'pino'

export type { Logger } from 'pino'

/** Log levels accepted in config and on the command line. */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const
export type LogLevel = (typeof LOG_LEVELS)[number]

/** A JSON-lines logger writing to stderr (fd 2), synchronously so nothing is lost at exit. */
export function createLogger(level: LogLevel = 'info', bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: bindings }, pino.destination({ fd: 2, sync: true }))
}
