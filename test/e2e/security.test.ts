/**
 * End to end: a private network made with `cord init --psk`, a malformed key, and a pinned call.
 */
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cord, cordOk, expectCli, type RunningDaemon, startDaemon } from '../helpers/cli.ts'

const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0']

describe('cord security end to end', () => {
  let root: string
  const dir = (name: string): string => join(root, name)
  const daemons: RunningDaemon[] = []

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cord-e2e-sec-'))
  })
  afterAll(async () => {
    await Promise.all(daemons.map((d) => d.stop('SIGKILL')))
    await rm(root, { recursive: true, force: true })
  })

  it('cord init --psk makes a private network: members call each other, a node without the key cannot', async () => {
    const init = await cord(['init', '--dir', dir('a'), '--psk', '--json'])
    expectCli(init, { code: 0 })
    const { swarmKey } = JSON.parse(init.stdout) as { swarmKey: string }
    expect(swarmKey).toBe(join(dir('a'), 'swarm.key'))
    expect((await stat(swarmKey)).mode & 0o777).toBe(0o600)
    expect(await readFile(swarmKey, 'utf8')).toMatch(
      /^\/key\/swarm\/psk\/1\.0\.0\/\n\/base16\/\n[0-9a-f]{64}\n$/,
    )
    expectCli(await cord(['init', '--dir', dir('b')]), { code: 0 })
    await copyFile(swarmKey, join(dir('b'), 'swarm.key'))

    const a = await startDaemon(['--dir', dir('a'), ...LOOPBACK])
    daemons.push(a)
    const b = await startDaemon(['--dir', dir('b'), ...LOOPBACK, '--bootstrap', a.info.addrs[0]!])
    daemons.push(b)
    const inside = await cord(['call', '--dir', dir('b'), a.info.peerId, 'echo', '{"text":"member"}'])
    expectCli(inside, { code: 0, stdout: 'member\n' })
    // both say they are in a private network, with the same key fingerprint (never the key)
    const statusOf = async (name: string): Promise<{ private: boolean; keyFingerprint?: string }> =>
      (
        JSON.parse((await cordOk(['status', '--dir', dir(name), '--json'])).stdout) as {
          network: { private: boolean; keyFingerprint?: string }
        }
      ).network
    const [na, nb] = [await statusOf('a'), await statusOf('b')]
    expect(na).toEqual({ private: true, keyFingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) })
    expect(nb).toEqual(na)
    const text = await cord(['status', '--dir', dir('b')])
    expectCli(text, { code: 0 })
    expect(text.stdout).toMatch(new RegExp(`network\\s+private \\(swarm key ${na.keyFingerprint}\\)`))
    expect(text.stdout).not.toContain((await readFile(swarmKey, 'utf8')).split('\n')[2]!)

    const c = await startDaemon(['--dir', dir('c'), ...LOOPBACK, '--bootstrap', a.info.addrs[0]!])
    daemons.push(c)
    const outside = await cord([
      'call',
      '--dir',
      dir('c'),
      a.info.peerId,
      'echo',
      '{"text":"x"}',
      '--timeout',
      '3000',
    ])
    expectCli(outside, {
      code: expect.toBeOneOf([4, 5]),
      stderr: expect.stringMatching(/cannot reach|no answer/),
    })
    expect(await statusOf('c')).toEqual({ private: false })
  })

  it('a malformed swarm key stops start-up with exit 8 and names the file and line', async () => {
    expectCli(await cord(['init', '--dir', dir('bad')]), { code: 0 })
    await writeFile(join(dir('bad'), 'swarm.key'), '/key/swarm/psk/1.0.0/\n/base16/\nnot-hex\n')
    const res = await cord(['start', '--dir', dir('bad'), ...LOOPBACK])
    expectCli(res, {
      code: 8,
      stderr: expect.stringContaining(`${join(dir('bad'), 'swarm.key')}:3: expected 64 hex digits`),
    })
  })

  it('cord tools --json shows definition hashes; cord call --pin refuses a changed definition', async () => {
    const [a] = daemons
    const tools = await cord(['tools', '--dir', dir('b'), a!.info.peerId, '--json'])
    expectCli(tools, { code: 0 })
    const echo = (JSON.parse(tools.stdout) as Array<{ name: string; _meta: Record<string, string> }>).find(
      (t) => t.name === 'echo',
    )!
    const hash = echo._meta['cord/definitionHash']!
    expect(hash).toMatch(/^[0-9a-f]{64}$/)
    const pinned = await cord([
      'call',
      '--dir',
      dir('b'),
      a!.info.peerId,
      'echo',
      '{"text":"p"}',
      '--pin',
      hash,
    ])
    expectCli(pinned, { code: 0, stdout: 'p\n' })
    const stale = await cord([
      'call',
      '--dir',
      dir('b'),
      a!.info.peerId,
      'echo',
      '{"text":"p"}',
      '--pin',
      '0'.repeat(64),
    ])
    expectCli(stale, { code: 6, stderr: expect.stringMatching(/changed since it was pinned/) })
    const bad = await cord(['call', '--dir', dir('b'), a!.info.peerId, 'echo', '{}', '--pin', 'xyz'])
    expectCli(bad, { code: 2, stderr: expect.stringMatching(/64 hex digits/) })
  })
})
