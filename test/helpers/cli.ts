/**
 * Runs the built `cord` CLI as a user would: daemons in child processes, commands as separate
 * processes. Build first (`npm test` does).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { expect } from 'vitest'

/** The built CLI entry point. */
export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url))

/** Output of one CLI command. */
export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** Runs `cord ARGS…` to completion. */
export function cord(
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`)
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { timeout: options.timeoutMs ?? 30_000 },
      (err, stdout, stderr) => {
        const code = err == null ? 0 : typeof err.code === 'number' ? err.code : -1
        resolve({ code, stdout, stderr })
      },
    )
    if (options.input != null) child.stdin?.end(options.input)
    else child.stdin?.end()
  })
}

/**
 * Asserts what a command returned: its exit code and whatever else `expected` names (strings or
 * asymmetric matchers). A failure shows the command's stderr, which says why it failed.
 */
export function expectCli(res: CliResult, expected: Partial<CliResult>): void {
  expect(res, `exit code ${res.code}, stderr:\n${res.stderr || '(empty)'}\n`).toMatchObject(expected)
}

/**
 * Runs `cord ARGS…` and resolves with its result when it exits 0, or rejects naming the exit code and
 * stderr: a probe for `waitFor`, which reports the last rejection when it gives up.
 */
export async function cordOk(
  args: string[],
  options: { input?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  const res = await cord(args, options)
  if (res.code !== 0) throw new Error(`cord ${args.join(' ')} exited with ${res.code}: ${res.stderr}`)
  return res
}

/** What `cord start --json` prints when the daemon is ready. */
export interface DaemonInfo {
  peerId: string
  alias: string
  addrs: string[]
  control: string
  /** The MCP gateway's Streamable HTTP URL (null when it is off). */
  gateway: string | null
  /** The file with the token gateway clients send (null when none is needed or the gateway is off). */
  gatewayTokenFile: string | null
  /** The metrics listener's base URL (null when metrics are off). */
  metrics: string | null
  dir: string
}

/** A daemon started with `cord start --json`. */
export interface RunningDaemon {
  info: DaemonInfo
  process: ChildProcess
  stderr: () => string
  /** Sends a signal (SIGTERM by default) and waits for the exit code. */
  stop: (signal?: NodeJS.Signals) => Promise<number | null>
}

/** Starts `cord start --json ARGS…` and waits until it prints its ready line. */
export function startDaemon(args: string[], timeoutMs = 30_000): Promise<RunningDaemon> {
  const child = spawn(process.execPath, [CLI, 'start', '--json', '--log-level', 'warn', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk) => {
    stderr += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return new Promise((resolve, reject) => {
    const onEarlyExit = (code: number | null): void => {
      clearTimeout(timer)
      reject(
        new Error(`daemon exited with ${code} before it was ready\nstdout: ${stdout}\nstderr: ${stderr}`),
      )
    }
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`daemon did not start within ${timeoutMs} ms\nstderr: ${stderr}`))
    }, timeoutMs)
    child.once('exit', onEarlyExit)
    child.stdout.on('data', (chunk) => {
      stdout += chunk
      const line = stdout.split('\n').find((l) => l.startsWith('{'))
      if (line == null || !stdout.includes('\n')) return
      clearTimeout(timer)
      child.off('exit', onEarlyExit)
      resolve({
        info: JSON.parse(line) as DaemonInfo,
        process: child,
        stderr: () => stderr,
        stop: (signal = 'SIGTERM') => {
          if (child.exitCode == null && child.signalCode == null) child.kill(signal)
          return exited
        },
      })
    })
  })
}
