/**
 * The gateway's HTTP sessions: clients that go away without ending their session (the MCP SDK's
 * `Client.close()` sends no DELETE) never lock later clients out, and event streams can be resumed
 * with Last-Event-ID.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type GatewayStack, gatewayStack } from '../helpers/gateway-stack.ts'
import { Harness, waitFor } from '../helpers/harness.ts'

const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }

/** One server-sent event. */
interface SseEvent {
  id?: string
  retry?: number
  data: string
}

/** Reads the events of an event stream until `enough` says so (or the stream ends). */
async function readEvents(res: Response, enough: (events: SseEvent[]) => boolean): Promise<SseEvent[]> {
  const events: SseEvent[] = []
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader()
  let buffer = ''
  while (!enough(events)) {
    const { value, done } = await reader.read()
    if (done) break
    buffer += value
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const event: SseEvent = { data: '' }
      for (const line of buffer.slice(0, end).split('\n')) {
        const [field, ...rest] = line.split(':')
        const text = rest.join(':').replace(/^ /, '')
        if (field === 'id') event.id = text
        else if (field === 'retry') event.retry = Number(text)
        else if (field === 'data') event.data += text
      }
      buffer = buffer.slice(end + 2)
      if (event.id != null || event.data !== '') events.push(event)
    }
  }
  await reader.cancel().catch(() => {})
  return events
}

/** Initializes a session over plain HTTP at protocol version 2025-11-25; its session ID. */
async function initialize(url: URL): Promise<string> {
  const res = await fetch(url, {
    method: 'POST',
    headers: HEADERS,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
    }),
  })
  await res.text()
  const session = res.headers.get('mcp-session-id')!
  const headers = { ...HEADERS, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' }
  const done = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }),
  })
  await done.text()
  return session
}

describe('gateway sessions', () => {
  const h = new Harness()
  let stack: GatewayStack

  beforeAll(async () => {
    stack = await gatewayStack(h, { maxSessions: 32 })
  })
  afterAll(async () => {
    await stack?.close()
    await h.teardown()
  })

  it('gives a session to each of 200 clients in a row that close without DELETE', async () => {
    for (let i = 0; i < 200; i++) {
      const client = new Client({ name: `agent-${i}`, version: '1.0.0' })
      await client.connect(new StreamableHTTPClientTransport(stack.url))
      const { tools } = await client.listTools()
      expect(tools.map((t) => t.name)).toContain('echo')
      await client.close() // no DELETE: the session stays behind
    }
    expect(stack.http.sessionCount).toBeLessThanOrEqual(32)
    expect(stack.http.sessionCount).toBeGreaterThan(1)
  })

  it('refuses a newcomer only when every session is busy', async () => {
    const small = await gatewayStack(h, { maxSessions: 2 })
    const live: Client[] = []
    try {
      let streams = 0
      for (let i = 0; i < 2; i++) {
        const client = new Client({ name: `live-${i}`, version: '1.0.0' })
        await client.connect(
          new StreamableHTTPClientTransport(small.url, {
            fetch: async (input, init) => {
              const res = await fetch(input, init)
              if (init?.method === 'GET' && res.ok) streams++
              return res
            },
          }),
        )
        live.push(client)
      }
      // both hold their event stream open: busy
      await waitFor(() => streams === 2, 5_000)
      const refused = await fetch(small.url, {
        method: 'POST',
        headers: HEADERS,
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 0,
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 'x', version: '1' },
          },
        }),
      })
      expect(refused.status).toBe(503)
      expect(await refused.text()).toMatch(/all 2 gateway sessions are busy/)
      // one of them goes away without DELETE: its session is idle, so a newcomer gets its place
      await live.shift()!.close()
      const newcomer = new Client({ name: 'newcomer', version: '1.0.0' })
      await waitFor(async () => {
        await newcomer.connect(new StreamableHTTPClientTransport(small.url))
        return true
      }, 5_000)
      expect((await newcomer.listTools()).tools.length).toBeGreaterThan(0)
      expect((await live[0]!.listTools()).tools.length).toBeGreaterThan(0) // the busy one was kept
      live.push(newcomer)
    } finally {
      await Promise.allSettled(live.map((c) => c.close()))
      await small.close()
    }
  })

  it('resumes a broken event stream with Last-Event-ID: the answer sent meanwhile arrives', async () => {
    const session = await initialize(stack.url)
    const headers = { ...HEADERS, 'mcp-session-id': session, 'mcp-protocol-version': '2025-11-25' }
    const aborted = new AbortController()
    const call = await fetch(stack.url, {
      method: 'POST',
      headers,
      signal: aborted.signal,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'sleep', arguments: { ms: 300 } },
      }),
    })
    expect(call.headers.get('content-type')).toMatch(/text\/event-stream/)
    // the stream opens with a priming event: an id to resume from, and how long to wait
    const [priming] = await readEvents(call, (events) => events.length > 0)
    expect(priming).toMatchObject({ data: '', retry: 1000 })
    expect(priming?.id).toBeTruthy()
    aborted.abort() // the connection breaks before the answer
    await waitFor(() => stack.node.status().activeCalls.inbound === 0, 5_000)

    const resumed = await fetch(stack.url, {
      method: 'GET',
      headers: { ...headers, accept: 'text/event-stream', 'last-event-id': priming!.id! },
    })
    expect(resumed.status).toBe(200)
    const [answer] = await readEvents(resumed, (events) => events.length > 0)
    expect(JSON.parse(answer!.data)).toMatchObject({
      id: 1,
      result: { content: [{ type: 'text', text: 'slept 300 ms' }] },
    })

    const unknown = await fetch(stack.url, {
      method: 'GET',
      headers: { ...headers, accept: 'text/event-stream', 'last-event-id': 'no-such-event' },
    })
    expect(unknown.status).toBe(400)
    expect(await unknown.text()).toMatch(/cannot resume after event no-such-event/)
  })
})
