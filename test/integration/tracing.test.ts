/**
 * Traces across hops: one call from an MCP client through the gateway of node A, the mesh hop to
 * node B and B's hosted stdio server is one trace — gateway (server) → A's call (client) → B's
 * served call (server) → B's call to the hosted server (client) — and the hosted server gets the
 * trace context of that last span. Each node has its own span processor (in-memory exporter). The
 * call's ID is on every span, on both nodes' log lines and in the error that fails a call.
 */
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { SpanKind } from '@opentelemetry/api'
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace'
import { pino } from 'pino'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { CordNode } from '../../src/index.ts'
import { type GatewayStack, gatewayStack } from '../helpers/gateway-stack.ts'
import { failure, Harness, waitFor } from '../helpers/harness.ts'

const META_FIXTURE = fileURLToPath(new URL('../fixtures/meta-server.mjs', import.meta.url))
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/

/** A debug logger whose JSON lines land in `lines`. */
function capture(lines: Array<Record<string, unknown>>): pino.Logger {
  return pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) })
}

const spanId = (s: ReadableSpan): string => s.spanContext().spanId
const traceId = (s: ReadableSpan): string => s.spanContext().traceId
const parentOf = (s: ReadableSpan): string | undefined => s.parentSpanContext?.spanId

describe('traces across hops', () => {
  const h = new Harness()
  const spansA = new InMemorySpanExporter()
  const spansB = new InMemorySpanExporter()
  const logsA: Array<Record<string, unknown>> = []
  const logsB: Array<Record<string, unknown>> = []
  let a: GatewayStack
  let b: CordNode
  let client: Client
  let tool: string

  beforeAll(async () => {
    b = await h.spawn({
      alias: 'b',
      discovery: { heartbeatIntervalMs: 200 },
      servers: [{ name: 'meta', command: process.execPath, args: [META_FIXTURE] }],
      logger: capture(logsB),
      tracing: { spanProcessors: [new SimpleSpanProcessor({ exporter: spansB })] },
    })
    await waitFor(() => b.status().upstreams[0]?.state === 'ready')
    a = await gatewayStack(
      h,
      {},
      {
        alias: 'a',
        bootstrap: [b.multiaddrs[0]!],
        discovery: { heartbeatIntervalMs: 200 },
        logger: capture(logsA),
        tracing: { spanProcessors: [new SimpleSpanProcessor({ exporter: spansA })] },
      },
    )
    client = new Client({ name: 'tracing-test', version: '1.0.0' })
    await client.connect(new StreamableHTTPClientTransport(a.url))
    tool = await waitFor(async () =>
      (await client.listTools()).tools.map((t) => t.name).find((n) => n.includes('echo_meta')),
    )
  })

  afterAll(async () => {
    await client?.close()
    await a?.close()
    await h.teardown()
  })

  beforeEach(() => {
    spansA.reset()
    spansB.reset()
  })

  /** Calls the fixture's tool through the gateway; returns the `_meta` the hosted server got. */
  async function callThrough(meta?: Record<string, unknown>): Promise<Record<string, string>> {
    const result = (await client.callTool({
      name: tool,
      arguments: {},
      ...(meta != null ? { _meta: meta } : {}),
    })) as CallToolResult
    expect(result.isError, JSON.stringify(result.content)).toBeFalsy()
    const item = result.content[0]
    return JSON.parse(item?.type === 'text' ? item.text : '{}') as Record<string, string>
  }

  /** The four spans of one call, once each node has ended its own. */
  async function chain(): Promise<Record<'gateway' | 'outbound' | 'inbound' | 'hosted', ReadableSpan>> {
    const all = await waitFor(() => {
      const spans = [...spansA.getFinishedSpans(), ...spansB.getFinishedSpans()]
      return spans.length >= 4 && spans
    })
    const hop = (name: string): ReadableSpan => {
      const found = all.filter((s) => s.attributes['cord.hop'] === name)
      expect(found, `one ${name} span`).toHaveLength(1)
      return found[0]!
    }
    return {
      gateway: hop('gateway'),
      outbound: hop('outbound'),
      inbound: hop('inbound'),
      hosted: hop('hosted'),
    }
  }

  it('makes one call one trace: gateway → node A → node B → hosted server', async () => {
    const received = await callThrough()
    const { gateway, outbound, inbound, hosted } = await chain()
    expect(
      spansA
        .getFinishedSpans()
        .map((s) => s.attributes['cord.hop'])
        .sort(),
    ).toEqual(['gateway', 'outbound'])
    expect(
      spansB
        .getFinishedSpans()
        .map((s) => s.attributes['cord.hop'])
        .sort(),
    ).toEqual(['hosted', 'inbound'])
    expect([gateway.kind, outbound.kind, inbound.kind, hosted.kind]).toEqual([
      SpanKind.SERVER,
      SpanKind.CLIENT,
      SpanKind.SERVER,
      SpanKind.CLIENT,
    ])
    // one trace, each span the child of the one before
    expect(new Set([gateway, outbound, inbound, hosted].map(traceId)).size).toBe(1)
    expect(parentOf(gateway)).toBeUndefined()
    expect(parentOf(outbound)).toBe(spanId(gateway))
    expect(parentOf(inbound)).toBe(spanId(outbound))
    expect(parentOf(hosted)).toBe(spanId(inbound))
    // the hosted server got the trace context of B's client span, and the call's ID
    const [, trace, parent] = TRACEPARENT.exec(received.traceparent ?? '') ?? []
    expect(trace).toBe(traceId(hosted))
    expect(parent).toBe(spanId(hosted))
    const callId = gateway.attributes['cord.call_id']
    expect(callId).toMatch(/^[0-9a-f]{16}$/)
    expect(received['cord/callId']).toBe(callId)
    for (const span of [outbound, inbound, hosted]) {
      expect(span.attributes).toMatchObject({
        'rpc.system': 'mcp',
        'cord.call_id': callId,
        'cord.outcome': 'ok',
      })
    }
    expect(outbound.attributes['cord.peer']).toBe(b.peerId)
    expect(inbound.attributes['cord.peer']).toBe(a.node.peerId)
    expect(hosted.attributes['gen_ai.tool.name']).toBe('echo_meta')
    expect(inbound.resource.attributes['service.instance.id']).toBe(b.peerId)
  })

  it('continues the trace and call ID an MCP client sends', async () => {
    const traceIdIn = '4bf92f3577b34da6a3ce929d0e0e4736'
    const parentIn = '00f067aa0ba902b7'
    const received = await callThrough({
      traceparent: `00-${traceIdIn}-${parentIn}-01`,
      tracestate: 'vendor=abc',
      'cord/callId': 'client-call-7',
    })
    const { gateway, hosted } = await chain()
    expect(traceId(gateway)).toBe(traceIdIn)
    expect(parentOf(gateway)).toBe(parentIn)
    expect(traceId(hosted)).toBe(traceIdIn)
    expect(received.traceparent).toMatch(new RegExp(`^00-${traceIdIn}-${spanId(hosted)}-01$`))
    expect(received.tracestate).toBe('vendor=abc')
    expect(received['cord/callId']).toBe('client-call-7')
    expect(hosted.attributes['cord.call_id']).toBe('client-call-7')
  })

  it('names the call in both nodes’ log lines and in the error that fails it', async () => {
    const { error } = await failure(a.node.callTool(b.peerId, 'no_such_tool', {}))
    expect(error.name).toBe('UnknownToolError')
    const callId = (error as { callId?: string }).callId
    expect(callId).toMatch(/^[0-9a-f]{16}$/)
    expect(error.message).toContain(`(call ${callId})`)
    const sent = await waitFor(() => logsA.find((l) => l.call === callId && l.msg === 'call done'))
    const served = await waitFor(() => logsB.find((l) => l.call === callId && l.msg === 'call served'))
    expect(sent).toMatchObject({ peer: b.peerId, tool: 'no_such_tool', outcome: 'UnknownToolError' })
    expect(served).toMatchObject({ peer: a.node.peerId, tool: 'no_such_tool', outcome: 'UnknownToolError' })
    const [outbound] = await waitFor(() => spansA.getFinishedSpans().length > 0 && spansA.getFinishedSpans())
    expect(outbound?.attributes).toMatchObject({ 'cord.call_id': callId, 'cord.outcome': 'UnknownToolError' })
    expect(outbound?.status.code).toBe(2) // SpanStatusCode.ERROR
  })
})
