/**
 * The CLI's side of the control API: finds the daemon of a data directory through its control file
 * and asks it things.
 */

import { ControlRequestError, NoDaemonError } from '../errors.ts'
import { dataDirPaths } from '../node/data-dir.ts'
import { type ControlFile, readControlFile } from './files.ts'
import { type Http1Response, request } from './http1.ts'

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
    let res: Http1Response
    try {
      res = await request(new URL(path, this.control.url), {
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
      if ((err as NodeJS.ErrnoException).code == null) {
        throw new ControlRequestError(
          `the daemon for ${this.dir} sent a malformed answer: ${(err as Error).message}`,
          'Error',
          'internal',
        )
      }
      throw new NoDaemonError(
        `no cord daemon is running for ${this.dir} (its control file names pid ${this.control.pid}, which does not answer; start one with: cord start --dir ${this.dir})`,
      )
    }
    let payload: { error?: { name: string; kind: ControlRequestError['kind']; message: string } } | undefined
    try {
      payload = JSON.parse(res.body)
    } catch {}
    if (res.status < 200 || res.status > 299) {
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
