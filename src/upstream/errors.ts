import { CordError } from '../errors.ts'

/** A hosted MCP server is not available now (starting, restarting, failed) or went away mid-call. */
export class UpstreamUnavailableError extends CordError {
  static override name = 'UpstreamUnavailableError'
  override name = 'UpstreamUnavailableError'
  override readonly kind = 'unreachable'
}
