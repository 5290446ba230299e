/**
 * End to end: topics and direct messages with the built CLI. Two daemons; `cord subscribe` and
 * `cord messages` run as long-lived processes and are stopped with Ctrl+C (SIGINT).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, cord, cordOk, expectCli, type RunningDaemon, startDaemon } from '../helpers/cli.ts'
import { waitFor } from '../helpers/harness.ts'

const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0']

/** A long-running `cord` command whose output is collected. */
interface Follower {
  child: ChildProcess
  out: () => string
  err: () => string
  exit: Promise<number | null>
}

function follow(args: string[]): Follower {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  child.stdout?.on('data', (c) => {
    out += c
  })
  child.stderr?.on('data', (c) => {
    err += c
  })
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return { child, out: () => out, err: () => err, exit }
}

describe('cord publish / subscribe / send / messages / topics', () => {
  let root: string
  const dir = (name: string): string => join(root, name)
  const daemons: Record<string, RunningDaemon> = {}
  const followers: Follower[] = []

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cord-e2e-topics-'))
    daemons.a = await startDaemon(['--dir', dir('a'), '--alias', 'a', ...LOOPBACK])
    daemons.b = await startDaemon([
      '--dir',
      dir('b'),
      '--alias',
      'b',
      ...LOOPBACK,
      '--bootstrap',
      daemons.a.info.addrs[0] as string,
    ])
  })

  afterAll(async () => {
    for (const f of followers) f.child.kill('SIGKILL')
    await Promise.all(Object.values(daemons).map((d) => d.stop('SIGKILL')))
    await rm(root, { recursive: true, force: true })
  })

  it('subscribes, lists the topic with its subscribers, publishes, and stops on Ctrl+C', async () => {
    const sub = follow(['subscribe', 'jobs/done', '--dir', dir('b'), '--json'])
    followers.push(sub)
    await waitFor(() => sub.err().includes('subscribed to jobs/done'), 15_000)
    const b = daemons.b!.info.peerId
    const listed = await waitFor(async () => {
      const res = await cordOk(['topics', '--dir', dir('a'), '--json'])
      const topics = JSON.parse(res.stdout) as Array<{ topic: string; peers: string[]; subscribers: number }>
      return topics.find((t) => t.topic === 'jobs/done' && t.peers.includes(b))
    }, 15_000)
    expect(listed).toMatchObject({ subscribed: false, subscribers: 1 })
    const table = await cordOk(['topics', '--dir', dir('b')])
    expect(table.stdout).toMatch(/^TOPIC\s+SUBSCRIBERS\s+HERE\s+PEERS\njobs\/done\s+1\s+yes/m)

    const pub = await cord(['publish', 'jobs/done', '{"task":42}', '--dir', dir('a')])
    expectCli(pub, { code: 0, stdout: 'published to jobs/done (#1, sent to 1 peer)\n' })
    await cordOk(['publish', 'jobs/done', '"second"', '--dir', dir('a')])
    await waitFor(() => sub.out().split('\n').length >= 3)
    const lines = sub
      .out()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines).toEqual([
      {
        type: 'message',
        topic: 'jobs/done',
        from: daemons.a!.info.peerId,
        seq: 1,
        timestamp: expect.any(Number),
        data: { task: 42 },
      },
      {
        type: 'message',
        topic: 'jobs/done',
        from: daemons.a!.info.peerId,
        seq: 2,
        timestamp: expect.any(Number),
        data: 'second',
      },
    ])
    const status = await cordOk(['status', '--dir', dir('b')])
    expect(status.stdout).toMatch(/^topics\s+1 subscribed; 0 published, 2 delivered, 0 rejected, 0 missed;/m)
    sub.child.kill('SIGINT')
    expect(await sub.exit).toBe(0)
    await waitFor(async () => {
      const res = await cordOk(['topics', '--dir', dir('b'), '--json'])
      return !(JSON.parse(res.stdout) as Array<{ topic: string }>).some((t) => t.topic === 'jobs/done')
    })
  })

  it('refuses a message over the limit, bad JSON and a bad topic name with a usage error', async () => {
    const big = JSON.stringify('x'.repeat(70_000))
    const tooBig = await cord(['publish', 'jobs', big, '--dir', dir('a')])
    expectCli(tooBig, { code: 2, stderr: expect.stringMatching(/over the limit of 65536 bytes/) })
    const badJson = await cord(['publish', 'jobs', '{nope', '--dir', dir('a')])
    expectCli(badJson, { code: 2, stderr: expect.stringMatching(/not valid JSON/) })
    const badName = await cord(['publish', 'bad name', '1', '--dir', dir('a')])
    expectCli(badName, { code: 2, stderr: expect.stringMatching(/invalid topic name/) })
    const badSub = follow(['subscribe', 'bad name', '--dir', dir('a')])
    expect(await badSub.exit).toBe(2)
    expect(badSub.err()).toMatch(/invalid topic name/)
  })

  it('sends a direct message by alias that the receiver prints; refused when nobody listens', async () => {
    const refused = await cord(['send', 'b', '{"hi":1}', '--dir', dir('a')])
    expectCli(refused, {
      code: 6,
      stderr: expect.stringMatching(/refused the message: it takes no direct messages/),
    })
    const inbox = follow(['messages', '--dir', dir('b')])
    followers.push(inbox)
    await waitFor(() => inbox.err().includes('taking direct messages'), 15_000)
    const sent = await cord(['send', 'b', '{"hi":1}', '--dir', dir('a'), '--json'])
    expectCli(sent, { code: 0 })
    expect(JSON.parse(sent.stdout)).toEqual({ peer: daemons.b!.info.peerId, seq: 2 })
    await waitFor(() => inbox.out().includes('{"hi":1}'))
    expect(inbox.out()).toMatch(
      new RegExp(`^\\d\\d:\\d\\d:\\d\\d\\.\\d{3} ${daemons.a!.info.peerId.slice(-8)} #2 \\{"hi":1\\}\\n$`),
    )
    inbox.child.kill('SIGINT')
    expect(await inbox.exit).toBe(0)
  })

  it('fails clearly when the target cannot be reached', async () => {
    const nobody = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
    const res = await cord([
      'send',
      `/ip4/127.0.0.1/tcp/1/p2p/${nobody}`,
      '1',
      '--dir',
      dir('a'),
      '--timeout',
      '5000',
    ])
    expectCli(res, { code: 4, stderr: expect.stringMatching(/cannot reach/) })
  })

  it('ends cord subscribe with exit 3 when the daemon stops', async () => {
    const c = await startDaemon(['--dir', dir('c'), '--alias', 'c', ...LOOPBACK])
    daemons.c = c
    const sub = follow(['subscribe', 'jobs', '--dir', dir('c')])
    followers.push(sub)
    await waitFor(() => sub.err().includes('subscribed to jobs'), 15_000)
    expect(await c.stop('SIGTERM')).toBe(0)
    expect(await sub.exit).toBe(3)
    expect(sub.err()).toMatch(/ended the stream \(it is stopping\)/)
  })
})
