/**
 * The CLI's side of the control API: finds the daemon of a data directory through its control file
 * and asks it things.
 */

import { ControlRequestError, NoDaemonError } from '../errors.ts'
import { dataDirPaths } from '../node/data-dir.ts'
import { type ControlFile, readControlFile } from './files.ts'
import { type Http1Response, request, requestStream } from './http1.ts'

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

  /**
   * Opens a streaming endpoint (newline-delimited JSON) and calls `onValue` with each value until the
   * daemon ends the stream (resolves) or `signal` aborts (rejects with its reason).
   */
  async stream(path: string, onValue: (value: unknown) => void, signal: AbortSignal): Promise<void> {
    let pending = ''
    const onBody = (data: Buffer): void => {
      const lines = (pending + data.toString('utf8')).split('\n')
      pending = lines.pop() ?? ''
      for (const line of lines) if (line.trim() !== '') onValue(JSON.parse(line))
    }
    let res: Http1Response
    try {
      res = await requestStream(
        new URL(path, this.control.url),
        { method: 'GET', headers: { authorization: `Bearer ${this.control.token}` }, signal },
        onBody,
      )
    } catch (err) {
      if (signal.aborted || (err as NodeJS.ErrnoException).code == null) throw err
      throw this.noDaemon()
    }
    if (res.status < 200 || res.status > 299) throw errorOf(res)
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
      throw this.noDaemon()
    }
    if (res.status < 200 || res.status > 299) throw errorOf(res)
    try {
      return JSON.parse(res.body) as T
    } catch (err) {
      throw new ControlRequestError(
        `the daemon for ${this.dir} sent a malformed answer: ${(err as Error).message}`,
        'Error',
        'internal',
      )
    }
  }

  private noDaemon(): NoDaemonError {
    return new NoDaemonError(
      `no cord daemon is running for ${this.dir} (its control file names pid ${this.control.pid}, which does not answer; start one with: cord start --dir ${this.dir})`,
    )
  }
}

/** The error of a non-2xx answer: the daemon's `{ error: { name, kind, message } }`. */
function errorOf(res: Http1Response): ControlRequestError {
  let payload: { error?: { name: string; kind: ControlRequestError['kind']; message: string } } | undefined
  try {
    payload = JSON.parse(res.body)
  } catch {}
  const error = payload?.error
  return new ControlRequestError(
    error?.message ?? `HTTP ${res.status}`,
    error?.name ?? 'Error',
    error?.kind ?? 'internal',
  )
}
