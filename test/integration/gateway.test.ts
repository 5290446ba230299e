/**
 * The MCP gateway over Streamable HTTP: an MCP SDK client at one daemon's gateway uses tools,
 * resources and prompts of a stdio server (server-everything) hosted on another node.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import {
  CreateMessageRequestSchema,
  LoggingMessageNotificationSchema,
  type Progress,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { pino } from 'pino'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/config/load.ts'
import { type Daemon, startDaemon } from '../../src/control/daemon.ts'
import { type CordNode, createNode } from '../../src/index.ts'
import { gatewayStack } from '../helpers/gateway-stack.ts'
import { Harness, waitFor } from '../helpers/harness.ts'

const modules = fileURLToPath(new URL('../../node_modules/', import.meta.url))
const EVERYTHING = join(modules, '@modelcontextprotocol/server-everything/dist/index.js')
/** A static document server-everything serves as demo://resource/static/document/features.md. */
const FEATURES_DOC = join(modules, '@modelcontextprotocol/server-everything/dist/docs/features.md')
const CANCEL_FIXTURE = fileURLToPath(new URL('../fixtures/cancel-server.mjs', import.meta.url))

describe('MCP gateway over Streamable HTTP', () => {
  const h = new Harness()
  let dir: string
  let host: CordNode
  let daemon: Daemon
  let client: Client
  const listChanged: number[] = []
  const sampled: string[] = []

  beforeAll(async () => {
    dir = await h.tempDir()
    host = await h.spawn({
      alias: 'tools-host',
      discovery: { heartbeatIntervalMs: 200 },
      servers: [
        { name: 'everything', command: process.execPath, args: [EVERYTHING, 'stdio'] },
        {
          name: 'fixture',
          command: process.execPath,
          args: [CANCEL_FIXTURE],
          env: { CANCEL_LOG: join(dir, 'cancel.log') },
        },
      ],
    })
    daemon = await startDaemon({
      dir: join(dir, 'gw'),
      node: {
        alias: 'gw',
        listen: ['/ip4/127.0.0.1/tcp/0'],
        bootstrap: [host.multiaddrs[0]!],
        discovery: { heartbeatIntervalMs: 200 },
      },
      controlListen: '127.0.0.1:0',
      gateway: parseConfig('', 'none').gateway,
      log: pino({ level: 'silent' }),
    })
    await waitFor(() => daemon.node.catalog().some((t) => t.name === 'everything__get-sum'))
    client = new Client({ name: 'test-agent', version: '1.0.0' }, { capabilities: { sampling: {} } })
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => void listChanged.push(Date.now()))
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
      sampled.push(JSON.stringify(req.params.messages))
      return { role: 'assistant', model: 'test', content: { type: 'text', text: 'from the agent' } }
    })
    await client.connect(
      new StreamableHTTPClientTransport(new URL(daemon.gatewayUrl!), {
        requestInit: { headers: { authorization: `Bearer ${daemon.gatewayToken}` } },
      }),
    )
  })

  afterAll(async () => {
    await client?.close()
    await daemon?.stop()
    await h.teardown()
  })

  it('lists the mesh tools with their providers and calls a bridged stdio tool on another node', async () => {
    const { tools } = await client.listTools()
    const sum = tools.find((t) => t.name === 'everything__get-sum')
    expect(sum?.description).toContain('served by tools-host')
    expect(sum?._meta?.['cord/providers']).toEqual([host.peerId])
    expect(tools.filter((t) => t.name === 'echo')).toHaveLength(1) // both nodes serve echo: shown once
    for (const t of tools) expect(t.name).toMatch(/^[A-Za-z0-9_-]{1,64}$/)
    const result = await client.callTool({ name: 'everything__get-sum', arguments: { a: 2, b: 3 } })
    expect(result.content).toEqual([{ type: 'text', text: 'The sum of 2 and 3 is 5.' }])
    expect(result._meta?.['cord/servedBy']).toBe(host.peerId)
  })

  it('keeps the serving side’s errors: bad arguments and unknown tools are JSON-RPC errors', async () => {
    await expect(
      client.callTool({ name: 'everything__get-sum', arguments: { a: 'two' } }),
    ).rejects.toMatchObject({ code: -32602 })
    await expect(client.callTool({ name: 'no-such-tool', arguments: {} })).rejects.toThrow(/unknown tool/)
  })

  it('passes progress notifications through to the client', async () => {
    const progress: Progress[] = []
    const result = await client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 0.4, steps: 4 } },
      undefined,
      { onprogress: (p) => progress.push(p) },
    )
    expect(JSON.stringify(result.content)).toMatch(/completed/)
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3, 4])
  })

  it("carries the client's cancel to the hosted server on the other node", async () => {
    const controller = new AbortController()
    const call = client.callTool({ name: 'fixture__wait', arguments: { id: 'g1' } }, undefined, {
      signal: controller.signal,
    })
    const log = (): string =>
      existsSync(join(dir, 'cancel.log')) ? readFileSync(join(dir, 'cancel.log'), 'utf8') : ''
    await waitFor(() => log().includes('started g1'))
    controller.abort(new Error('client gave up'))
    await expect(call).rejects.toThrow('client gave up')
    await waitFor(
      () =>
        existsSync(join(dir, 'cancel.log')) &&
        readFileSync(join(dir, 'cancel.log'), 'utf8').includes('cancelled g1'),
    )
  })

  it('relays a sampling request from the remote tool to the client', async () => {
    const result = await client.callTool({
      name: 'everything__trigger-sampling-request',
      arguments: { prompt: 'haiku', maxTokens: 10 },
    })
    expect(JSON.stringify(result)).toContain('from the agent')
    expect(sampled.at(-1)).toContain('haiku')
  })

  it("passes the remote server's logging messages through, tagged with the peer", async () => {
    const logs: Array<{ level: string; logger?: string }> = []
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(n.params))
    await client.setLoggingLevel('debug')
    await client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} })
    try {
      await waitFor(() => logs.length > 0)
      expect(logs[0]?.logger).toMatch(/^tools-host/)
    } finally {
      await client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} })
    }
  })

  it('lists and reads the resources and prompts of the mesh', async () => {
    const uri = `cord://${host.peerId}/demo://resource/static/document/features.md`
    const { resources } = await client.listResources()
    expect(resources.find((r) => r.uri === uri)).toMatchObject({ mimeType: 'text/markdown' })
    const read = await client.readResource({ uri })
    expect(read.contents).toEqual([
      { uri, mimeType: 'text/markdown', text: readFileSync(FEATURES_DOC, 'utf8') },
    ])
    const { prompts } = await client.listPrompts()
    expect(prompts.map((p) => p.name)).toContain('everything__args-prompt')
    const prompt = await client.getPrompt({ name: 'everything__args-prompt', arguments: { city: 'Lyon' } })
    expect(JSON.stringify(prompt.messages)).toContain('Lyon')
  })

  it('tells the client when a node with new tools joins', async () => {
    const before = listChanged.length
    // the joiner has its tool before it starts (h.spawn would start it at once); the harness stops it
    const joiner = await createNode({
      alias: 'joiner',
      listen: ['/ip4/127.0.0.1/tcp/0'],
      logLevel: 'silent',
      demoTools: false,
      discovery: { heartbeatIntervalMs: 200 },
      bootstrap: [host.multiaddrs[0]!],
    })
    h.nodes.push(joiner)
    joiner.registerTool(
      'shout',
      {
        description: 'Upper-cases text.',
        inputSchema: { type: 'object', properties: { text: { type: 'string' } } },
      },
      async (args) => ({ content: [{ type: 'text', text: String(args.text).toUpperCase() }] }),
    )
    await joiner.start()
    await waitFor(() => listChanged.length > before, 20_000)
    const { tools } = await client.listTools()
    expect(tools.find((t) => t.name === 'shout')?.description).toContain('served by joiner')
    const shout = await client.callTool({ name: 'shout', arguments: { text: 'hey' } })
    expect(shout.content).toEqual([{ type: 'text', text: 'HEY' }])
  })

  it('refuses a request whose Host header is not the gateway (DNS rebinding)', async () => {
    const url = new URL(daemon.gatewayUrl!)
    const { request } = await import('node:http')
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          path: '/mcp',
          method: 'POST',
          headers: { host: 'evil.example:80', 'content-type': 'application/json' },
        },
        (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        },
      )
      req.on('error', reject)
      req.end('{}')
    })
    expect(status).toBe(403)
    const origin = await fetch(url, {
      method: 'POST',
      headers: { origin: 'https://evil.example', 'content-type': 'application/json' },
      body: '{}',
    })
    expect(origin.status).toBe(403)
  })

  it('needs the gateway token on loopback too, and says how to send it', async () => {
    const initialize = JSON.stringify({
      jsonrpc: '2.0',
      id: 0,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } },
    })
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
    const anonymous = await fetch(daemon.gatewayUrl!, { method: 'POST', headers, body: initialize })
    expect(anonymous.status).toBe(401)
    const { error } = (await anonymous.json()) as { error: { message: string } }
    expect(error.message).toContain('no bearer token')
    expect(error.message).toContain('"Authorization: Bearer <token>"')
    expect(error.message).toContain(join(dir, 'gw', 'gateway.token'))
    expect(readFileSync(join(dir, 'gw', 'gateway.token'), 'utf8').trim()).toBe(daemon.gatewayToken)
    const wrong = await fetch(daemon.gatewayUrl!, {
      method: 'POST',
      headers: { ...headers, authorization: `Bearer ${'0'.repeat(64)}` },
      body: initialize,
    })
    expect(wrong.status).toBe(401)
    expect(await wrong.text()).toContain('wrong bearer token')
  })
})

describe('MCP gateway with require_token = false', () => {
  const h = new Harness()
  afterAll(() => h.teardown())

  it('lets local clients in without a token, and only on loopback', async () => {
    expect(() =>
      parseConfig(
        '[gateway]\nlisten = "0.0.0.0:0"\nallow_remote = true\nrequire_token = false\n',
        'config.toml',
      ),
    ).toThrow(/always needs its token/)
    const daemon = await startDaemon({
      dir: join(await h.tempDir(), 'open'),
      node: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      controlListen: '127.0.0.1:0',
      gateway: parseConfig('[gateway]\nrequire_token = false\n', 'config.toml').gateway,
      log: pino({ level: 'silent' }),
    })
    try {
      expect(daemon.gatewayToken).toBeUndefined()
      const client = new Client({ name: 't', version: '1' })
      await client.connect(new StreamableHTTPClientTransport(new URL(daemon.gatewayUrl!)))
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo')
      await client.close()
    } finally {
      await daemon.stop()
    }
  })
})

describe('MCP gateway on a catalog larger than max_tools', () => {
  const h = new Harness()
  afterAll(() => h.teardown())

  it('offers search, describe and call meta-tools instead of the catalog', async () => {
    const { InMemoryTransport } = await import('@modelcontextprotocol/sdk/inMemory.js')
    const { Gateway } = await import('../../src/gateway/gateway.ts')
    const node = await h.spawn()
    const gateway = new Gateway(node, { maxTools: 2 }, pino({ level: 'silent' }))
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
    await gateway.connect(serverSide)
    const client = new Client({ name: 't', version: '1' })
    await client.connect(clientSide)
    try {
      const { tools } = await client.listTools()
      expect(tools.map((t) => t.name)).toEqual([
        'cord_search_tools',
        'cord_describe_tool',
        'cord_call_tool',
        'cord_publish',
        'cord_send',
      ])
      expect(tools[0]?.description).toContain(`${node.catalog().length} tools`)
      const found = await client.callTool({ name: 'cord_search_tools', arguments: { query: 'sum numbers' } })
      expect((found.structuredContent as { matches: Array<{ name: string }> }).matches[0]?.name).toBe('add')
      const described = await client.callTool({ name: 'cord_describe_tool', arguments: { name: 'add' } })
      expect(described.structuredContent).toMatchObject({
        tool: { name: 'add', inputSchema: { required: ['a', 'b'] } },
      })
      const called = await client.callTool({
        name: 'cord_call_tool',
        arguments: { name: 'add', arguments: { a: 1, b: 2 } },
      })
      expect(called.structuredContent).toEqual({ sum: 3 })
      await expect(
        client.callTool({ name: 'cord_describe_tool', arguments: { name: 'nope' } }),
      ).rejects.toThrow(/no tool "nope"/)
      await expect(client.callTool({ name: 'cord_call_tool', arguments: {} })).rejects.toThrow(
        /"name" must be/,
      )
    } finally {
      await client.close()
      await gateway.close()
    }
  })
})

describe('MCP gateway off loopback', () => {
  let h: Harness
  beforeEach(() => {
    h = new Harness()
  })
  afterEach(() => h.teardown())

  it('needs allow_remote in config, and then a bearer token on every request', async () => {
    expect(() => parseConfig('[gateway]\nlisten = "0.0.0.0:0"\n', 'config.toml')).toThrow(/allow_remote/)
    expect(
      parseConfig('[gateway]\nlisten = "0.0.0.0:0"\nallow_remote = true\n', 'config.toml').gateway
        .allowRemote,
    ).toBe(true)
    const { url, close } = await gatewayStack(h, {
      listen: '0.0.0.0:0',
      token: 't'.repeat(64),
      allowedHosts: ['127.0.0.1'],
    })
    try {
      const anonymous = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      })
      expect(anonymous.status).toBe(401)
      const client = new Client({ name: 't', version: '1' })
      await client.connect(
        new StreamableHTTPClientTransport(url, {
          requestInit: { headers: { authorization: `Bearer ${'t'.repeat(64)}` } },
        }),
      )
      expect((await client.listTools()).tools.map((t) => t.name)).toContain('echo')
      await client.close()
    } finally {
      await close()
    }
  })

  it('closes sessions that see no request for idle_timeout_ms (an open event stream counts as a request)', async () => {
    const { gateway, http, url, close } = await gatewayStack(h, { idleTimeoutMs: 300 })
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }
    /** A client that initializes and goes away without ending its session (no DELETE, no event stream). */
    const initialize = async (name: string): Promise<string> => {
      const init = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name, version: '1' } },
        }),
      })
      await init.text()
      return init.headers.get('mcp-session-id')!
    }
    const expired = async (session: string): Promise<void> => {
      const late = await fetch(url, {
        method: 'POST',
        headers: { ...headers, 'mcp-session-id': session },
        body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
      })
      expect(late.status).toBe(404)
      expect(await late.text()).toMatch(/unknown or expired session/)
    }
    try {
      const gone = await initialize('gone')
      expect(http.sessionCount).toBe(1)
      await waitFor(() => http.sessionCount === 0, 5_000)
      expect(gateway.sessionCount).toBe(0)
      await expired(gone)

      // a client holding its event stream open is not idle
      let eventStreams = 0
      const live = new Client({ name: 't', version: '1' })
      await live.connect(
        new StreamableHTTPClientTransport(url, {
          fetch: async (input, init) => {
            const res = await fetch(input, init)
            if (init?.method === 'GET' && res.ok) eventStreams++
            return res
          },
        }),
      )
      await waitFor(() => eventStreams === 1, 5_000)
      // a session that sees its last request after the live one's: once the sweeper closes it, the
      // live session has been idle for longer than idle_timeout_ms but for its open event stream
      const idle = await initialize('idle')
      expect(http.sessionCount).toBe(2)
      await waitFor(() => http.sessionCount < 2, 5_000)
      expect(http.sessionCount).toBe(1)
      await expired(idle)
      expect((await live.listTools()).tools.length).toBeGreaterThan(0)
      expect(eventStreams).toBe(1)
      await live.close()
    } finally {
      await close()
    }
  })
})
