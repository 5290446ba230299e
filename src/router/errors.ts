import { CordError } from '../errors.ts'

/** A target that is neither a peer ID nor the alias of a known peer. */
export class UnknownTargetError extends CordError {
  static override name = 'UnknownTargetError'
  override name = 'UnknownTargetError'
  override readonly kind = 'usage'
}

/** An alias that several peers carry: the message lists them. */
export class AmbiguousAliasError extends CordError {
  static override name = 'AmbiguousAliasError'
  override name = 'AmbiguousAliasError'
  override readonly kind = 'usage'
  readonly candidates: string[]
  constructor(message: string, candidates: string[]) {
    super(message)
    this.candidates = candidates
  }
}

/** No live node of the mesh serves the tool. */
export class NoProviderError extends CordError {
  static override name = 'NoProviderError'
  override name = 'NoProviderError'
  override readonly kind = 'rejected'
}
