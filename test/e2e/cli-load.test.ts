/**
 * Guards the fast CLI: commands that only talk to a running daemon load the control client and
 * commander, never libp2p, the MCP SDK's server side, the settings schema (zod) or the logger. A
 * command that starts importing them again costs every user about a second per command.
 */
import { execFile } from 'node:child_process'
import { mkdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI } from '../helpers/cli.ts'

const RECORDER = fileURLToPath(new URL('../fixtures/load-recorder.mjs', import.meta.url))
const PEER = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
/** Packages a daemon-talking command must not load. */
const HEAVY = /^(libp2p|@libp2p\/|@chainsafe\/|@multiformats\/|zod$|pino$|@modelcontextprotocol\/)/

describe('CLI start-up', () => {
  const root = join(tmpdir(), `cord-e2e-load-${process.pid}-${Date.now()}`)
  beforeAll(() => mkdir(root, { recursive: true }))
  afterAll(() => rm(root, { recursive: true, force: true }))

  /** Runs `cord ARGS` against a data dir with no daemon; resolves with the packages it loaded. */
  async function loaded(name: string, args: string[]): Promise<{ code: number; packages: string[] }> {
    const log = join(root, `${name}.log`)
    const code = await new Promise<number>((resolve) => {
      execFile(
        process.execPath,
        ['--import', RECORDER, CLI, ...args],
        { env: { ...process.env, CORD_LOAD_LOG: log }, timeout: 30_000 },
        (err) => resolve(err == null ? 0 : typeof err.code === 'number' ? err.code : -1),
      )
    })
    const text = await readFile(log, 'utf8').catch(() => '')
    return { code, packages: text.split('\n').filter((l) => l !== '') }
  }

  const none = (name: string): string => join(root, name)
  const COMMANDS: Array<[string, string[], number]> = [
    ['help', ['--help'], 0],
    ['id', ['id', '--dir', none('x'), '--json'], 3],
    ['peers', ['peers', '--dir', none('x')], 3],
    ['tools', ['tools', '--dir', none('x')], 3],
    ['call', ['call', '--dir', none('x'), PEER, 'echo', '{"text":"x"}'], 3],
    ['find', ['find', 'echo', '--dir', none('x')], 3],
    ['status', ['status', '--dir', none('x')], 3],
    ['connect', ['connect', `/ip4/127.0.0.1/tcp/1/p2p/${PEER}`, '--dir', none('x')], 3],
    ['disconnect', ['disconnect', PEER, '--dir', none('x')], 3],
    ['publish', ['publish', 'news', '{"n":1}', '--dir', none('x')], 3],
    ['subscribe', ['subscribe', 'news', '--dir', none('x')], 3],
    ['send', ['send', PEER, '"hi"', '--dir', none('x')], 3],
    ['messages', ['messages', '--dir', none('x')], 3],
    ['topics', ['topics', '--dir', none('x')], 3],
    ['ui', ['ui', '--dir', none('x'), '--json'], 3],
    ['logs', ['logs', '--dir', none('x')], 3],
    ['usage error', ['call', '--dir', none('x')], 2],
  ]

  it.for(COMMANDS)('cord %s loads only commander and the control client', async ([name, args, code]) => {
    const run = await loaded(name, args)
    expect(run.code).toBe(code)
    expect(run.packages).toContain('commander') // the recorder saw the CLI's imports
    expect(run.packages.filter((p) => HEAVY.test(p))).toEqual([])
  })

  it('cord start loads libp2p (the recorder sees heavy imports when there are some)', async () => {
    const run = await loaded('start', ['start', '--dir', none('s'), '--bootstrap', '/ip4/127.0.0.1/tcp/1'])
    expect(run.code).toBe(2)
    expect(run.packages).toContain('@multiformats/multiaddr')
  })
})
