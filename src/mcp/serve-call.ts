/**
 * One `tools/call` served to a peer: admission, the call's deadline, cancellation by the caller,
 * progress, and the tool's result or error. On the path of every call, so it keeps its work per call
 * small: one entry in the deadline queue, one controller, one listener, and no closures for what the
 * call does not use.
 */
import type { Server } from '@modelcontextprotocol/sdk/server/index.js'
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js'
import {
  type CallToolRequest,
  type CallToolResult,
  CallToolResultSchema,
  ErrorCode,
  McpError,
  type ProgressToken,
  type ServerNotification,
  type ServerRequest,
} from '@modelcontextprotocol/sdk/types.js'
import type { Admission, Admitted } from '../admission/admission.ts'
import { CallTimeoutError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { observeCall } from '../observability/call-window.ts'
import { type CallObserver, outcomeOf, resultOutcome, UNKNOWN_TOOL } from '../observability/calls.ts'
import { type CallTrace, Tracing } from '../observability/tracing.ts'
import type { ToolRegistry } from '../registry/registry.ts'
import type { ProgressUpdate, ToolContext } from '../registry/types.ts'
import { deadlines, type TimerEntry } from '../util/timer-queue.ts'
import { ORIGIN_META } from './related.ts'
import { serverRelay } from './relay.ts'
import { toMcpError } from './rpc-errors.ts'

/** What serving a call needs. */
export interface ServeCallComponents {
  registry: ToolRegistry
  admission: Admission
  /** Spans of served calls; the trace context and call ID go on to the tool (`ToolContext.meta`). */
  tracing?: Tracing
  /** Where a served call's debug line goes. */
  log?: Logger
  /** Counts the calls served (metrics). */
  observer?: CallObserver
}

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>

/** Serves `request` from `caller` on `server`'s session. */
export async function serveCall(
  components: ServeCallComponents,
  server: Server,
  caller: string,
  request: CallToolRequest,
  extra: Extra,
): Promise<CallToolResult> {
  const { name, _meta: meta } = request.params
  const trace = (components.tracing ?? Tracing.off).begin('inbound', name, meta, caller)
  try {
    const result = await serveTraced(components, server, caller, request, extra, trace)
    served(components.log, caller, name, trace, trace.done(result))
    return result
  } catch (err) {
    served(components.log, caller, name, trace, trace.failed(err))
    throw err
  }
}

/** A debug line per served call: its peer, tool, call ID, time and outcome. */
function served(
  log: Logger | undefined,
  peer: string,
  tool: string,
  trace: CallTrace,
  outcome: string,
): void {
  if (log?.isLevelEnabled('debug') === true)
    log.debug({ peer, tool, call: trace.callId, ms: trace.elapsedMs, outcome }, 'call served')
}

async function serveTraced(
  components: ServeCallComponents,
  server: Server,
  caller: string,
  request: CallToolRequest,
  extra: Extra,
  trace: CallTrace,
): Promise<CallToolResult> {
  const { name, arguments: args, _meta: meta } = request.params
  const startedAt = performance.now()
  const tool = components.registry.get(name)
  let admitted: Admitted
  try {
    admitted = components.admission.admitCall(caller, name, tool, meta)
  } catch (err) {
    components.observer?.recordCall(
      'in',
      tool != null ? name : UNKNOWN_TOOL,
      outcomeOf(err),
      startedAt,
      caller,
    )
    throw toMcpError(err)
  }
  const call = new ServedCall(admitted.deadlineMs, extra.signal)
  const token = meta?.progressToken
  const progress = token != null ? new ProgressSender(token, extra) : undefined
  const context: ToolContext = {
    signal: call.signal,
    caller,
    relay: serverRelay(server, extra.requestId, originOf(caller, meta)),
    meta: trace.meta,
  }
  if (progress != null) context.progress = (update) => progress.send(update)
  let outcome = 'error'
  try {
    const result = await observeCall('in', components.registry.call(name, args, context))
    // Progress notifications go out before the result: a caller drops progress after the result.
    await progress?.sent()
    // A handler that answers its aborted signal with a result still ran out of time.
    if (call.late && !extra.signal.aborted) throw call.deadlineError(name)
    const checked = checkResult(result)
    outcome = resultOutcome(checked)
    return checked
  } catch (err) {
    outcome = call.late ? 'timeout' : outcomeOf(err)
    if (call.late && !extra.signal.aborted) throw err instanceof McpError ? err : call.deadlineError(name)
    throw toMcpError(err)
  } finally {
    components.observer?.recordCall('in', tool != null ? name : UNKNOWN_TOOL, outcome, startedAt, caller)
    call.end()
    admitted.release()
  }
}

/**
 * The result as MCP allows it, or an `InvalidParams` error that says why not — what the SDK's
 * `Server` checks for a `tools/call` handler, which server.ts registers without that wrapper (it also
 * parsed every request a second time). A result of text items, the common case, is checked by hand;
 * any other goes through the SDK's schema.
 */
export function checkResult(result: CallToolResult): CallToolResult {
  if (isPlainTextResult(result)) return result
  const parsed = CallToolResultSchema.safeParse(result)
  if (!parsed.success)
    throw new McpError(ErrorCode.InvalidParams, `Invalid tools/call result: ${parsed.error.message}`)
  return parsed.data
}

/** Whether `result` has only the fields of a text result, each of the right kind. */
function isPlainTextResult(result: CallToolResult): boolean {
  for (const key in result) {
    const value = result[key]
    const ok =
      key === 'content'
        ? Array.isArray(value) && value.every(isTextItem)
        : key === 'isError'
          ? typeof value === 'boolean'
          : (key === '_meta' || key === 'structuredContent') && isRecord(value)
    if (!ok) return false
  }
  return Array.isArray(result.content)
}

function isTextItem(item: unknown): boolean {
  if (!isRecord(item)) return false
  for (const key in item) {
    const value = item[key]
    const ok =
      key === 'type'
        ? value === 'text'
        : key === 'text'
          ? typeof value === 'string'
          : key === '_meta' && isRecord(value)
    if (!ok) return false
  }
  return typeof item.text === 'string'
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value != null && !Array.isArray(value)
}

/**
 * The signal of a served call: aborted when its deadline (the caller's, capped by the node's
 * maximum) passes or the caller cancels. Its deadline is an entry in the process's deadline queue
 * (util/timer-queue.ts), not a timer of its own.
 */
class ServedCall {
  late = false
  private readonly controller = new AbortController()
  private readonly timer: TimerEntry
  private readonly cancelled: AbortSignal
  private readonly deadlineMs: number

  constructor(deadlineMs: number, cancelled: AbortSignal) {
    this.deadlineMs = deadlineMs
    this.cancelled = cancelled
    this.timer = deadlines.add(deadlineMs, () => this.onDeadline())
    cancelled.addEventListener('abort', this, { once: true })
  }

  get signal(): AbortSignal {
    return this.controller.signal
  }

  /** The caller cancelled (`this` is the listener: no closure per call). */
  handleEvent(): void {
    this.controller.abort(this.cancelled.reason)
  }

  deadlineError(name: string): McpError {
    return toMcpError(
      new CallTimeoutError(
        `the call of "${name}" passed its deadline of ${this.deadlineMs} ms at the serving node`,
      ),
    )
  }

  end(): void {
    this.timer.cancel()
    this.cancelled.removeEventListener('abort', this)
  }

  private onDeadline(): void {
    this.late = true
    this.controller.abort(new Error(`deadline of ${this.deadlineMs} ms passed`))
  }
}

/** Progress notifications of one call, tied to its request. */
class ProgressSender {
  private readonly token: ProgressToken
  private readonly extra: Extra
  private readonly pending: Array<Promise<void>> = []

  constructor(token: ProgressToken, extra: Extra) {
    this.token = token
    this.extra = extra
  }

  send(update: ProgressUpdate): void {
    const params = { progressToken: this.token, ...update }
    this.pending.push(
      this.extra.sendNotification({ method: 'notifications/progress', params }).catch(() => {}),
    )
  }

  async sent(): Promise<void> {
    await Promise.all(this.pending)
  }
}

/**
 * Who a call's caller is: the calling peer, and what that peer says of the caller behind it
 * (`_meta["cord/origin"]`, a gateway client).
 */
function originOf(caller: string, meta: Record<string, unknown> | undefined): string {
  const behind = meta?.[ORIGIN_META]
  return typeof behind === 'string' ? `${caller}/${behind.slice(0, 128)}` : caller
}
