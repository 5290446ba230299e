/**
 * End to end: a daemon started alone joins another at run time (`cord connect`, `cord disconnect`),
 * and `cord call` / `cord tools` take a full multiaddr as their target.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cord, cordOk, expectCli, type RunningDaemon, startDaemon } from '../helpers/cli.ts'
import { waitFor } from '../helpers/harness.ts'

const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0']

describe('joining at run time with the CLI', () => {
  let root: string
  let a: RunningDaemon
  let b: RunningDaemon
  const dir = (name: string): string => join(root, name)

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cord-e2e-join-'))
    ;[a, b] = await Promise.all([
      startDaemon(['--dir', dir('a'), ...LOOPBACK, '--alias', 'a']),
      startDaemon(['--dir', dir('b'), ...LOOPBACK, '--alias', 'b']),
    ])
  }, 60_000)
  afterAll(async () => {
    await Promise.all([a, b].map((d) => d?.stop('SIGKILL')))
    await rm(root, { recursive: true, force: true })
  })

  it('cord call and cord tools take a full multiaddr: the daemon dials it, then calls', async () => {
    const addr = a.info.addrs[0]!
    expectCli(await cord(['call', '--dir', dir('b'), addr, 'echo', '{"text":"by address"}']), {
      code: 0,
      stdout: 'by address\n',
    })
    const tools = await cordOk(['tools', '--dir', dir('b'), addr, '--json'])
    expect((JSON.parse(tools.stdout) as Array<{ name: string }>).map((t) => t.name)).toContain('echo')
    const bad = await cord(['call', '--dir', dir('b'), '/ip4/127.0.0.1/tcp/1', 'echo'])
    expectCli(bad, { code: 2, stderr: expect.stringMatching(/does not say which peer it reaches/) })
  })

  it('cord connect --keep joins a running daemon to another; cord disconnect hangs up', async () => {
    await cord(['disconnect', '--dir', dir('b'), a.info.peerId]) // after the previous test's call
    const joined = await cord(['connect', '--dir', dir('b'), a.info.addrs[0]!, '--keep'])
    expectCli(joined, { code: 0, stdout: expect.stringContaining(`connected to ${a.info.peerId}`) })
    expect(joined.stdout).toContain('kept connected')
    const peers = JSON.parse((await cordOk(['peers', '--dir', dir('b'), '--json'])).stdout) as Array<{
      peerId: string
      connected: boolean
      keep: boolean
    }>
    expect(peers.find((p) => p.peerId === a.info.peerId)).toMatchObject({ connected: true, keep: true })
    // joined the mesh: calls by alias work once a's heartbeat arrives
    await waitFor(() => cordOk(['call', '--dir', dir('b'), 'a', 'echo', '{"text":"joined"}']), 30_000)

    const left = await cord(['disconnect', '--dir', dir('b'), a.info.peerId, '--json'])
    expectCli(left, { code: 0 })
    expect(JSON.parse(left.stdout)).toEqual({ peerId: a.info.peerId, wasConnected: true, wasKept: true })
    // the mesh may connect to a again by itself (connection upkeep); a peer b never met:
    const stranger = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
    const again = await cord(['disconnect', '--dir', dir('b'), stranger])
    expectCli(again, { code: 2, stderr: expect.stringMatching(/not connected to peer/) })
    const usage = await cord(['connect', '--dir', dir('b'), 'not-an-address'])
    expectCli(usage, { code: 2, stderr: expect.stringMatching(/not-an-address/) })
  })
})
