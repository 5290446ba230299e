/**
 * The OpenTelemetry side of tracing, loaded only when a node traces (tracing.ts): one tracer
 * provider per node — never the process's global one, since several nodes may share a process — a
 * tracer named `cord`, and the W3C propagator, which reads and writes the trace context of a plain
 * `_meta` object with no global propagator or context manager set.
 */
import {
  type Attributes,
  type Context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BatchSpanProcessor, type SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { DEFAULT_SERVICE_NAME, VERSION } from '../constants.ts'
import type { HopFacts, HopSpan, SpanFactory, TracingInit } from './tracing.ts'

/** The name of the tracer of every span Cord makes. */
export const TRACER_NAME = 'cord'

/** Each hop's span: its kind and its name (`<method> <tool>`, as OpenTelemetry's RPC spans are named). */
const HOPS = {
  gateway: { kind: SpanKind.SERVER, prefix: 'gateway' },
  outbound: { kind: SpanKind.CLIENT, prefix: 'mesh' },
  inbound: { kind: SpanKind.SERVER, prefix: 'mesh' },
  hosted: { kind: SpanKind.CLIENT, prefix: 'hosted' },
} as const

const propagator = new W3CTraceContextPropagator()

/** A span of one hop. */
class OtelHopSpan implements HopSpan {
  private readonly span: Span

  constructor(span: Span) {
    this.span = span
  }

  setPeer(peer: string): void {
    this.span.setAttribute('cord.peer', peer)
  }

  end(outcome: string, err?: unknown): void {
    this.span.setAttribute('cord.outcome', outcome)
    if (err != null) {
      this.span.recordException(err instanceof Error ? err : String(err))
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: (err as Error).message ?? String(err) })
    } else if (outcome !== 'ok') {
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: 'the tool returned an error result' })
    }
    this.span.end()
  }
}

/** Spans of one node, from its own tracer provider. */
class OtelSpans implements SpanFactory {
  private readonly provider: TracerProvider
  private readonly tracer: Tracer

  constructor(provider: TracerProvider) {
    this.provider = provider
    this.tracer = provider.getTracer(TRACER_NAME, VERSION)
  }

  start(facts: HopFacts, parent: Record<string, unknown> | undefined, out: Record<string, unknown>): HopSpan {
    const hop = HOPS[facts.hop]
    const attributes: Attributes = {
      'rpc.system': 'mcp',
      'rpc.method': 'tools/call',
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': facts.tool,
      'cord.hop': facts.hop,
      'cord.call_id': facts.callId,
    }
    if (facts.peer != null) attributes['cord.peer'] = facts.peer
    const context: Context =
      parent != null ? propagator.extract(ROOT_CONTEXT, parent, defaultTextMapGetter) : ROOT_CONTEXT
    const span = this.tracer.startSpan(
      `${hop.prefix} tools/call ${facts.tool}`,
      { kind: hop.kind, attributes },
      context,
    )
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), out, defaultTextMapSetter)
    return new OtelHopSpan(span)
  }

  async shutdown(): Promise<void> {
    await this.provider.shutdown()
  }
}

/** The spans of a node whose tracing is on; `instance` (its peer ID) becomes `service.instance.id`. */
export async function otelSpans(init: TracingInit, instance: string): Promise<SpanFactory> {
  const processors: SpanProcessor[] = [...(init.spanProcessors ?? [])]
  if (init.otlpEndpoint != null) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http')
    processors.push(new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: init.otlpEndpoint }) }))
  }
  const provider = new TracerProvider({
    resource: resourceFromAttributes({
      'service.name': init.serviceName ?? DEFAULT_SERVICE_NAME,
      'service.version': VERSION,
      'service.instance.id': instance,
    }),
    spanProcessors: processors,
  })
  return new OtelSpans(provider)
}
