/**
 * End to end: five CLI daemons discover each other, find and call tools by name and alias, survive a
 * provider's death (failover), the bootstrap node's death, and a restart on a new port.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cord, cordOk, expectCli, type RunningDaemon, startDaemon } from '../helpers/cli.ts'
import { waitFor } from '../helpers/harness.ts'

const EVERYTHING = fileURLToPath(
  new URL('../../node_modules/@modelcontextprotocol/server-everything/dist/index.js', import.meta.url),
)
const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0']

interface PeerJson {
  peerId: string
  alias?: string
  state?: string
  addrs: string[]
}

describe('a mesh of five CLI daemons', () => {
  let root: string
  const d: Record<string, RunningDaemon> = {}
  const dir = (name: string): string => join(root, name)
  const json = async <T>(args: string[]): Promise<T> =>
    JSON.parse((await cordOk([...args, '--json'])).stdout) as T
  const peers = (name: string): Promise<PeerJson[]> => json<PeerJson[]>(['peers', '--dir', dir(name)])

  async function config(name: string, withServer: boolean): Promise<void> {
    await mkdir(dir(name), { recursive: true })
    const server = withServer
      ? `[[servers]]\nname = "everything"\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(EVERYTHING)}, "stdio"]\n`
      : ''
    await writeFile(
      join(dir(name), 'config.toml'),
      `alias = "${name}"\n[discovery]\nheartbeat_interval_ms = 500\nsuspect_after = 2\ndead_after = 4\n${server}`,
    )
  }

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cord-e2e-mesh-'))
    for (const name of ['a', 'b', 'c', 'd', 'e']) await config(name, name === 'd' || name === 'e')
    d.a = await startDaemon(['--dir', dir('a'), ...LOOPBACK])
    const boot = d.a.info.addrs[0]!
    const names = ['b', 'c', 'd', 'e']
    const rest = await Promise.all(
      names.map((n) => startDaemon(['--dir', dir(n), ...LOOPBACK, '--bootstrap', boot])),
    )
    names.forEach((n, i) => {
      d[n] = rest[i]!
    })
    await waitFor(async () => (await peers('b')).filter((p) => p.state === 'alive').length === 4, 20_000)
  }, 60_000)

  afterAll(async () => {
    await Promise.all(Object.values(d).map((x) => x.stop('SIGKILL')))
    await rm(root, { recursive: true, force: true })
  })

  it('lists every node with its alias and state, and the mesh catalog with providers', async () => {
    const seen = await peers('c')
    expect(
      seen
        .filter((p) => p.state === 'alive')
        .map((p) => p.alias)
        .sort(),
    ).toEqual(['a', 'b', 'd', 'e'])
    await waitFor(async () => {
      const catalog = await json<Array<{ name: string; providers: Array<{ alias?: string }> }>>([
        'tools',
        '--dir',
        dir('c'),
      ])
      const sum = catalog.find((t) => t.name === 'everything__get-sum')
      return (
        sum?.providers
          .map((p) => p.alias)
          .sort()
          .join() === 'd,e'
      )
    }, 15_000)
  })

  it('finds providers in the DHT and calls by tool name and by alias from every node', async () => {
    await waitFor(async () => {
      const found = await json<Array<{ alias?: string }>>([
        'find',
        '--dir',
        dir('b'),
        'everything__get-sum',
        '--timeout',
        '3000',
      ])
      return (
        found
          .map((p) => p.alias)
          .sort()
          .join() === 'd,e'
      )
    }, 20_000)
    for (const name of ['a', 'b', 'c']) {
      await waitFor(
        () => cordOk(['call', '--dir', dir(name), 'everything__get-sum', '{"a":2,"b":3}']),
        15_000,
      )
      const res = await cord(['call', '--dir', dir(name), 'everything__get-sum', '{"a":2,"b":3}'])
      expectCli(res, {
        code: 0,
        stdout: 'The sum of 2 and 3 is 5.\n',
        stderr: expect.stringMatching(/served by 12D3Koo/),
      })
    }
    expectCli(await cord(['call', '--dir', dir('c'), 'd', 'echo', '{"text":"via alias"}']), {
      code: 0,
      stdout: 'via alias\n',
    })
    const unknown = await cord(['call', '--dir', dir('c'), 'zed', 'echo', '{}'])
    expectCli(unknown, { code: 2, stderr: expect.stringMatching(/known aliases: /) })
    const none = await cord(['call', '--dir', dir('c'), 'no_such_tool_anywhere', '{}'])
    expectCli(none, { code: 6, stderr: expect.stringMatching(/no live node of the mesh serves/) })
  })

  it('fails over when a provider is killed, and marks it dead', async () => {
    const killed = d.d!.info.peerId
    await d.d!.stop('SIGKILL')
    for (let i = 0; i < 3; i++) {
      const res = await cord(['call', '--dir', dir('b'), 'everything__get-sum', '{"a":1,"b":1}', '--json'])
      expectCli(res, { code: 0 })
      expect(JSON.parse(res.stdout)._meta['cord/servedBy']).toBe(d.e!.info.peerId)
    }
    await waitFor(async () => (await peers('b')).find((p) => p.peerId === killed)?.state === 'dead', 15_000)
  })

  it('carries on without the bootstrap node, and takes a restarted node back on a new port', async () => {
    await d.a!.stop('SIGTERM')
    expectCli(await cord(['call', '--dir', dir('c'), 'everything__get-sum', '{"a":4,"b":4}']), {
      code: 0,
      stdout: 'The sum of 4 and 4 is 8.\n',
    })
    const before = (await peers('c')).find((p) => p.alias === 'd')!
    d.d = await startDaemon(['--dir', dir('d'), ...LOOPBACK, '--bootstrap', d.b!.info.addrs[0]!])
    expect(d.d.info.peerId).toBe(before.peerId)
    await waitFor(async () => {
      const now = (await peers('c')).find((p) => p.peerId === before.peerId)
      return now?.state === 'alive' && now.addrs.some((a) => d.d!.info.addrs.includes(a))
    }, 15_000)
    expectCli(await cord(['call', '--dir', dir('c'), 'd', 'everything__get-sum', '{"a":20,"b":22}']), {
      code: 0,
      stdout: 'The sum of 20 and 22 is 42.\n',
    })
  })
})
