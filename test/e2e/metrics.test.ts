/**
 * End to end: the metrics listener of a `cord start` daemon: its URL in the banner, in
 * `cord status` (human and --json) and in control.json, and what it serves.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, cord, expectCli, type RunningDaemon, startDaemon } from '../helpers/cli.ts'
import { scrape } from '../helpers/prometheus.ts'

const LOOPBACK = ['--listen', '/ip4/127.0.0.1/tcp/0']

describe('cord start: metrics', () => {
  let root: string
  let daemon: RunningDaemon

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'cord-e2e-metrics-'))
    daemon = await startDaemon(['--dir', join(root, 'a'), '--alias', 'a', ...LOOPBACK])
  })

  afterAll(async () => {
    await daemon?.stop('SIGKILL')
    await rm(root, { recursive: true, force: true })
  })

  it('prints the metrics URL, writes it to control.json and shows it in cord status', async () => {
    const url = daemon.info.metrics
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const control = JSON.parse(await readFile(join(root, 'a', 'control.json'), 'utf8')) as {
      metrics?: string
    }
    expect(control.metrics).toBe(url)
    const json = await cord(['status', '--dir', join(root, 'a'), '--json'])
    expectCli(json, { code: 0 })
    expect((JSON.parse(json.stdout) as { metrics: { url: string } }).metrics.url).toBe(url)
    const human = await cord(['status', '--dir', join(root, 'a')])
    expectCli(human, { code: 0 })
    expect(human.stdout).toMatch(new RegExp(`^metrics\\s+${url}/metrics`, 'm'))
  })

  it('serves /health, /ready and /metrics', async () => {
    const url = daemon.info.metrics!
    expect((await fetch(`${url}/health`)).status).toBe(200)
    expect((await fetch(`${url}/ready`)).status).toBe(200)
    const s = await scrape(url)
    expect(s.value('cord_node_info', { alias: 'a' })).toBe(1)
    expect(s.family('cord_gateway_sessions')?.metrics[0]?.value).toBe('0')
  })

  it('prints the URL in the human banner', async () => {
    const child = spawn(
      process.execPath,
      [CLI, 'start', '--dir', join(root, 'b'), '--alias', 'b', ...LOOPBACK, '--log-level', 'warn'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    try {
      let out = ''
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk) => {
          out += chunk
          if (out.includes('Press Ctrl+C')) resolve()
        })
        child.once('exit', (code) => reject(new Error(`exited with ${code}: ${out}`)))
      })
      expect(out).toMatch(/^metrics +http:\/\/127\.0\.0\.1:\d+\/metrics \(also \/health, \/ready\)$/m)
    } finally {
      child.kill('SIGKILL')
    }
  })
})
