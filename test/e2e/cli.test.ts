/**
 * End to end: the built CLI, as a user runs it. Three daemons join through a bootstrap address and
 * call each other by peer ID; one restarts with the same data dir and keeps its peer ID.
 */
import { existsSync, statSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cord, expectCli, type RunningDaemon, startDaemon } from '../helpers/cli.ts'

const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0']

describe('cord CLI end to end', () => {
  let root: string
  const dir = (name: string): string => join(root, name)
  const daemons: Record<string, RunningDaemon> = {}

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cord-e2e-'))
    daemons.a = await startDaemon(['--dir', dir('a'), '--alias', 'a', ...LOOPBACK])
    const bootstrap = daemons.a.info.addrs[0] as string
    ;[daemons.b, daemons.c] = await Promise.all([
      startDaemon(['--dir', dir('b'), '--alias', 'b', ...LOOPBACK, '--bootstrap', bootstrap]),
      startDaemon(['--dir', dir('c'), '--alias', 'c', ...LOOPBACK, '--bootstrap', bootstrap]),
    ])
  })

  afterAll(async () => {
    await Promise.all(Object.values(daemons).map((d) => d.stop('SIGKILL')))
    await rm(root, { recursive: true, force: true })
  })

  it('prints full multiaddrs with /p2p/<peer ID> at start, and the same from cord id', async () => {
    const { info } = daemons.a!
    expect(info.addrs.length).toBeGreaterThan(0)
    for (const addr of info.addrs)
      expect(addr).toMatch(new RegExp(`^/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/${info.peerId}$`))
    const id = await cord(['id', '--dir', dir('a'), '--json'])
    expectCli(id, { code: 0 })
    expect(JSON.parse(id.stdout)).toEqual({ peerId: info.peerId, alias: 'a', addrs: info.addrs })
  })

  it("lists a remote peer's tools with descriptions and input schemas", async () => {
    const res = await cord(['tools', '--dir', dir('b'), daemons.a!.info.peerId, '--json'])
    expectCli(res, { code: 0 })
    const tools = JSON.parse(res.stdout) as Array<{
      name: string
      description: string
      inputSchema: { type: string }
    }>
    const echo = tools.find((t) => t.name === 'echo')
    expect(echo?.description).toMatch(/text/)
    expect(echo?.inputSchema).toMatchObject({ type: 'object', required: ['text'] })
  })

  it('calls a tool by peer ID: plain text, and the whole CallToolResult with --json', async () => {
    const a = daemons.a!.info.peerId
    const plain = await cord(['call', '--dir', dir('b'), a, 'echo', '{"text":"hello"}'])
    expect(plain).toMatchObject({ code: 0, stdout: 'hello\n' })
    const full = await cord(['call', '--dir', dir('c'), a, 'add', '{"a":2,"b":40}', '--json'])
    expectCli(full, { code: 0 })
    expect(JSON.parse(full.stdout)).toEqual({
      content: [{ type: 'text', text: '42' }],
      structuredContent: { sum: 42 },
      _meta: { 'cord/servedBy': a },
    })
    // and the other way: a calls c, which it only knows because c dialled it
    const back = await cord(['call', '--dir', dir('a'), daemons.c!.info.peerId, 'echo', '-'], {
      input: '{"text":"from a"}',
    })
    expect(back).toMatchObject({ code: 0, stdout: 'from a\n' })
  })

  it('lists peers with alias and connection state', async () => {
    const res = await cord(['peers', '--dir', dir('b'), '--json'])
    expectCli(res, { code: 0 })
    const peers = JSON.parse(res.stdout) as Array<{
      peerId: string
      alias?: string
      connected: boolean
      bootstrap: boolean
    }>
    expect(peers).toContainEqual(
      expect.objectContaining({
        peerId: daemons.a!.info.peerId,
        alias: 'a',
        connected: true,
        bootstrap: true,
      }),
    )
  })

  // Each case is a test of its own: a CLI command starts in about a second, and a busy machine must
  // not make a dozen of them in a row time out together. `A` stands for daemon a's peer ID.
  const FAILURES: Array<[string, (a: string) => string[], number, RegExp]> = [
    [
      'an unknown tool',
      (a) => ['call', '--dir', dir('b'), a, 'no_such_tool', '{}'],
      6,
      /unknown tool "no_such_tool"/,
    ],
    [
      'arguments that fail the schema',
      (a) => ['call', '--dir', dir('b'), a, 'echo', '{"text":5}'],
      6,
      /invalid arguments for tool "echo".*text must be string/,
    ],
    [
      'arguments that are not JSON',
      (a) => ['call', '--dir', dir('b'), a, 'echo', '{not json'],
      2,
      /ARGS_JSON is not valid JSON/,
    ],
    [
      'an unknown target',
      () => ['call', '--dir', dir('b'), 'not-a-peer', 'echo', '{}'],
      2,
      /neither a peer ID nor the alias of a live peer/,
    ],
    [
      'an unreachable peer',
      () => [
        'call',
        '--dir',
        dir('b'),
        '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo',
        'echo',
        '{"text":"x"}',
      ],
      4,
      /cannot reach peer/,
    ],
    [
      'a call past its deadline',
      (a) => ['call', '--dir', dir('b'), a, 'sleep', '{"ms":20000}', '--timeout', '500'],
      5,
      /within 500 ms|deadline of \d+ ms at the serving node/,
    ],
    ['a missing argument', () => ['call', '--dir', dir('b')], 2, /missing required argument/],
    ['an unknown command', () => ['frobnicate'], 2, /unknown command/],
    ['no daemon', () => ['tools', '--dir', dir('nobody-here')], 3, /no cord daemon is running for/],
    [
      'a bootstrap address without /p2p/',
      () => ['start', '--dir', dir('x'), '--bootstrap', '/ip4/127.0.0.1/tcp/1'],
      2,
      /ending in \/p2p\/<peer ID>/,
    ],
    [
      'a listen address in use',
      () => ['start', '--dir', dir('x'), '--listen', daemons.a!.info.addrs[0]!.replace(/\/p2p\/.*/, '')],
      8,
      /address already in use/,
    ],
    [
      'a second daemon for one data dir',
      () => ['start', '--dir', dir('a'), '--listen', '/ip4/127.0.0.1/tcp/0'],
      8,
      /already running/,
    ],
  ]

  it.for(FAILURES)('reports %s with a message and its exit code', async ([, args, code, message]) => {
    const res = await cord(args(daemons.a!.info.peerId))
    expectCli(res, { code })
    expect(res.stderr).toMatch(message)
  })

  it('says what is wrong with a command used wrongly, and the daemon still serves after every failure', async () => {
    const wrong = await cord(['call', '--dir', dir('b')])
    expect(wrong.stderr).toBe(
      "error: missing required argument 'words'\n(run 'cord call --help' for usage)\n",
    )
    const badPeer = await cord(['call', '--dir', dir('b'), 'not-a-peer', 'echo'])
    expect(badPeer.stderr).toMatch(/\n\(run 'cord call --help' for usage\)\n$/)
    expect(badPeer.stderr.split('\n')).toHaveLength(3)
    const a = daemons.a!.info.peerId
    expect(await cord(['call', '--dir', dir('b'), a, 'echo', '{"text":"still here"}'])).toMatchObject({
      code: 0,
      stdout: 'still here\n',
    })
  })

  it('cord init creates the data dir, and start flags override config.toml', async () => {
    const init = await cord(['init', '--dir', dir('i'), '--alias', 'from-init', '--json'])
    expectCli(init, { code: 0 })
    const created = JSON.parse(init.stdout) as { peerId: string; created: boolean }
    expect(created.created).toBe(true)
    expect(JSON.parse((await cord(['init', '--dir', dir('i'), '--json'])).stdout)).toMatchObject({
      peerId: created.peerId,
      created: false,
    })
    const fromConfig = await startDaemon(['--dir', dir('i'), ...LOOPBACK])
    expect(fromConfig.info).toMatchObject({ peerId: created.peerId, alias: 'from-init' })
    expect(await fromConfig.stop()).toBe(0)
    const overridden = await startDaemon(['--dir', dir('i'), ...LOOPBACK, '--alias', 'from-flag'])
    expect(overridden.info).toMatchObject({ peerId: created.peerId, alias: 'from-flag' })
    expect(await overridden.stop()).toBe(0)
  })

  it('refuses an invalid config file, naming the field', async () => {
    await writeFile(
      join(root, 'bad.toml'),
      'listen = ["/ip4/127.0.0.1/tcp/0"]\n[mcp]\nmax_frame_bytes = "big"\n',
    )
    const res = await cord(['start', '--dir', dir('bad'), '--config', join(root, 'bad.toml')])
    expectCli(res, { code: 8 })
    expect(res.stderr).toMatch(/mcp\.max_frame_bytes/)
  })

  it('keeps the control file private, and stops cleanly on SIGTERM, removing it', async () => {
    const control = join(dir('c'), 'control.json')
    expect(statSync(control).mode & 0o777).toBe(0o600)
    expect(statSync(join(dir('c'), 'identity.key')).mode & 0o777).toBe(0o600)
    expect(await daemons.c!.stop('SIGTERM')).toBe(0)
    expect(existsSync(control)).toBe(false)
    const res = await cord(['status', '--dir', dir('c')])
    expectCli(res, { code: 3 })
  })

  it('hosts MCP servers from config.toml: their tools are listed and called from another node, status shows them', async () => {
    const everything = fileURLToPath(
      new URL('../../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url),
    )
    await mkdir(dir('d'), { recursive: true })
    await writeFile(
      join(dir('d'), 'config.toml'),
      `alias = "d"\n[[servers]]\nname = "everything"\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(everything)}, "stdio"]\n`,
    )
    daemons.d = await startDaemon(['--dir', dir('d'), ...LOOPBACK, '--bootstrap', daemons.a!.info.addrs[0]!])
    const d = daemons.d.info.peerId
    // a knows d's address because d joined through it (finding peers through others is discovery's job)
    const tools = await cord(['tools', '--dir', dir('a'), d, '--json'])
    expectCli(tools, { code: 0 })
    expect((JSON.parse(tools.stdout) as Array<{ name: string }>).map((t) => t.name)).toEqual(
      expect.arrayContaining(['echo', 'everything__get-sum', 'everything__echo']),
    )
    expect(await cord(['call', '--dir', dir('a'), d, 'everything__get-sum', '{"a":40,"b":2}'])).toMatchObject(
      {
        code: 0,
        stdout: 'The sum of 40 and 2 is 42.\n',
      },
    )
    const status = await cord(['status', '--dir', dir('d'), '--json'])
    expect(JSON.parse(status.stdout).upstreams).toEqual([
      expect.objectContaining({ name: 'everything', kind: 'stdio', state: 'ready', restarts: 0 }),
    ])
    expect((await cord(['status', '--dir', dir('d')])).stdout).toMatch(/everything\s+stdio\s+ready/)
    // SIGTERM stops the daemon and its child: no orphan
    const pid = JSON.parse(status.stdout).upstreams[0].pid as number
    expect(await daemons.d.stop('SIGTERM')).toBe(0)
    expect(() => process.kill(pid, 0)).toThrow()
  })

  it('restarts with the same data dir and the same peer ID, and is called again', async () => {
    const before = daemons.a!.info
    const port = before.addrs[0]!.split('/')[4]!
    expect(await daemons.a!.stop('SIGTERM')).toBe(0)
    daemons.a = await startDaemon(['--dir', dir('a'), '--listen', `/ip4/127.0.0.1/tcp/${port}`])
    expect(daemons.a.info.peerId).toBe(before.peerId)
    expect(daemons.a.info.alias).toBe('a') // from the config written at first start
    // b never restarted: its broken session to a is re-established on the next call
    const res = await cord(['call', '--dir', dir('b'), before.peerId, 'echo', '{"text":"again"}'])
    expect(res).toMatchObject({ code: 0, stdout: 'again\n' })
  })
})
