/**
 * A forked bench worker and the requests pending on it: each request gets an `id`, the worker answers
 * `{ id, result }` or `{ id, error }`, and a worker that exits fails what was pending.
 */
import { type ChildProcess, type ForkOptions, fork } from 'node:child_process'

/** A request without its `id` (added here), for each member of a union of requests. */
export type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never

/** A forked worker script that answers requests of type `Req`. */
export class WorkerRpc<Req extends { op: string }> {
  readonly child: ChildProcess
  private nextId = 0
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()

  constructor(script: URL, options: ForkOptions = {}) {
    this.child = fork(script.pathname, [], { stdio: 'inherit', ...options })
    this.child.on('message', (msg: { id: number; result?: unknown; error?: string }) => {
      const waiting = this.pending.get(msg.id)
      this.pending.delete(msg.id)
      if (msg.error != null) waiting?.reject(new Error(msg.error))
      else waiting?.resolve(msg.result)
    })
    this.child.on('exit', (code) => {
      for (const p of this.pending.values()) p.reject(new Error(`${script.pathname} exited with ${code}`))
      this.pending.clear()
    })
  }

  request<T>(req: WithoutId<Req>): Promise<T> {
    const id = this.nextId++
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
      this.child.send({ ...req, id })
    })
  }

  /** Asks the worker to stop its nodes, then lets it exit. */
  async close(): Promise<void> {
    if (this.child.exitCode != null || this.child.signalCode != null) return
    await this.request({ op: 'stop' } as WithoutId<Req>).catch(() => {})
    this.child.disconnect()
  }
}
