/**
 * The one retry policy of outgoing calls: after an attempt fails, whether to try again on a new
 * session to the same peer, to go on to the next provider, or to give up. A request that surely did
 * not run may go anywhere; one that may have run goes on only when the tool says it is read-only or
 * idempotent; the tool's own error (or a refusal) never goes on.
 */
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js'
import {
  CallTimeoutError,
  NodeStoppingError,
  PeerUnreachableError,
  RateLimitedError,
  SessionClosedError,
  TransportClosedError,
  UnknownToolError,
  UpstreamUnavailableError,
} from '../errors.ts'

/** What to do after a failed attempt (`wait`: the same peer again after its `retryAfterMs`). */
export type Verdict = 'again' | 'wait' | 'next' | 'fail'

/** Whether a tool may run twice without harm, by its annotations. */
export function safeToRepeat(annotations: ToolAnnotations | undefined): boolean {
  return annotations?.readOnlyHint === true || annotations?.idempotentHint === true
}

/**
 * The verdict on attempt `attempt` (0 for the first on a peer) that failed with `err`, with `more`
 * providers left to try or not. No verdict waits before another provider: a call moves on at once.
 * - never sent (the pooled session was already closed): once more on a new session, then the next peer;
 * - not run (unreachable peer, a peer without the tool): the next peer;
 * - maybe run (the session broke mid-call, the hosted server died, the peer stopped or timed out):
 *   when `safe`, once more on a new session if the session broke, else the next peer; otherwise give up;
 * - refused by a rate or concurrency limit (the call never ran): the next provider at once when
 *   there is one (`more`), else the same peer again after the refusal's `retryAfterMs` (the caller
 *   checks that its deadline allows the wait);
 * - anything else (the tool's error, a refusal): give up.
 */
export function afterFailure(err: unknown, attempt: number, safe: boolean, more = false): Verdict {
  if (err instanceof TransportClosedError) return attempt === 0 ? 'again' : 'next'
  if (err instanceof RateLimitedError) return more ? 'next' : 'wait'
  if (err instanceof PeerUnreachableError || err instanceof UnknownToolError) return 'next'
  if (!safe) return 'fail'
  if (err instanceof SessionClosedError) return attempt === 0 ? 'again' : 'next'
  const maybeRan =
    err instanceof CallTimeoutError ||
    err instanceof UpstreamUnavailableError ||
    err instanceof NodeStoppingError
  return maybeRan ? 'next' : 'fail'
}
