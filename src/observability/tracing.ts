/**
 * Trace context across hops. Every hop of a tool call — the gateway's request, a node's outgoing
 * call, a node's incoming call, the call to a hosted MCP server — continues the W3C trace context
 * (`traceparent`, `tracestate`) that the request's `_meta` carries and sends it on in the `_meta` of
 * the next request, with the call's ID (`cord/callId`). With tracing on (`[tracing] otlp_endpoint`,
 * or span processors given to `createNode()`), each hop is an OpenTelemetry span, child of the span
 * before it. With tracing off, nothing of OpenTelemetry is loaded: a hop passes the caller's trace
 * context on as it came, so a trace that goes through a node with tracing off still holds together.
 */
import type { SpanProcessor } from '@opentelemetry/sdk-trace'
import { CALL_ID_META, callIdOf, newCallId } from './call-id.ts'

/** `_meta` keys of the W3C trace context (the names of its HTTP headers). */
export const TRACEPARENT_META = 'traceparent'
export const TRACESTATE_META = 'tracestate'

/** A `traceparent` of version 00 (W3C Trace Context): a trace ID and a parent span ID, not all zeros. */
const TRACEPARENT_PATTERN = /^00-(?!0{32})[0-9a-f]{32}-(?!0{16})[0-9a-f]{16}-[0-9a-f]{2}$/
/** The longest `tracestate` passed on (the W3C limit is 32 entries of up to 256 characters each). */
const MAX_TRACESTATE = 512

/** Where a span sits on the path of a call. */
export type CallHop = 'gateway' | 'outbound' | 'inbound' | 'hosted'

/** What a hop's span records of its call. */
export interface HopFacts {
  hop: CallHop
  /** The tool's name as this hop calls or serves it. */
  tool: string
  callId: string
  /** The other side: the caller of a served call, the peer or hosted server called. */
  peer?: string
}

/** One span, as the call path drives it. */
export interface HopSpan {
  setPeer(peer: string): void
  /** Ends the span: `outcome` is `ok`, `tool_error` (a result with `isError`) or the error's name. */
  end(outcome: string, err?: unknown): void
}

/** Makes the spans of a node's calls: tracing.ts's side of the OpenTelemetry SDK (see otel.ts). */
export interface SpanFactory {
  /** Starts a span, child of the trace context in `parent` (else a root); writes its own context to `out`. */
  start(facts: HopFacts, parent: Record<string, unknown> | undefined, out: Record<string, unknown>): HopSpan
  /** Sends what is left and stops. */
  shutdown(): Promise<void>
}

/** Tracing settings of a node, as `createNode({ tracing })` takes them. */
export interface TracingInit {
  /** OTLP/HTTP endpoint of a collector (`http://host:4318/v1/traces`): spans are batched and sent there. */
  otlpEndpoint?: string
  /** `service.name` of the spans. @default 'cord' */
  serviceName?: string
  /**
   * Span processors of your own (an OpenTelemetry `SpanProcessor` from `@opentelemetry/sdk-trace`,
   * e.g. `new SimpleSpanProcessor(new InMemorySpanExporter())`), beside or instead of the OTLP exporter.
   */
  spanProcessors?: SpanProcessor[]
}

/** One hop of one call: its ID, the `_meta` to send on, and its span when tracing is on. */
export class CallTrace {
  readonly callId: string
  /** `_meta` entries for the next hop's request: `cord/callId` and the trace context. */
  readonly meta: Record<string, unknown>
  private readonly span: HopSpan | undefined
  private readonly started: number

  constructor(callId: string, meta: Record<string, unknown>, span: HopSpan | undefined) {
    this.callId = callId
    this.meta = meta
    this.span = span
    this.started = performance.now()
  }

  /** Milliseconds since the hop began. */
  get elapsedMs(): number {
    return Math.round((performance.now() - this.started) * 100) / 100
  }

  /** Names the other side, once known (the provider a call went to). */
  setPeer(peer: string): void {
    this.span?.setPeer(peer)
  }

  /** The hop ended with a result; returns its outcome (`ok` or `tool_error`). */
  done(result: { isError?: boolean | undefined }): string {
    const outcome = result.isError === true ? 'tool_error' : 'ok'
    this.span?.end(outcome)
    return outcome
  }

  /** The hop failed with `err`; returns its outcome (the error's name, or the Cord error a JSON-RPC error names). */
  failed(err: unknown): string {
    const named = (err as { data?: { error?: unknown } } | undefined)?.data?.error
    const outcome = typeof named === 'string' ? named : ((err as Error | undefined)?.name ?? 'Error')
    this.span?.end(outcome, err)
    return outcome
  }
}

/** A node's tracing: spans when it has a `SpanFactory`, trace context passed on either way. */
export class Tracing {
  /** No spans: the trace context and call ID are passed on, nothing is recorded. */
  static readonly off: Tracing = new Tracing()
  private readonly spans: SpanFactory | undefined

  constructor(spans?: SpanFactory) {
    this.spans = spans
  }

  /** Whether spans are recorded. */
  get enabled(): boolean {
    return this.spans != null
  }

  /**
   * Begins hop `hop` of a call of `tool`: continues the call ID and trace context of `incoming` (the
   * `_meta` of the request that brought the call, or undefined where the call starts).
   */
  begin(hop: CallHop, tool: string, incoming: Record<string, unknown> | undefined, peer?: string): CallTrace {
    const callId = callIdOf(incoming) ?? newCallId()
    const meta: Record<string, unknown> = { [CALL_ID_META]: callId }
    if (this.spans == null) {
      passOn(incoming, meta)
      return new CallTrace(callId, meta, undefined)
    }
    const span = this.spans.start({ hop, tool, callId, ...(peer != null ? { peer } : {}) }, incoming, meta)
    return new CallTrace(callId, meta, span)
  }

  /** Sends the spans not yet exported and stops the processors. */
  async shutdown(): Promise<void> {
    await this.spans?.shutdown()
  }
}

/** Copies a valid trace context from `incoming` to `out`, unchanged (this node records no span). */
function passOn(incoming: Record<string, unknown> | undefined, out: Record<string, unknown>): void {
  const parent = incoming?.[TRACEPARENT_META]
  if (typeof parent !== 'string' || !TRACEPARENT_PATTERN.test(parent)) return
  out[TRACEPARENT_META] = parent
  const state = incoming?.[TRACESTATE_META]
  if (typeof state === 'string' && state.length <= MAX_TRACESTATE) out[TRACESTATE_META] = state
}

/**
 * The tracing of a node: off unless `init` names an OTLP endpoint or span processors. The
 * OpenTelemetry SDK is loaded only then (it costs memory a node without tracing has no use for).
 */
export async function createTracing(init: TracingInit, instance: string): Promise<Tracing> {
  const processors = [...(init.spanProcessors ?? [])]
  if (init.otlpEndpoint == null && processors.length === 0) return Tracing.off
  const { otelSpans } = await import('./otel.ts')
  return new Tracing(await otelSpans({ ...init, spanProcessors: processors }, instance))
}
