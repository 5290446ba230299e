/**
 * Exit codes of the `cord` command: what failed, for scripts. Documented in the README.
 */
import type { ErrorKind } from '../errors.ts'

export const EXIT = {
  ok: 0,
  /** An unexpected failure. */
  error: 1,
  /** Bad command-line usage: unknown command or option, bad argument. */
  usage: 2,
  /** No daemon runs for the data directory. */
  noDaemon: 3,
  /** The peer could not be reached, or the session to it broke, or it is stopping. */
  unreachable: 4,
  /** No answer within the timeout. */
  timeout: 5,
  /** The remote refused the request: unknown tool, arguments that fail the tool's schema. */
  rejected: 6,
  /** The tool ran and reported an error (`isError: true`). */
  toolError: 7,
  /** Invalid configuration or data directory, or a daemon already runs for it. */
  config: 8,
} as const

/** The exit code of an error kind. */
export function exitCodeOf(kind: ErrorKind): number {
  switch (kind) {
    case 'usage':
      return EXIT.usage
    case 'config':
      return EXIT.config
    case 'no-daemon':
      return EXIT.noDaemon
    case 'unreachable':
    case 'stopping':
      return EXIT.unreachable
    case 'timeout':
      return EXIT.timeout
    case 'rejected':
      return EXIT.rejected
    case 'tool':
      return EXIT.toolError
    default:
      return EXIT.error
  }
}
