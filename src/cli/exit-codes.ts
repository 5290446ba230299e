/**
 * Exit codes of the `cord` command: what failed, for scripts. Documented in the README; each error
 * kind's code is in the error table (src/errors.ts).
 */
import { type ErrorKind, KINDS } from '../errors.ts'

export const EXIT = {
  ok: 0,
  /** An unexpected failure. */
  error: KINDS.internal.exit,
  /** Bad command-line usage: unknown command or option, bad argument. */
  usage: KINDS.usage.exit,
  /** No daemon runs for the data directory. */
  noDaemon: KINDS['no-daemon'].exit,
  /** The peer could not be reached, or the session to it broke, or it is stopping. */
  unreachable: KINDS.unreachable.exit,
  /** No answer within the timeout. */
  timeout: KINDS.timeout.exit,
  /** The remote refused the request: unknown tool, arguments that fail the tool's schema. */
  rejected: KINDS.rejected.exit,
  /** The tool ran and reported an error (`isError: true`). */
  toolError: KINDS.tool.exit,
  /** Invalid configuration or data directory, or a daemon already runs for it. */
  config: KINDS.config.exit,
} as const

/** The exit code of an error kind. */
export function exitCodeOf(kind: ErrorKind): number {
  return KINDS[kind].exit
}
