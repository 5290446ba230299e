/**
 * End to end: the daemon's log. With stderr not a terminal it writes JSON lines there and to
 * <dir>/logs/, rotated by size; `cord logs` prints them readably, filters by level and follows them
 * across rotations and restarts; on a pseudo-terminal `cord start` prints readable lines, no JSON.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, cord, expectCli, type RunningDaemon, startDaemon } from '../helpers/cli.ts'
import { waitFor } from '../helpers/harness.ts'

const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0']
/** A readable line as `cord logs` prints it: date, time, level. */
const READABLE = /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) /
/** Files of 1 KiB: every three refused calls (a warning of about 370 bytes each) start a new one. */
const CONFIG = '[log]\nmax_size = "1k"\nmax_files = 100\n[metrics]\nlisten = "127.0.0.1:0"\n'
/** A pin no tool has: the call is refused with a warning in the log. */
const WRONG_PIN = '0'.repeat(64)
const REFUSED = 8

const ESC = String.fromCharCode(27)
/** The text without its ANSI colour codes. */
const stripColour = (text: string): string => text.replaceAll(ESC, '').replace(/\[\d+m/g, '')

const hasScript = ((): boolean => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

describe('logs', () => {
  let root: string
  let dir: string
  let daemon: RunningDaemon | undefined
  let follower: ChildProcess | undefined
  let followed = ''

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cord-e2e-logs-'))
    dir = join(root, 'a')
    await mkdir(dir)
    await writeFile(join(dir, 'config.toml'), CONFIG)
  })

  afterAll(async () => {
    follower?.kill('SIGKILL')
    await daemon?.stop('SIGKILL')
    await rm(root, { recursive: true, force: true })
  })

  const logsDir = (): string => join(dir, 'logs')
  const start = (): Promise<RunningDaemon> =>
    startDaemon(['--dir', dir, ...LOOPBACK, '--log-level', 'info', '--alias', 'a'])
  /** The JSON lines of every log file, in file-number order. */
  async function fileLines(): Promise<string[]> {
    const names = (await readdir(logsDir())).filter((n) => /^cord\.\d+\.log$/.test(n))
    names.sort((x, y) => Number(x.split('.')[1]) - Number(y.split('.')[1]))
    const texts = await Promise.all(names.map((n) => readFile(join(logsDir(), n), 'utf8')))
    return texts.flatMap((t) => t.split('\n').filter((l) => l !== ''))
  }
  /** Makes the daemon log `n` warnings: calls refused because their pin does not match. */
  async function refuse(n: number): Promise<void> {
    for (let i = 0; i < n; i++)
      expectCli(await cord(['call', '--dir', dir, 'echo', '{"text":"x"}', '--pin', WRONG_PIN]), { code: 6 })
  }
  const lineCount = (text: string): number => text.trimEnd().split('\n').length

  it('writes JSON lines on stderr when it is not a terminal, and to <dir>/logs/', async () => {
    daemon = await start()
    await refuse(REFUSED)
    const stderr = daemon
      .stderr()
      .split('\n')
      .filter((l) => l !== '')
    expect(stderr.length).toBeGreaterThan(REFUSED)
    for (const line of stderr)
      expect(JSON.parse(line)).toMatchObject({ level: expect.any(Number), msg: expect.any(String) })
    const lines = await fileLines()
    expect(lines[0]).toContain('"msg":"node started"')
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow()
  })

  it('rotates by size: several files, which cord logs reads oldest first', async () => {
    const files = (await readdir(logsDir())).filter((n) => n.endsWith('.log'))
    expect(files.length).toBeGreaterThanOrEqual(3)
    const res = await cord(['logs', '--dir', dir, '--json'])
    expectCli(res, { code: 0 })
    const printed = res.stdout.trimEnd().split('\n')
    expect(printed).toEqual(await fileLines())
    const times = printed.map((l) => (JSON.parse(l) as { time: number }).time)
    expect(times).toEqual([...times].sort((x, y) => x - y))
  })

  it('prints readable lines: time, level, part fields, message', async () => {
    const res = await cord(['logs', '--dir', dir])
    expectCli(res, { code: 0 })
    const lines = res.stdout.trimEnd().split('\n')
    expect(lines[0]).toMatch(READABLE)
    expect(lines[0]).toMatch(/ INFO {2}node started {2}node=\S+ peerId=12D3KooW/)
    expect(res.stdout).toMatch(
      / WARN {2}\[admission\] call refused: pinned tool definition changed {2}(\S+ )*tool=echo /,
    )
    expect(res.stdout).not.toContain('{"level"')
  })

  it('--level warn keeps warnings and errors only; -n keeps the last lines', async () => {
    const res = await cord(['logs', '--dir', dir, '--level', 'warn'])
    expectCli(res, { code: 0 })
    const lines = res.stdout.trimEnd().split('\n')
    expect(lines.length).toBe(REFUSED)
    for (const line of lines) expect(line).toMatch(/ (WARN |ERROR) /)
    const last = await cord(['logs', '--dir', dir, '--level', 'warn', '-n', '2'])
    expect(last.stdout.trimEnd().split('\n')).toEqual(lines.slice(-2))
  })

  it('--follow shows lines written after it started, across a restart and rotations', async () => {
    const before = lineCount((await cord(['logs', '--dir', dir])).stdout)
    follower = spawn(process.execPath, [CLI, 'logs', '--dir', dir, '--follow'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    follower.stdout?.on('data', (chunk) => {
      followed += chunk
    })
    await waitFor(() => followed !== '' && lineCount(followed) >= before)
    await refuse(1)
    await waitFor(() => lineCount(followed) === before + 1)
    expect(followed.trimEnd().split('\n').at(-1)).toMatch(/ WARN {2}\[admission\] call refused/)
    await daemon?.stop('SIGTERM')
    await waitFor(() => /INFO {2}node stopped/.test(followed))
    // a second run appends to the newest file, then rotates again
    const filesBefore = (await readdir(logsDir())).length
    daemon = await start()
    await refuse(4)
    expect((await readdir(logsDir())).length).toBeGreaterThan(filesBefore)
    await daemon.stop('SIGTERM')
    await waitFor(() => followed.match(/INFO {2}node stopped/g)?.length === 2)
    const all = (await cord(['logs', '--dir', dir])).stdout
    await waitFor(() => lineCount(followed) === lineCount(all))
    expect(followed).toBe(all)
    follower.kill('SIGINT')
  })

  it('says so when the dir has no logs (exit 3)', async () => {
    const res = await cord(['logs', '--dir', join(root, 'none')])
    expectCli(res, { code: 3 })
    expect(res.stderr).toMatch(/no log files in .*none\/logs/)
  })

  it('refuses an unknown level or log format in one line', async () => {
    const level = await cord(['logs', '--dir', dir, '--level', 'loud'])
    expectCli(level, { code: 2 })
    expect(level.stderr).toMatch(/^error: option '--level <level>' argument 'loud' is invalid/)
    const format = await cord(['start', '--dir', dir, '--log-format', 'xml'])
    expectCli(format, { code: 2 })
    expect(format.stderr).toMatch(/^error: option '--log-format <format>' argument 'xml' is invalid/)
  })

  it.skipIf(!hasScript)('on a terminal, cord start prints readable log lines and no JSON', async () => {
    const tty = join(root, 'tty')
    const command = [process.execPath, CLI, 'start', '--dir', tty, ...LOOPBACK].join(' ')
    const child = spawn('script', ['-qfc', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (chunk) => {
      out += chunk
    })
    const exited = new Promise((resolve) => child.once('exit', resolve))
    try {
      await waitFor(() => out.includes('Press Ctrl+C to stop.'), 30_000)
      const { pid } = JSON.parse(await readFile(join(tty, 'control.json'), 'utf8')) as { pid: number }
      process.kill(pid, 'SIGTERM')
      await waitFor(() => /INFO .*node stopped/.test(stripColour(out)))
    } finally {
      child.stdin.end()
      child.kill('SIGKILL')
      await exited
    }
    const plain = stripColour(out).replace(/\r/g, '')
    const lines = plain.split('\n').filter((l) => l !== '')
    expect(lines.filter((l) => l.startsWith('{'))).toEqual([])
    const banner = lines.indexOf('cord node started')
    expect(banner).toBeGreaterThanOrEqual(0)
    for (const line of lines.slice(0, banner)) expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} (INFO |WARN ) /)
    expect(out).toContain('\u001b[32mINFO') // in colour
  })
})
