/**
 * The benchmark's child processes: started with one helper, waited for by a line they print, and
 * killed when the benchmark exits, however it exits.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

/**
 * BENCH_SERVING_PROF=<dir>: every serving process (daemons, the floor's host, the HTTP server) runs
 * under `node --cpu-prof` and writes a V8 CPU profile there when it stops.
 */
export const PROFILE_ARGS: string[] =
  process.env.BENCH_SERVING_PROF != null
    ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_SERVING_PROF]
    : []

/** A path relative to the repository root. */
export const repo = (path: string): string => fileURLToPath(new URL(`../../${path}`, import.meta.url))

const children = new Set<ChildProcess>()

function killAll(): void {
  for (const child of children) if (child.exitCode == null && child.signalCode == null) child.kill('SIGKILL')
}
process.on('exit', killAll)
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killAll()
    process.exit(130)
  })
}

/** A started child and the lines it printed until the one waited for. */
export interface Started {
  proc: ChildProcess
  lines: string[]
}

/**
 * Starts `node <args>` (this Node, with `execArgv` before the args) and resolves once a line on
 * `stream` satisfies `ready`. Rejects when the child exits first or `timeoutMs` passes.
 */
export function startChild(
  args: string[],
  init: {
    ready: (line: string) => boolean
    stream?: 'stdout' | 'stderr'
    execArgv?: string[]
    env?: NodeJS.ProcessEnv
    timeoutMs?: number
  },
): Promise<Started> {
  const proc = spawn(process.execPath, [...(init.execArgv ?? []), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    cwd: repo('.'),
    env: init.env ?? process.env,
  })
  children.add(proc)
  proc.once('exit', () => children.delete(proc))
  const lines: string[] = []
  let stderrTail = ''
  proc.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-2000)
  })
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL')
      reject(new Error(`${args.join(' ')}: not ready within ${init.timeoutMs ?? 30_000} ms\n${stderrTail}`))
    }, init.timeoutMs ?? 30_000)
    const input = init.stream === 'stderr' ? proc.stderr! : proc.stdout!
    const reader = createInterface({ input })
    reader.on('line', (line) => {
      lines.push(line)
      if (init.ready(line)) {
        clearTimeout(timer)
        reader.removeAllListeners('line')
        resolve({ proc, lines })
      }
    })
    proc.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${args.join(' ')} exited with ${code}\n${stderrTail}`))
    })
    // Output nobody reads must not fill the pipe and stall the child.
    proc.stdout?.resume()
    proc.stderr?.resume()
  })
}

/** Stops a child with SIGTERM and waits for it to exit (SIGKILL after `ms`). */
export async function stopChild(proc: ChildProcess, ms = 15_000): Promise<void> {
  if (proc.exitCode != null || proc.signalCode != null) return
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()))
  proc.kill('SIGTERM')
  const timer = setTimeout(() => proc.kill('SIGKILL'), ms)
  await exited
  clearTimeout(timer)
}
