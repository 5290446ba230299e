/**
 * End to end: MCP clients use the mesh through the gateway of a `cord` daemon. An MCP SDK client
 * runs `cord mcp` as a stdio server; the MCP Inspector's CLI talks to the Streamable HTTP endpoint.
 * The tools come from server-everything, hosted as a stdio child by another daemon.
 */
import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js'
import type { Progress } from '@modelcontextprotocol/sdk/types.js'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, type CliResult, cord, expectCli, type RunningDaemon, startDaemon } from '../helpers/cli.ts'
import { waitFor } from '../helpers/harness.ts'

const modules = fileURLToPath(new URL('../../node_modules/', import.meta.url))
const EVERYTHING = join(modules, '@modelcontextprotocol/server-everything/dist/index.js')
/** A static document server-everything serves as demo://resource/static/document/features.md. */
const FEATURES_DOC = join(modules, '@modelcontextprotocol/server-everything/dist/docs/features.md')
const INSPECTOR = join(modules, '.bin/mcp-inspector')
const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0']

/** Runs the MCP Inspector's CLI: `--cli ARGS…`. */
function inspector(args: string[], home: string): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      INSPECTOR,
      ['--cli', ...args],
      { timeout: 60_000, env: { ...process.env, HOME: home } },
      (err, stdout, stderr) =>
        resolve({ code: err == null ? 0 : typeof err.code === 'number' ? err.code : -1, stdout, stderr }),
    )
  })
}

describe('MCP gateway end to end', () => {
  let root: string
  const daemons: Record<string, RunningDaemon> = {}
  let client: Client

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cord-e2e-gw-'))
    await mkdir(join(root, 'host'))
    await writeFile(
      join(root, 'host', 'config.toml'),
      [
        '[discovery]',
        'heartbeat_interval_ms = 300',
        '',
        '[[servers]]',
        'name = "everything"',
        `command = ${JSON.stringify(process.execPath)}`,
        `args = [${JSON.stringify(EVERYTHING)}, "stdio"]`,
        '',
      ].join('\n'),
    )
    daemons.host = await startDaemon(['--dir', join(root, 'host'), '--alias', 'host', ...LOOPBACK])
    await mkdir(join(root, 'agent'))
    await writeFile(join(root, 'agent', 'config.toml'), '[discovery]\nheartbeat_interval_ms = 300\n')
    daemons.agent = await startDaemon([
      '--dir',
      join(root, 'agent'),
      '--alias',
      'agent',
      ...LOOPBACK,
      '--bootstrap',
      daemons.host.info.addrs[0]!,
    ])
    client = new Client({ name: 'e2e-agent', version: '1.0.0' })
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [CLI, 'mcp', '--dir', join(root, 'agent')],
        stderr: 'pipe',
      }),
    )
    // The agent's daemon learns the host's catalog from its heartbeats.
    await waitFor(
      async () => (await client.listTools()).tools.some((t) => t.name === 'everything__get-sum'),
      20_000,
    )
  })

  afterAll(async () => {
    await client?.close()
    await Promise.all(Object.values(daemons).map((d) => d.stop('SIGKILL')))
    await rm(root, { recursive: true, force: true })
  })

  it('prints the gateway URL and where its token is at start and in cord status', async () => {
    const url = daemons.agent!.info.gateway
    const tokenFile = join(root, 'agent', 'gateway.token')
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/)
    expect(daemons.agent!.info).toMatchObject({ gatewayTokenFile: tokenFile })
    const status = await cord(['status', '--dir', join(root, 'agent'), '--json'])
    expectCli(status, { code: 0 })
    expect(JSON.parse(status.stdout).gateway).toMatchObject({ url, tokenFile })
    const text = await cord(['status', '--dir', join(root, 'agent')])
    expectCli(text, { code: 0, stdout: expect.stringContaining(url!) })
    expect(text.stdout).toContain(`clients send "Authorization: Bearer <token>", the token in ${tokenFile}`)
    // without the token a client is turned away, and told what to send
    const anonymous = await fetch(url!, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{}',
    })
    expect(anonymous.status).toBe(401)
    expect(await anonymous.text()).toContain(tokenFile)
  })

  it('serves a stdio MCP client through cord mcp: call, progress, cancel, resources', async () => {
    const sum = await client.callTool({ name: 'everything__get-sum', arguments: { a: 20, b: 22 } })
    expect(sum.content).toEqual([{ type: 'text', text: 'The sum of 20 and 22 is 42.' }])
    expect(sum._meta?.['cord/servedBy']).toBe(daemons.host!.info.peerId)

    const progress: Progress[] = []
    await client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 1.5, steps: 3 } },
      undefined,
      { onprogress: (p) => progress.push(p) },
    )
    // The SDK's stdio client drops a progress notification that it reads in one chunk with the
    // result (its notification handlers run a tick later); cord mcp spaces them, but a busy machine
    // can still join the last with the result, so the steps are half a second apart and the test
    // asks for the first two. The HTTP test asserts every notification; here: they arrive, in order.
    expect(progress.length).toBeGreaterThanOrEqual(2)
    expect(progress.map((p) => p.progress)).toEqual([1, 2, 3].slice(0, progress.length))

    const controller = new AbortController()
    const started = Date.now()
    const long = client.callTool(
      { name: 'everything__trigger-long-running-operation', arguments: { duration: 30, steps: 30 } },
      undefined,
      { signal: controller.signal, onprogress: () => controller.abort(new Error('enough')) },
    )
    await expect(long).rejects.toThrow('enough')
    expect(Date.now() - started).toBeLessThan(10_000)

    const uri = `cord://${daemons.host!.info.peerId}/demo://resource/static/document/features.md`
    const { resources } = await client.listResources()
    expect(resources.map((r) => r.uri)).toContain(uri)
    const read = await client.readResource({ uri })
    expect(read.contents).toEqual([
      { uri, mimeType: 'text/markdown', text: readFileSync(FEATURES_DOC, 'utf8') },
    ])
  })

  it('says plainly when no daemon runs for the dir', async () => {
    const res = await cord(['mcp', '--dir', join(root, 'nobody')])
    expectCli(res, {
      code: 3,
      stdout: '',
      stderr: expect.stringMatching(/no cord daemon is running for .*nobody.*cord start --dir/),
    })
  })

  it('works for the MCP Inspector CLI over Streamable HTTP', async () => {
    const url = daemons.agent!.info.gateway!
    const home = join(root, 'inspector-home')
    await mkdir(home, { recursive: true })
    const auth = `Authorization: Bearer ${readFileSync(join(root, 'agent', 'gateway.token'), 'utf8').trim()}`
    const list = await inspector(
      ['-q', '--format', 'json', url, '--header', auth, '--method', 'tools/list'],
      home,
    )
    expectCli(list, { code: 0 })
    const names = (JSON.parse(list.stdout).result?.tools ?? JSON.parse(list.stdout).tools).map(
      (t: { name: string }) => t.name,
    )
    expect(names).toContain('everything__get-sum')
    const call = await inspector(
      [
        url,
        '--header',
        auth,
        '--method',
        'tools/call',
        '--tool-name',
        'everything__get-sum',
        '--tool-args-json',
        '{"a":1,"b":2}',
      ],
      home,
    )
    expectCli(call, { code: 0, stdout: expect.stringContaining('The sum of 1 and 2 is 3.') })
  })
})
