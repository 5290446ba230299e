/**
 * The metrics listener: `GET /health` (liveness), `GET /ready` (readiness, 503 when not ready) and
 * `GET /metrics` (Prometheus text format). Loopback unless the config allows otherwise. When its
 * address is the default one and that port is taken (another node on this host), it takes a free
 * port and says so; a port that was chosen and is taken stops the start.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { DEFAULT_METRICS_LISTEN } from '../constants.ts'
import { ConfigError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { baseUrl, listenOn, splitHostPort } from '../util/http-listen.ts'
import type { ReadinessReport } from './health.ts'

/** What the listener serves. */
export interface MetricsServerComponents {
  /** The metrics text and its content type. */
  metrics: { text(): Promise<string>; contentType: string }
  /** Readiness, judged now. */
  ready(): ReadinessReport
  /** What `/health` adds to `{ status: 'ok' }`. */
  health(): Record<string, unknown>
  log: Logger
}

/** The metrics HTTP listener of one node. */
export class MetricsServer {
  private readonly components: MetricsServerComponents
  private readonly listen: string
  private server?: Server

  constructor(components: MetricsServerComponents, init: { listen: string }) {
    this.components = components
    this.listen = init.listen
  }

  /** The base URL (`http://host:port`), once listening. */
  get url(): string | undefined {
    return baseUrl(this.server)
  }

  /** Starts listening; resolves with the base URL. Safe to call twice. */
  async start(): Promise<string> {
    if (this.server != null) return this.url as string
    const server = createServer((req, res) => void this.handle(req, res))
    try {
      await listenOn(server, this.listen)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw listenFailure(this.listen, err)
      if (this.listen !== DEFAULT_METRICS_LISTEN)
        throw new ConfigError(
          `cannot listen for metrics on ${this.listen}: the port is taken (choose another in [metrics] listen, or port 0 for a free one)`,
        )
      const fallback = `${splitHostPort(this.listen).host}:0`
      await listenOn(server, fallback).catch((e: Error) => {
        throw listenFailure(fallback, e)
      })
      this.server = server
      this.components.log.warn(
        { url: this.url },
        'metrics: the default port %d is taken (another node on this host?): listening on %s instead; set [metrics] listen for a fixed port',
        splitHostPort(this.listen).port,
        this.url,
      )
    }
    this.server = server
    return this.url as string
  }

  /** Stops listening. Safe to call twice. */
  async stop(): Promise<void> {
    const server = this.server
    if (server == null) return
    this.server = undefined
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = new URL(req.url ?? '/', 'http://metrics').pathname
      const route = ROUTES[path]
      if (route == null)
        return send(
          res,
          404,
          JSON_TYPE,
          json({ error: `no such path ${path}: try /health, /ready or /metrics` }),
        )
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.setHeader('allow', 'GET, HEAD')
        return send(res, 405, JSON_TYPE, json({ error: `${req.method} is not allowed on ${path}: use GET` }))
      }
      await route(this.components, res)
    } catch (err) {
      this.components.log.warn({ err }, 'metrics request failed')
      if (!res.headersSent) send(res, 500, JSON_TYPE, json({ error: (err as Error).message }))
      else res.destroy()
    }
  }
}

type Route = (components: MetricsServerComponents, res: ServerResponse) => Promise<void> | void

const JSON_TYPE = 'application/json; charset=utf-8'

const ROUTES: Record<string, Route> = {
  '/health': (c, res) => send(res, 200, JSON_TYPE, json({ status: 'ok', ...c.health() })),
  '/ready': (c, res) => {
    const report = c.ready()
    send(res, report.ready ? 200 : 503, JSON_TYPE, json(report))
  },
  '/metrics': async (c, res) => send(res, 200, c.metrics.contentType, await c.metrics.text()),
}

function json(value: unknown): string {
  return `${JSON.stringify(value)}\n`
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) })
  res.end(res.req.method === 'HEAD' ? undefined : body)
}

function listenFailure(listen: string, err: unknown): ConfigError {
  return new ConfigError(`cannot listen for metrics on ${listen}: ${(err as Error).message}`)
}
