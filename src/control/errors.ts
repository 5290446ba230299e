import { CordError } from '../errors.ts'

/** No daemon runs for the data directory (no control file, or nothing answers at its address). */
export class NoDaemonError extends CordError {
  static override name = 'NoDaemonError'
  override name = 'NoDaemonError'
  override readonly kind = 'no-daemon'
}

/** The control API answered with an error: carries the remote error's name and kind. */
export class ControlRequestError extends CordError {
  static override name = 'ControlRequestError'
  override name = 'ControlRequestError'
  override readonly kind
  /** Name of the error raised in the daemon, such as `UnknownToolError`. */
  readonly remoteName: string
  constructor(message: string, remoteName: string, kind: CordError['kind']) {
    super(message)
    this.remoteName = remoteName
    this.kind = kind
  }
}
