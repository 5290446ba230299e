/**
 * One harness for integration tests: real nodes on 127.0.0.1 with ports from 0 and temp dirs,
 * stopped and removed at teardown; `waitFor` polls a condition instead of sleeping.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout } from 'node:timers/promises'
import { type CordNode, createNode, type NodeOptions } from '../../src/index.ts'

/** Nodes and temp dirs of one test file. */
export class Harness {
  readonly nodes: CordNode[] = []
  private readonly dirs: string[] = []

  /** Creates and starts a node on 127.0.0.1 (port 0 unless `listen` says otherwise). */
  async spawn(options: NodeOptions = {}): Promise<CordNode> {
    const node = await createNode({
      listen: ['/ip4/127.0.0.1/tcp/0'],
      logLevel: process.env.CORD_TEST_LOG != null ? 'debug' : 'silent',
      ...options,
    })
    await node.start()
    this.nodes.push(node)
    return node
  }

  /** A new temp dir, removed at teardown. */
  async tempDir(): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), 'cord-test-'))
    this.dirs.push(dir)
    return dir
  }

  /** Stops every node and removes every temp dir. */
  async teardown(): Promise<void> {
    await Promise.allSettled(this.nodes.map((n) => n.stop()))
    await Promise.allSettled(this.dirs.map((d) => rm(d, { recursive: true, force: true })))
  }
}

/**
 * Polls `probe` until it returns a value other than undefined/false, or fails after `timeoutMs`. A
 * probe that throws is polled again; the failure then names the last error (or value) it saw.
 */
export async function waitFor<T>(
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last = 'no answer yet'
  for (;;) {
    try {
      const value = await probe()
      if (value !== undefined && value !== false) return value
      last = `the last answer was ${String(value)}`
    } catch (err) {
      last = `the last error was ${(err as Error)?.name ?? 'Error'}: ${(err as Error)?.message ?? String(err)}`
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; ${last}`)
    await setTimeout(25)
  }
}

/** Resolves with the error a promise rejects with, and how long it took. */
export async function failure(promise: Promise<unknown>): Promise<{ error: Error; ms: number }> {
  const start = Date.now()
  try {
    await promise
  } catch (error) {
    return { error: error as Error, ms: Date.now() - start }
  }
  throw new Error('expected the promise to reject')
}
