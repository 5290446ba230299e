/**
 * One structured logger for every part. Logs go to stderr: stdout is for command output and, for
 * `cord mcp`, for MCP JSON-RPC.
 */
import { type Logger, pino } from 'pino'
import type { LogLevel } from './constants.ts'

export type { Logger } from 'pino'
export { LOG_LEVELS, type LogLevel } from './constants.ts'

/** A JSON-lines logger writing to stderr (fd 2), synchronously so nothing is lost at exit. */
export function createLogger(level: LogLevel = 'info', bindings: Record<string, unknown> = {}): Logger {
  return pino({ level, base: bindings }, pino.destination({ fd: 2, sync: true }))
}
