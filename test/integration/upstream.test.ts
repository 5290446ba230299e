/**
 * Hosted MCP servers served across the mesh: real servers from the npm registry
 * (server-everything, server-memory) as stdio children and over Streamable HTTP.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import {
  LoggingMessageNotificationSchema,
  type Progress,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ServerSettings } from '../../src/config/options.ts'
import { type CordNode, DEFAULT_MAX_FRAME_BYTES, MCP_PROTOCOL, StreamTransport } from '../../src/index.ts'
import { Harness, waitFor } from '../helpers/harness.ts'

const modules = fileURLToPath(new URL('../../node_modules/', import.meta.url))
const EVERYTHING = join(modules, '@modelcontextprotocol/server-everything/dist/index.js')
const MEMORY = join(modules, '@modelcontextprotocol/server-memory/dist/index.js')
/** A static document server-everything serves as demo://resource/static/document/features.md. */
const FEATURES_DOC = join(modules, '@modelcontextprotocol/server-everything/dist/docs/features.md')
const CANCEL_FIXTURE = fileURLToPath(new URL('../fixtures/cancel-server.mjs', import.meta.url))
/** How long to wait for child processes and hosted servers to come up or go away. */
const SLOW = 15_000

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

/** server-everything over Streamable HTTP on 127.0.0.1:`port`, once it listens. */
async function startHttpServer(port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [EVERYTHING, 'streamableHttp'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  let log = ''
  child.stderr?.on('data', (c) => {
    log += c
  })
  await waitFor(() => log.includes('listening'), SLOW)
  return child
}

describe('hosted MCP servers across the mesh', () => {
  const h = new Harness()
  let dir: string
  let host: CordNode
  let caller: CordNode
  let http: ChildProcess
  let httpPort: number

  beforeAll(async () => {
    dir = await h.tempDir()
    httpPort = await freePort()
    http = await startHttpServer(httpPort)
    const port = httpPort
    const servers: ServerSettings[] = [
      {
        name: 'everything',
        command: process.execPath,
        args: [EVERYTHING, 'stdio'],
        restartMinMs: 100,
        restartMaxMs: 200,
      },
      {
        name: 'memory',
        command: process.execPath,
        args: [MEMORY],
        env: { MEMORY_FILE_PATH: join(dir, 'memory.jsonl') },
      },
      { name: 'web', url: `http://127.0.0.1:${port}/mcp` },
      {
        name: 'fixture',
        command: process.execPath,
        args: [CANCEL_FIXTURE],
        env: { CANCEL_LOG: join(dir, 'cancel.log') },
      },
    ]
    host = await h.spawn({ servers })
    caller = await h.spawn({ bootstrap: [host.multiaddrs[0]!] })
  })

  afterAll(async () => {
    await h.teardown()
    http?.kill()
  })

  it('lists the tools of every hosted server under <server>__<tool>, beside its own', async () => {
    expect(host.status().upstreams.map((u) => [u.name, u.state])).toEqual([
      ['everything', 'ready'],
      ['memory', 'ready'],
      ['web', 'ready'],
      ['fixture', 'ready'],
    ])
    const names = (await caller.listTools(host.peerId)).map((t) => t.name)
    expect(names).toEqual(
      expect.arrayContaining([
        'echo',
        'everything__get-sum',
        'memory__read_graph',
        'web__get-sum',
        'fixture__wait',
      ]),
    )
  })

  it('calls a bridged stdio tool and an HTTP one, with structuredContent and isError passed through', async () => {
    const sum = await caller.callTool(host.peerId, 'everything__get-sum', { a: 2, b: 3 })
    expect(sum.content).toEqual([{ type: 'text', text: 'The sum of 2 and 3 is 5.' }])
    const web = await caller.callTool(host.peerId, 'web__get-sum', { a: 20, b: 22 })
    expect(web.content).toEqual([{ type: 'text', text: 'The sum of 20 and 22 is 42.' }])
    const structured = await caller.callTool(host.peerId, 'everything__get-structured-content', {
      location: 'Chicago',
    })
    expect(structured.structuredContent).toMatchObject({ temperature: expect.any(Number) })
    await expect(caller.callTool(host.peerId, 'everything__get-sum', { a: 'two' })).rejects.toMatchObject({
      name: 'InvalidToolArgumentsError',
    })
  })

  it('keeps state in server-memory across calls from another node', async () => {
    await caller.callTool(host.peerId, 'memory__create_entities', {
      entities: [{ name: 'cord', entityType: 'project', observations: ['a mesh for MCP tools'] }],
    })
    const graph = await caller.callTool(host.peerId, 'memory__read_graph', {})
    expect(JSON.stringify(graph)).toContain('a mesh for MCP tools')
  })

  it('lists and reads resources and templates, and gets prompts', async () => {
    const uri = 'demo://resource/static/document/features.md'
    const resources = await caller.listResources(host.peerId)
    expect(resources.find((r) => r.uri === uri)).toMatchObject({ mimeType: 'text/markdown' })
    const read = await caller.readResource(host.peerId, uri)
    expect(read.contents).toEqual([
      { uri, mimeType: 'text/markdown', text: readFileSync(FEATURES_DOC, 'utf8') },
    ])
    const templates = await caller.listResourceTemplates(host.peerId)
    expect(templates.map((t) => t.uriTemplate)).toContain('demo://resource/dynamic/text/{resourceId}')
    const dynamic = await caller.readResource(host.peerId, 'demo://resource/dynamic/text/7')
    expect(dynamic.contents[0]).toMatchObject({ uri: 'demo://resource/dynamic/text/7' })
    const prompts = (await caller.listPrompts(host.peerId)).map((p) => p.name)
    expect(prompts).toEqual(expect.arrayContaining(['everything__simple-prompt', 'everything__args-prompt']))
    const prompt = await caller.getPrompt(host.peerId, 'everything__args-prompt', { city: 'Lyon' })
    expect(JSON.stringify(prompt.messages)).toContain('Lyon')
    await expect(caller.readResource(host.peerId, 'nowhere://x')).rejects.toMatchObject({
      message: expect.stringMatching(/unknown resource/),
    })
  })

  it("delivers the hosted server's progress notifications to the remote caller", async () => {
    const progress: Progress[] = []
    const result = await caller.callTool(
      host.peerId,
      'everything__trigger-long-running-operation',
      { duration: 0.4, steps: 4 },
      { onprogress: (p) => progress.push(p) },
    )
    expect(result.content[0]).toMatchObject({ text: expect.stringMatching(/completed/) })
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3, 4])
    expect(progress.every((p) => p.total === 4)).toBe(true)
  })

  it('carries a cancel through the mesh to the hosted server', async () => {
    const controller = new AbortController()
    const call = caller.callTool(host.peerId, 'fixture__wait', { id: 'c1' }, { signal: controller.signal })
    // the hosted server has the call (a cancel read before the call would have nothing to cancel)
    await waitFor(
      () =>
        existsSync(join(dir, 'cancel.log')) &&
        readFileSync(join(dir, 'cancel.log'), 'utf8').includes('started c1'),
      SLOW,
    )
    controller.abort(new Error('stop it'))
    await expect(call).rejects.toThrow('stop it')
    await waitFor(
      () =>
        existsSync(join(dir, 'cancel.log')) &&
        readFileSync(join(dir, 'cancel.log'), 'utf8').includes('cancelled c1'),
      SLOW,
    )
    // and so does a timeout
    await expect(
      caller.callTool(host.peerId, 'fixture__wait', { id: 'c2' }, { timeout: 300 }),
    ).rejects.toMatchObject({ name: 'CallTimeoutError' })
    await waitFor(() => readFileSync(join(dir, 'cancel.log'), 'utf8').includes('cancelled c2'), SLOW)
  })

  it('relays sampling and elicitation to a caller that declared them, and refuses them otherwise', async () => {
    const asked: string[] = []
    const agent = await h.spawn({
      bootstrap: [host.multiaddrs[0]!],
      clientHandlers: {
        sampling: async (params) => {
          asked.push(JSON.stringify(params.messages))
          return { role: 'assistant', model: 'test-model', content: { type: 'text', text: 'sampled answer' } }
        },
        elicitation: async () => ({ action: 'accept', content: { name: 'Ada' } }),
      },
    })
    const sampled = await agent.callTool(host.peerId, 'everything__trigger-sampling-request', {
      prompt: 'haiku',
      maxTokens: 10,
    })
    expect(JSON.stringify(sampled)).toContain('sampled answer')
    expect(asked[0]).toContain('haiku')
    // `caller` declared no sampling: the hosted server's request is refused, and the tool says so
    const refused = await caller
      .callTool(host.peerId, 'everything__trigger-sampling-request', { prompt: 'haiku' })
      .then(
        (r) => JSON.stringify(r),
        (e: Error) => e.message,
      )
    expect(refused).toMatch(/did not declare the sampling capability/)
  })

  it('fails a call promptly when the child dies, restarts it, and serves the next call', async () => {
    const before = host.status().upstreams.find((u) => u.name === 'everything')!
    const pid = before.pid!
    const call = caller.callTool(host.peerId, 'everything__trigger-long-running-operation', {
      duration: 30,
      steps: 3,
    })
    await waitFor(() => host.status().activeCalls.inbound > 0, SLOW)
    const started = Date.now()
    process.kill(pid, 'SIGKILL')
    await expect(call).rejects.toMatchObject({ name: 'UpstreamUnavailableError' })
    expect(Date.now() - started).toBeLessThan(5_000)
    const after = await waitFor(
      () => host.status().upstreams.find((u) => u.name === 'everything' && u.state === 'ready'),
      SLOW,
    )
    expect(after.restarts).toBe(before.restarts + 1)
    expect(after.pid).not.toBe(pid)
    const sum = await caller.callTool(host.peerId, 'everything__get-sum', { a: 1, b: 1 })
    expect(sum.content).toEqual([{ type: 'text', text: 'The sum of 1 and 1 is 2.' }])
  })

  it('marks a server that keeps dying as failed, and its tools leave the catalog', async () => {
    const node = await h.spawn({
      servers: [
        {
          name: 'broken',
          command: process.execPath,
          args: ['-e', 'process.exit(3)'],
          maxRestarts: 2,
          restartMinMs: 20,
          restartMaxMs: 40,
        },
      ],
    })
    const status = await waitFor(() => node.status().upstreams.find((u) => u.state === 'failed'), SLOW)
    expect(status).toMatchObject({ name: 'broken', restarts: 2 })
    expect(node.status().tools).toBe(4) // the demo tools only
  })

  it('gives a plain MCP client on another node logging, list_changed, pagination and completions', async () => {
    const stream = await caller.libp2p.dialProtocol(host.libp2p.peerId, MCP_PROTOCOL)
    const client = new Client({ name: 'plain-sdk-client', version: '1.0.0' })
    const logs: Array<{ level: string }> = []
    let toolsChanged = 0
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      logs.push(n.params)
    })
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      toolsChanged++
    })
    await client.connect(
      new StreamTransport(stream, { maxFrameBytes: DEFAULT_MAX_FRAME_BYTES, role: 'client' }),
    )
    await client.setLoggingLevel('debug')
    await client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} })
    await waitFor(() => logs.length > 0, SLOW)
    await client.callTool({ name: 'everything__toggle-simulated-logging', arguments: {} })

    const removers = Array.from({ length: 150 }, (_, i) =>
      host.registerTool(`bulk_${i}`, {}, () => ({ content: [] })),
    )
    await waitFor(() => toolsChanged > 0, SLOW)
    const first = await client.listTools()
    expect(first.tools).toHaveLength(100)
    expect(first.nextCursor).toEqual(expect.any(String))
    // the pages after it hold the rest, each tool once
    const paged = first.tools.map((t) => t.name)
    for (let cursor = first.nextCursor; cursor != null; ) {
      const page = await client.listTools({ cursor })
      paged.push(...page.tools.map((t) => t.name))
      cursor = page.nextCursor
    }
    expect(new Set(paged).size).toBe(paged.length)
    expect(paged.filter((n) => n.startsWith('bulk_'))).toHaveLength(150)
    expect((await caller.listTools(host.peerId)).filter((t) => t.name.startsWith('bulk_'))).toHaveLength(150)
    for (const remove of removers) remove()

    const completion = await client.complete({
      ref: { type: 'ref/prompt', name: 'everything__completable-prompt' },
      argument: { name: 'department', value: 'Eng' },
    })
    expect(completion.completion.values).toEqual(['Engineering'])
    await client.close()
  })

  it('notices an HTTP server that went away, drops its tools, and takes it back when it returns', async () => {
    http.kill('SIGKILL')
    await new Promise((resolve) => http.once('exit', resolve))
    const failed = await caller.callTool(host.peerId, 'web__get-sum', { a: 1, b: 2 }).then(
      () => undefined,
      (e: Error) => e,
    )
    // the call meets the dead server (unavailable), or a host that already noticed from the closed
    // event stream and dropped its tools (unknown tool): either way it fails plainly
    expect(['UpstreamUnavailableError', 'UnknownToolError']).toContain(failed?.name)
    const down = await waitFor(
      () => host.status().upstreams.find((u) => u.name === 'web' && u.state === 'restarting'),
      SLOW,
    )
    expect(down.tools).toBe(0)
    expect((await caller.listTools(host.peerId)).some((t) => t.name.startsWith('web__'))).toBe(false)
    http = await startHttpServer(httpPort)
    await waitFor(() => host.status().upstreams.find((u) => u.name === 'web' && u.state === 'ready'), 20_000)
    const sum = await caller.callTool(host.peerId, 'web__get-sum', { a: 2, b: 2 })
    expect(sum.content).toEqual([{ type: 'text', text: 'The sum of 2 and 2 is 4.' }])
  })

  it("writes a child's stderr to the node's log, tagged with the server name", async () => {
    const lines: Array<Record<string, unknown>> = []
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
        done()
      },
    })
    const node = await h.spawn({
      logger: pino({ level: 'info' }, sink),
      servers: [
        {
          name: 'chatty',
          command: process.execPath,
          args: ['-e', "console.error('hello from the child'); process.exit(2)"],
          maxRestarts: 0,
        },
      ],
    })
    await waitFor(() => node.status().upstreams[0]?.state === 'failed', SLOW)
    expect(lines).toContainEqual(
      expect.objectContaining({ server: 'chatty', stream: 'stderr', msg: 'hello from the child' }),
    )
    expect(node.status().upstreams[0]).toMatchObject({
      state: 'failed',
      lastError: 'exited with code 2 before the MCP handshake',
    })
  })

  it('leaves no child process behind when the node stops', async () => {
    const pids = host.status().upstreams.flatMap((u) => (u.pid != null ? [u.pid] : []))
    expect(pids).toHaveLength(3)
    await host.stop()
    await waitFor(() => pids.every((pid) => !alive(pid)), 10_000)
  })
})
