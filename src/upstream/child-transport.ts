/**
 * An MCP `Transport` to a stdio server that the node starts as a child process: newline-delimited
 * JSON-RPC on its stdin/stdout (the SDK's own line codec), stderr to the node's log. The child runs
 * in its own process group, so that stopping it also stops what it started (an `npx` wrapper's
 * server, for example): no orphans.
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js'
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import type { Logger } from '../logger.ts'
import { afterNotificationHandlers } from '../util/async.ts'

/** How to start the child. */
export interface ChildSpec {
  command: string
  args?: string[]
  /** Added to a small safe default environment (PATH, HOME, …), as the MCP SDK does. */
  env?: Record<string, string>
  cwd?: string
}

/** How long the child gets to exit after stdin closes, then after SIGTERM, before SIGKILL. */
const EXIT_GRACE_MS = 2_000

/** A transport over a child process's stdio. */
export class ChildProcessTransport implements Transport {
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: (message: JSONRPCMessage) => void

  private readonly spec: ChildSpec
  private readonly log: Logger
  private child?: ChildProcess
  private readonly buffer = new ReadBuffer()
  private closed = false
  private draining = false
  /** Exit code or signal of the child, once it has exited. */
  exit?: { code: number | null; signal: NodeJS.Signals | null }

  constructor(spec: ChildSpec, log: Logger) {
    this.spec = spec
    this.log = log
  }

  /** The child's process ID, while it runs. */
  get pid(): number | undefined {
    return this.child?.pid
  }

  async start(): Promise<void> {
    const child = spawn(this.spec.command, this.spec.args ?? [], {
      env: { ...getDefaultEnvironment(), ...this.spec.env },
      cwd: this.spec.cwd,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
      windowsHide: true,
    })
    this.child = child
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve)
      child.once('error', reject)
    })
    child.on('error', (err) => this.onerror?.(err))
    child.once('exit', (code, signal) => {
      this.exit = { code, signal }
      this.finish()
    })
    child.stdout?.on('data', (chunk: Buffer) => {
      this.buffer.append(chunk)
      void this.drain()
    })
    child.stdin?.on('error', (err) => this.onerror?.(err))
    if (child.stderr != null) {
      createInterface({ input: child.stderr }).on('line', (line) =>
        this.log.info({ stream: 'stderr' }, '%s', line),
      )
    }
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin
    if (this.closed || stdin == null || stdin.destroyed) throw new Error('the server process is not running')
    if (!stdin.write(serializeMessage(message))) {
      await new Promise<void>((resolve) => stdin.once('drain', resolve))
    }
  }

  /** Stops the child: closes its stdin, then SIGTERM, then SIGKILL, to its whole process group. */
  async close(): Promise<void> {
    const child = this.child
    if (child == null || this.exit != null) return this.finish()
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.stdin?.end()
    for (const signal of [undefined, 'SIGTERM', 'SIGKILL'] as const) {
      if (signal != null) this.killGroup(signal)
      const done = await Promise.race([exited.then(() => true), sleep(EXIT_GRACE_MS, false, { ref: false })])
      if (done) break
    }
    // The server has exited; whatever it started in its group goes with it.
    this.killGroup('SIGKILL')
    this.finish()
  }

  private killGroup(signal: NodeJS.Signals): void {
    const pid = this.child?.pid
    if (pid == null) return
    try {
      process.kill(-pid, signal)
    } catch {
      // the group is already gone
    }
  }

  /** Delivers the buffered messages in order, one at a time (see afterNotificationHandlers). */
  private async drain(): Promise<void> {
    if (this.draining) return
    this.draining = true
    try {
      for (;;) {
        let message: JSONRPCMessage | null
        try {
          message = this.buffer.readMessage()
        } catch (err) {
          this.onerror?.(new Error(`the server wrote a line that is not JSON-RPC: ${(err as Error).message}`))
          continue
        }
        if (message == null) break
        this.onmessage?.(message)
        if ('method' in message && !('id' in message)) await afterNotificationHandlers()
      }
    } finally {
      this.draining = false
    }
  }

  private finish(): void {
    if (this.closed) return
    this.closed = true
    this.buffer.clear()
    this.onclose?.()
  }
}
