/**
 * End to end on loopback: `cord start --relay` serves as a relay, a daemon reachable only through it
 * is called by peer ID, and `cord status` / `cord peers` say so (reachability, reservations,
 * relayed connections). The real NAT cases run in network namespaces (test/netns).
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NodeStatus, PeerInfo } from '../../src/index.ts'
import { cord, cordOk, expectCli, type RunningDaemon, startDaemon } from '../helpers/cli.ts'
import { waitFor } from '../helpers/harness.ts'

describe('across networks with the CLI (loopback)', () => {
  let root: string
  const daemons: RunningDaemon[] = []
  let relay: RunningDaemon
  let hidden: RunningDaemon
  let caller: RunningDaemon
  const dir = (name: string): string => join(root, name)
  const status = async (name: string): Promise<NodeStatus> =>
    JSON.parse((await cordOk(['status', '--dir', dir(name), '--json'])).stdout) as NodeStatus

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cord-e2e-nat-'))
    relay = await startDaemon([
      '--dir',
      dir('relay'),
      '--relay',
      '--alias',
      'relay',
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
    ])
    daemons.push(relay)
    const via = ['--listen', '/p2p-circuit', '--bootstrap', relay.info.addrs[0]!]
    ;[hidden, caller] = await Promise.all([
      startDaemon(['--dir', dir('hidden'), '--alias', 'hidden', ...via]),
      startDaemon(['--dir', dir('caller'), '--alias', 'caller', ...via]),
    ])
    daemons.push(hidden, caller)
  }, 60_000)
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stop('SIGKILL')))
    await rm(root, { recursive: true, force: true })
  })

  it('cord start --relay serves reservations, and cord status shows them on both sides', async () => {
    const s = await waitFor(async () => {
      const s = await status('hidden')
      return s.relay.reservations.length > 0 && s
    }, 20_000)
    expect(s.relay.reservations[0]?.relay).toBe(relay.info.peerId)
    expect(s.reachability).toMatchObject({ status: 'unknown', mode: 'auto' })
    await waitFor(async () => (await status('relay')).relay.clients === 2, 20_000)
    expect((await status('relay')).relay.server).toBe(true)
    const text = await cordOk(['status', '--dir', dir('hidden')])
    expect(text.stdout).toMatch(/^reach\s+unknown; mDNS off$/m)
    expect(text.stdout).toMatch(new RegExp(`^relay\\s+reservations on ${relay.info.peerId}$`, 'm'))
    expect((await cordOk(['status', '--dir', dir('relay')])).stdout).toMatch(
      /^relay\s+no reservation; serving as a relay \(2 clients\)$/m,
    )
  })

  it('a daemon reachable only through the relay is called by peer ID, and cord peers says relayed', async () => {
    await waitFor(async () => {
      const peers = JSON.parse(
        (await cordOk(['peers', '--dir', dir('caller'), '--json'])).stdout,
      ) as PeerInfo[]
      return peers.find((p) => p.peerId === hidden.info.peerId)?.state === 'alive'
    }, 20_000)
    expectCli(
      await cord(['call', '--dir', dir('caller'), hidden.info.peerId, 'echo', '{"text":"relayed"}']),
      {
        code: 0,
        stdout: 'relayed\n',
      },
    )
    const peers = JSON.parse((await cordOk(['peers', '--dir', dir('caller'), '--json'])).stdout) as PeerInfo[]
    expect(peers.find((p) => p.peerId === hidden.info.peerId)).toMatchObject({ connection: 'relayed' })
    expect(peers.find((p) => p.peerId === relay.info.peerId)).toMatchObject({ connection: 'direct' })
    const table = (await cordOk(['peers', '--dir', dir('caller')])).stdout
    expect(table).toMatch(new RegExp(`^${hidden.info.peerId}\\s+hidden\\s+alive\\s+relayed\\s`, 'm'))
  })
})
