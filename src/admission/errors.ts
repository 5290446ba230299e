/** Refusals of admission control: each one a clear, structured error. */
import { CordError } from '../errors.ts'

/** The swarm key file is not a valid libp2p/Kubo pre-shared key. */
export class SwarmKeyError extends CordError {
  static override name = 'SwarmKeyError'
  override name = 'SwarmKeyError'
  override readonly kind = 'config'
}

/** The access rules do not let the caller call this tool. */
export class AccessDeniedError extends CordError {
  static override name = 'AccessDeniedError'
  override name = 'AccessDeniedError'
  override readonly kind = 'rejected'
}

/** Over a rate or concurrency limit; `retryAfterMs` says when a retry may pass. */
export class RateLimitedError extends CordError {
  static override name = 'RateLimitedError'
  override name = 'RateLimitedError'
  override readonly kind = 'rejected'
  readonly retryAfterMs: number
  constructor(message: string, retryAfterMs: number) {
    super(message)
    this.retryAfterMs = retryAfterMs
  }
}

/** A pinned tool's definition changed since it was pinned. */
export class ToolChangedError extends CordError {
  static override name = 'ToolChangedError'
  override name = 'ToolChangedError'
  override readonly kind = 'rejected'
}
