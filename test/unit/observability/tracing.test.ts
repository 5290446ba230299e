import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace'
import { describe, expect, it } from 'vitest'
import { CallTimeoutError, type CordError, NodeStoppingError } from '../../../src/errors.ts'
import { CALL_ID_META, callIdOf, newCallId, withCallId } from '../../../src/observability/call-id.ts'
import { createTracing, Tracing } from '../../../src/observability/tracing.ts'

const PARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'

describe('call IDs', () => {
  it('are 16 hex digits, new each time', () => {
    const ids = new Set(Array.from({ length: 1000 }, newCallId))
    expect(ids.size).toBe(1000)
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{16}$/)
  })

  it('are taken from _meta only when they are safe to log', () => {
    expect(callIdOf({ [CALL_ID_META]: 'abc-1.2:3_4' })).toBe('abc-1.2:3_4')
    expect(callIdOf({ [CALL_ID_META]: 'two\nlines' })).toBeUndefined()
    expect(callIdOf({ [CALL_ID_META]: 'x'.repeat(65) })).toBeUndefined()
    expect(callIdOf({ [CALL_ID_META]: 42 })).toBeUndefined()
    expect(callIdOf(undefined)).toBeUndefined()
  })

  it('go into a copy of a Cord error, once, leaving the original as it was', () => {
    const shared = new NodeStoppingError('node X is stopping')
    const one = withCallId(shared, 'aaaa') as CordError
    const two = withCallId(shared, 'bbbb') as CordError
    expect(shared.message).toBe('node X is stopping')
    expect(shared.callId).toBeUndefined()
    expect(one).toBeInstanceOf(NodeStoppingError)
    expect([one.name, one.kind, one.code]).toEqual([shared.name, shared.kind, shared.code])
    expect(one.message).toBe('node X is stopping (call aaaa)')
    expect(one.callId).toBe('aaaa')
    expect(two.message).toBe('node X is stopping (call bbbb)')
    expect(one.stack).toContain('(call aaaa)')
    expect(withCallId(one, 'cccc')).toBe(one)
    const plain = new Error('aborted')
    expect(withCallId(plain, 'aaaa')).toBe(plain)
  })
})

describe('tracing off', () => {
  it('passes a valid trace context on unchanged, with the call ID', () => {
    const hop = Tracing.off.begin('inbound', 'echo', {
      traceparent: PARENT,
      tracestate: 'k=v',
      [CALL_ID_META]: 'c1',
    })
    expect(hop.callId).toBe('c1')
    expect(hop.meta).toEqual({ traceparent: PARENT, tracestate: 'k=v', [CALL_ID_META]: 'c1' })
    expect(hop.done({ isError: true })).toBe('tool_error')
  })

  it('drops a malformed traceparent (and its tracestate) and makes a call ID', () => {
    for (const bad of [
      '00-xyz',
      `01${PARENT.slice(2)}`,
      '00-00000000000000000000000000000000-00f067aa0ba902b7-01',
      7,
    ]) {
      const hop = Tracing.off.begin('outbound', 'echo', { traceparent: bad, tracestate: 'k=v' })
      expect(hop.meta).toEqual({ [CALL_ID_META]: hop.callId })
    }
  })

  it('is what a node without an endpoint or processors gets', async () => {
    expect(await createTracing({ serviceName: 'x' }, 'peer')).toBe(Tracing.off)
  })
})

describe('tracing on', () => {
  it('starts a child of the incoming context and sends its own on; records errors', async () => {
    const exporter = new InMemorySpanExporter()
    const tracing = await createTracing({ spanProcessors: [new SimpleSpanProcessor({ exporter })] }, 'peer')
    expect(tracing.enabled).toBe(true)
    const hop = tracing.begin('hosted', 'echo', { traceparent: PARENT }, 'memory')
    const failed = new CallTimeoutError('too slow')
    expect(hop.failed(failed)).toBe('CallTimeoutError')
    const [span] = exporter.getFinishedSpans()
    expect(span?.parentSpanContext?.spanId).toBe('00f067aa0ba902b7')
    expect(hop.meta.traceparent).toBe(`00-4bf92f3577b34da6a3ce929d0e0e4736-${span?.spanContext().spanId}-01`)
    expect(span?.attributes).toMatchObject({ 'cord.outcome': 'CallTimeoutError', 'cord.peer': 'memory' })
    expect(span?.status.code).toBe(2)
    expect(span?.events.map((e) => e.name)).toEqual(['exception'])
    await tracing.shutdown()
  })
})
