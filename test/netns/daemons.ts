/**
 * The built CLI inside a namespace of the simulated internet: `cord start` as a daemon there, and
 * `cord …` commands there too (the control API is on that namespace's loopback).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CLI, type CliResult, type DaemonInfo } from '../helpers/cli.ts'

/** A daemon running in a namespace. */
export interface NsDaemon {
  name: string
  ns: string
  dir: string
  info: DaemonInfo
  process: ChildProcess
  stderr: () => string
  /** SIGTERM (or `signal`), then the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

/** Runs `cord ARGS…` in namespace `ns`. */
export function cordIn(ns: string, args: string[], timeoutMs = 30_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      'ip',
      ['netns', 'exec', ns, process.execPath, CLI, ...args],
      { timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err == null ? 0 : typeof err.code === 'number' ? err.code : -1
        resolve({ code, stdout, stderr })
      },
    )
  })
}

/** `cord ARGS… --json` in `ns`, parsed; rejects with the command's stderr when it fails. */
export async function cordJson<T>(ns: string, args: string[], timeoutMs?: number): Promise<T> {
  const res = await cordIn(ns, [...args, '--json'], timeoutMs)
  if (res.code !== 0) throw new Error(`cord ${args.join(' ')} exited with ${res.code}: ${res.stderr}`)
  return JSON.parse(res.stdout) as T
}

/** Starts `cord start --json` in `ns` with a new data dir (and `config`, when given) and waits until it is ready. */
export async function startIn(
  name: string,
  ns: string,
  args: string[],
  options: { config?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): Promise<NsDaemon> {
  const dir = await mkdtemp(join(tmpdir(), `cord-netns-${name}-`))
  if (options.config != null) {
    const { writeFile } = await import('node:fs/promises')
    await writeFile(join(dir, 'config.toml'), options.config)
  }
  const child = spawn(
    'ip',
    [
      'netns',
      'exec',
      ns,
      process.execPath,
      CLI,
      'start',
      '--json',
      '--log-level',
      'warn',
      '--dir',
      dir,
      ...args,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } },
  )
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const info = await new Promise<DaemonInfo>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${name} did not start within ${options.timeoutMs ?? 30_000} ms\nstderr: ${stderr}`))
    }, options.timeoutMs ?? 30_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited with ${code} before it was ready\nstderr: ${stderr}`))
    })
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      const line = stdout.split('\n').find((l) => l.startsWith('{'))
      if (line == null || !stdout.includes('\n')) return
      clearTimeout(timer)
      resolve(JSON.parse(line) as DaemonInfo)
    })
  })
  return {
    name,
    ns,
    dir,
    info,
    process: child,
    stderr: () => stderr,
    stop: (signal = 'SIGTERM') => {
      if (child.exitCode == null && child.signalCode == null) child.kill(signal)
      return exited
    },
  }
}
