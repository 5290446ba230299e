/**
 * The CLI's side of the control API: finds the daemon of a data directory through its control file
 * and asks it things.
 */

import { ControlRequestError, NoDaemonError } from '../errors.ts'
import { dataDirPaths } from '../node/data-dir.ts'
import { type ControlFile, readControlFile } from './files.ts'

/** Slack on top of a call's own timeout before the CLI stops waiting for the daemon. */
const REQUEST_SLACK_MS = 5_000

/** A client of one daemon's control API. */
export class ControlClient {
  readonly dir: string
  private readonly control: ControlFile

  private constructor(dir: string, control: ControlFile) {
    this.dir = dir
    this.control = control
  }

  /** Connects to the daemon of `dir`, or throws `NoDaemonError`. */
  static async open(dir: string): Promise<ControlClient> {
    const paths = dataDirPaths(dir)
    const control = await readControlFile(paths.control)
    if (control == null) {
      throw new NoDaemonError(
        `no cord daemon is running for ${paths.dir} (start one with: cord start --dir ${paths.dir})`,
      )
    }
    return new ControlClient(paths.dir, control)
  }

  /** The MCP gateway's Streamable HTTP URL, when the daemon runs one. */
  get gatewayUrl(): string | undefined {
    return this.control.gateway
  }

  /** The daemon's process ID, from the control file. */
  get pid(): number {
    return this.control.pid
  }

  /** Sends a request; `timeoutMs` bounds the wait. */
  async request<T>(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 60_000): Promise<T> {
    let res: Response
    try {
      res = await fetch(new URL(path, this.control.url), {
        method,
        headers: { authorization: `Bearer ${this.control.token}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(timeoutMs + REQUEST_SLACK_MS),
      })
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') {
        throw new ControlRequestError(
          `the daemon for ${this.dir} did not answer in time`,
          'TimeoutError',
          'timeout',
        )
      }
      throw new NoDaemonError(
        `no cord daemon is running for ${this.dir} (its control file names pid ${this.control.pid}, which does not answer; start one with: cord start --dir ${this.dir})`,
      )
    }
    const payload = (await res.json().catch(() => undefined)) as
      | { error?: { name: string; kind: ControlRequestError['kind']; message: string } }
      | undefined
    if (!res.ok) {
      const error = payload?.error
      throw new ControlRequestError(
        error?.message ?? `HTTP ${res.status}`,
        error?.name ?? 'Error',
        error?.kind ?? 'internal',
      )
    }
    return payload as T
  }
}
