/**
 * The node's outgoing requests: tool calls here, and the lists and reads of remote-reads.ts. Every
 * request has one deadline (its caller's, or the node's default), runs on the pooled session of the
 * peer the router picks, and after a failed attempt follows the one retry policy (router/policy.ts):
 * again on a new session, on to the next provider, or give up.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import type { Multiaddr } from '@multiformats/multiaddr'
import { DEADLINE_META } from '../admission/admission.ts'
import { PIN_META, pinFor } from '../admission/pin.ts'
import { NO_SDK_TIMEOUT } from '../constants.ts'
import {
  CallTimeoutError,
  InvalidArgumentError,
  NodeStoppingError,
  NoProviderError,
  NotStartedError,
  PeerUnreachableError,
  type RateLimitedError,
  SessionClosedError,
  TransportClosedError,
} from '../errors.ts'
import type { Logger } from '../logger.ts'
import { ORIGIN_META } from '../mcp/related.ts'
import type { Flight, RelayTable } from '../mcp/relay.ts'
import { fromMcpError } from '../mcp/rpc-errors.ts'
import type { Session, SessionPool } from '../mcp/session-pool.ts'
import { withCallId } from '../observability/call-id.ts'
import { observeCall } from '../observability/call-window.ts'
import { type CallObserver, outcomeOf, resultOutcome } from '../observability/calls.ts'
import type { CallTrace, Tracing } from '../observability/tracing.ts'
import { afterFailure, safeToRepeat } from '../router/policy.ts'
import { CandidateQueue, isTransportFailure } from '../router/queue.ts'
import type { Candidate, Router } from '../router/router.ts'
import { settleWithin } from '../util/async.ts'
import { type CallDeadline, callDeadline } from '../util/deadline.ts'
import { isAddressTarget, parsePeerAddress, parsePeerId } from './peer-ids.ts'
import { PerPeer } from './per-peer.ts'
import type { CallOptions } from './types.ts'

/** `_meta` key of a call result that names the peer that served it. */
export const SERVED_BY = 'cord/servedBy'

/** The peer that served a call's result. */
function servedBy(result: CallToolResult): string | undefined {
  const peer = result._meta?.[SERVED_BY]
  return typeof peer === 'string' ? peer : undefined
}

/** What outgoing requests need. */
export interface CallsComponents {
  pool: SessionPool
  router: Router
  /** Calls in flight that carry a relay, for the requests their tools send back. */
  relays: RelayTable
  /** Spans of the calls, and the trace context and call ID they carry on. */
  tracing: Tracing
  /** Dials a full peer address (a target written as a multiaddr). */
  dial: (addr: Multiaddr, signal: AbortSignal) => Promise<unknown>
  log: Logger
  /** Counts the calls made (metrics). */
  observer?: CallObserver
}

/** Settings of outgoing requests. */
export interface CallsInit {
  /** Deadline of a request whose caller gives none. */
  callTimeoutMs: number
}

/** One request while it runs. */
interface Request {
  options: CallOptions
  /** The call's ID (tool calls only). */
  callId?: string
  timeout: number
  deadline: CallDeadline
}

/** The outgoing requests of one node. */
export class Calls {
  private readonly components: CallsComponents
  private readonly init: CallsInit
  /** Requests in flight, each with its deadline (which `abort()` aborts: no listener per request). */
  private readonly inflight = new Map<Promise<unknown>, CallDeadline>()
  private readonly perPeer = new PerPeer()
  private readonly stopping = new AbortController()
  private state: 'created' | 'open' | 'closed' = 'created'

  constructor(components: CallsComponents, init: CallsInit) {
    this.components = components
    this.init = init
  }

  /** Takes requests from now on. */
  open(): void {
    if (this.state === 'created') this.state = 'open'
  }

  /** Refuses new requests; those in flight go on until `abort()`. */
  close(): void {
    this.state = 'closed'
  }

  /** Waits up to `ms` for the requests in flight. */
  settle(ms: number): Promise<void> {
    return settleWithin([...this.inflight.keys()], ms)
  }

  /** Fails every request in flight with `reason`. */
  abort(reason: Error): void {
    this.stopping.abort(reason)
    for (const deadline of this.inflight.values()) deadline.abort(reason)
  }

  /** Requests in flight. */
  get size(): number {
    return this.inflight.size
  }

  /**
   * Calls tool `name` at `target` (a peer ID, an alias or a full multiaddr ending in /p2p/<peer ID>,
   * which is dialled first), or at the best live provider of the tool. The
   * result's `_meta["cord/servedBy"]` names the peer that served it.
   */
  async callTool(
    target: string | undefined,
    name: string,
    args: Record<string, unknown>,
    options: CallOptions,
  ): Promise<CallToolResult> {
    const trace = this.components.tracing.begin('outbound', name, options.meta)
    const startedAt = performance.now()
    let peer: string | undefined
    try {
      const { value, candidate } = await this.run(
        target,
        name,
        options,
        (c) => safeToRepeat(c.annotations),
        (session, signal, flight, deadline, to) => {
          peer = to
          trace.setPeer(to)
          const pin = pinFor(options.pin, to)
          const _meta: Record<string, unknown> = {
            ...trace.meta,
            [DEADLINE_META]: deadline.remainingMs(),
            ...(pin != null ? { [PIN_META]: pin } : {}),
            ...(options.relay != null ? { [ORIGIN_META]: options.relay.origin } : {}),
          }
          return session.window.run(signal, () => {
            // The deadline is sent as it stands when the call leaves, not when it was queued.
            _meta[DEADLINE_META] = deadline.remainingMs()
            return session.client.callTool({ name, arguments: args, _meta }, undefined, {
              signal,
              timeout: NO_SDK_TIMEOUT,
              ...(flight != null ? { relatedRequestId: flight.key } : {}),
              ...(options.onprogress != null ? { onprogress: options.onprogress } : {}),
            }) as Promise<CallToolResult>
          })
        },
        trace.callId,
      )
      this.logCall(trace, name, peer, trace.done(value))
      const result = { ...value, _meta: { ...value._meta, [SERVED_BY]: candidate.peerId } }
      this.components.observer?.recordCall('out', name, resultOutcome(result), startedAt, servedBy(result))
      return result
    } catch (err) {
      this.components.observer?.recordCall('out', name, outcomeOf(err), startedAt)
      const failed = withCallId(err, trace.callId)
      this.logCall(trace, name, peer, trace.failed(failed))
      throw failed
    }
  }

  /** A debug line per call: its peer, tool, call ID, time and outcome. */
  private logCall(trace: CallTrace, tool: string, peer: string | undefined, outcome: string): void {
    const { log } = this.components
    if (log.isLevelEnabled('debug'))
      log.debug({ peer, tool, call: trace.callId, ms: trace.elapsedMs, outcome }, 'call done')
  }

  /**
   * One read of `target` (a list, a resource, a prompt): safe to repeat, so it may go again on a new
   * session after a transport failure. Resolves with its value and the peer that answered.
   */
  read<T>(
    target: string,
    options: CallOptions,
    fn: (session: Session, o: RequestOptions) => Promise<T>,
  ): Promise<{ value: T; candidate: Candidate }> {
    return this.run(
      target,
      '',
      options,
      () => true,
      (session, signal) => fn(session, { signal, timeout: NO_SDK_TIMEOUT }),
    )
  }

  /** Runs one request under its deadline, its relay's flight and the retry policy. */
  private async run<T>(
    target: string | undefined,
    tool: string,
    options: CallOptions,
    safe: (candidate: Candidate) => boolean,
    work: (
      session: Session,
      signal: AbortSignal,
      flight: Flight | undefined,
      deadline: CallDeadline,
      peer: string,
    ) => Promise<T>,
    callId?: string,
  ): Promise<{ value: T; candidate: Candidate }> {
    if (this.state === 'created') throw new NotStartedError('the node is not started: call start() first')
    if (this.state === 'closed') throw new NodeStoppingError('the node is stopping or stopped')
    const timeout = options.timeout ?? this.init.callTimeoutMs
    if (!Number.isFinite(timeout) || timeout <= 0)
      throw new InvalidArgumentError(`timeout must be a positive number of milliseconds, got ${timeout}`)
    const deadline = callDeadline(timeout, options.signal != null ? [options.signal] : [])
    const flight = options.relay != null ? this.components.relays.enter(options.relay) : undefined
    const attempts = this.attempts(
      target,
      tool,
      { options, timeout, deadline, ...(callId != null ? { callId } : {}) },
      safe,
      (session, signal, peer) => work(session, signal, flight, deadline, peer),
    )
    this.inflight.set(attempts, deadline)
    if (tool !== '') observeCall('out', attempts) // a tool call (reads and lists have no tool name)
    try {
      return await attempts
    } finally {
      this.inflight.delete(attempts)
      flight?.leave()
      deadline.dispose()
    }
  }

  private async attempts<T>(
    target: string | undefined,
    tool: string,
    request: Request,
    safe: (candidate: Candidate) => boolean,
    work: (session: Session, signal: AbortSignal, peer: string) => Promise<T>,
  ): Promise<{ value: T; candidate: Candidate }> {
    const { signal } = request.deadline
    if (target != null && isAddressTarget(target)) target = await this.reach(target, request)
    const where = target != null ? `peer ${target}` : `the providers of "${tool}"`
    let candidates = await this.components.router
      .candidates(target, tool, signal)
      .catch((err: unknown) => Promise.reject(this.explain(err, where, request)))
    const among = request.options.among
    if (among != null) {
      candidates = candidates.filter((c) => among.includes(c.peerId))
      if (candidates.length === 0)
        throw new NoProviderError(`none of the ${among.length} chosen providers of "${tool}" is live`)
    }
    let lastError: unknown
    const { router } = this.components
    const queue = new CandidateQueue(candidates, (peer) => router.isDown(peer))
    for (let candidate = queue.next(); candidate != null; candidate = queue.next()) {
      for (let attempt = 0; ; attempt++) {
        let session: Session | undefined
        try {
          const peer = candidate.peerId
          const open = await this.components.pool.get(parsePeerId(peer), signal)
          session = open
          return { value: await this.perPeer.run(peer, () => work(open, signal, peer)), candidate }
        } catch (raw) {
          const err = this.explain(raw, `peer ${candidate.peerId}`, request)
          lastError = err
          if (signal.aborted) throw err
          if (isTransportFailure(err, attempt)) router.failed(candidate.peerId)
          const verdict = afterFailure(err, attempt, safe(candidate), queue.remaining > 0)
          if (verdict === 'fail') throw err
          if (verdict === 'wait') {
            // Refused before it ran, and no other provider left: wait as the peer asked (with jitter,
            // so that refused calls do not come back at the same instant) when the deadline allows.
            const ms = (err as RateLimitedError).retryAfterMs * (1 + Math.random() / 5)
            if (request.deadline.remainingMs() > ms) {
              await sleep(ms, undefined, { signal }).catch(() => {})
              attempt--
              continue
            }
            break
          }
          if (session != null && (err instanceof TransportClosedError || err instanceof SessionClosedError))
            await this.components.pool.discard(session)
          // Again on a new session, unless the peer is known down by now and another is left.
          if (verdict === 'again' && !(queue.remaining > 0 && router.isDown(candidate.peerId))) continue
          this.components.log.info(
            { tool, peer: candidate.peerId, call: request.callId, err: (err as Error).message },
            'failing over to the next provider',
          )
          break
        }
      }
    }
    throw lastError
  }

  /** This node's requests in flight to `peer`. */
  inflightTo(peer: string): number {
    return this.perPeer.get(peer)
  }

  /** Dials a target written as a full multiaddr; the call then goes to its peer ID. */
  private async reach(text: string, request: Request): Promise<string> {
    const { addr, peer } = parsePeerAddress(text)
    try {
      await this.components.dial(addr, request.deadline.signal)
    } catch (err) {
      const explained = this.explain(err, `peer ${peer}`, request)
      if (explained !== err) throw explained
      throw new PeerUnreachableError(`cannot reach ${text}: ${(err as Error).message}`)
    }
    return peer.toString()
  }

  /** What a failed attempt tells the caller: its deadline, the node's stop, its own abort, or the peer's error. */
  private explain(err: unknown, where: string, request: Request): unknown {
    if (request.deadline.timedOut)
      return new CallTimeoutError(`no answer from ${where} within ${request.timeout} ms`)
    if (this.stopping.signal.aborted) return this.stopping.signal.reason
    if (request.options.signal?.aborted) return request.options.signal.reason
    return fromMcpError(err, where.replace(/^peer /, ''))
  }
}
