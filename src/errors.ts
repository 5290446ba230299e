/**
 * Errors shared by every part. Each error has a stable `name` (tests and callers match on it) and a
 * `code` the CLI maps to an exit status.
 */

/** What kind of failure an error is: the CLI's exit code and the control API's status derive from it. */
export type ErrorKind =
  | 'usage'
  | 'config'
  | 'no-daemon'
  | 'unreachable'
  | 'timeout'
  | 'tool'
  | 'rejected'
  | 'stopping'
  | 'internal'

/** Base class of Cord's own errors. */
export class CordError extends Error {
  static override name = 'CordError'
  override name = 'CordError'
  readonly kind: ErrorKind = 'internal'
}

/** The node is stopping (or stopped) and cannot take the request. */
export class NodeStoppingError extends CordError {
  static override name = 'NodeStoppingError'
  override name = 'NodeStoppingError'
  override readonly kind = 'stopping'
}

/** A method that needs a started node was called before `start()` or after `stop()`. */
export class NotStartedError extends CordError {
  static override name = 'NotStartedError'
  override name = 'NotStartedError'
  override readonly kind = 'internal'
}

/** An argument given to the API is not valid (bad peer ID, bad tool name, bad options). */
export class InvalidArgumentError extends CordError {
  static override name = 'InvalidArgumentError'
  override name = 'InvalidArgumentError'
  override readonly kind = 'usage'
}
