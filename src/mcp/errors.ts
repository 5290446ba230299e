import { CordError } from '../errors.ts'

/** A frame is larger than the frame size limit of `/cord/mcp/1.0.0`. */
export class FrameTooLargeError extends CordError {
  static override name = 'FrameTooLargeError'
  override name = 'FrameTooLargeError'
  override readonly kind = 'rejected'
}

/** The stream under an MCP session is closed: the message was not sent. Safe to retry on a new session. */
export class TransportClosedError extends CordError {
  static override name = 'TransportClosedError'
  override name = 'TransportClosedError'
  override readonly kind = 'unreachable'
}

/** A peer could not be reached (bad address, refused, no route, dial timed out). */
export class PeerUnreachableError extends CordError {
  static override name = 'PeerUnreachableError'
  override name = 'PeerUnreachableError'
  override readonly kind = 'unreachable'
}

/** A call did not complete before its deadline. */
export class CallTimeoutError extends CordError {
  static override name = 'CallTimeoutError'
  override name = 'CallTimeoutError'
  override readonly kind = 'timeout'
}

/** The remote node refused the request with a JSON-RPC error (unknown tool, invalid arguments, …). */
export class RemoteRequestError extends CordError {
  static override name = 'RemoteRequestError'
  override name = 'RemoteRequestError'
  override readonly kind = 'rejected'
  /** The JSON-RPC error code the remote answered with. */
  readonly code: number
  constructor(message: string, code: number) {
    super(message)
    this.code = code
  }
}

/** The MCP session to a peer broke while a request was in flight: the request may or may not have run. */
export class SessionClosedError extends CordError {
  static override name = 'SessionClosedError'
  override name = 'SessionClosedError'
  override readonly kind = 'unreachable'
}
