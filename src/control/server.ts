/**
 * The daemon's control API: HTTP on a loopback address, for the CLI. Every request must carry the
 * bearer token from the control file; without it there is no answer but 401. Under `/ui/` it serves
 * the dashboard, which signs in with a session cookie instead (ui-server.ts).
 */
import { timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { CordError, KINDS } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { CordNode } from '../node/node.ts'
import { baseUrl, listenOn } from '../util/http-listen.ts'
import { type RouteHandler, routes, type StreamRoute, streamRoutes } from './routes.ts'
import { UiServer } from './ui-server.ts'

/** Largest request body accepted: a call's arguments. */
const MAX_BODY_BYTES = 8 * 1024 * 1024

/** A refusal of the HTTP layer itself (token, route, body), with its status. */
class HttpError extends Error {
  override name = 'HttpError'
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.status = status
  }
}

/** What the control server needs. */
export interface ControlServerComponents {
  node: CordNode
  log: Logger
}

/** Settings of the control server. */
export interface ControlServerInit {
  /** `host:port`, loopback only. */
  listen: string
  token: string
  /** More fields of `/v1/status`. */
  extra?: () => Record<string, unknown>
}

/** The control API server. */
export class ControlServer {
  private readonly components: ControlServerComponents
  private readonly init: ControlServerInit
  private readonly routes: Map<string, RouteHandler>
  private readonly streams: Map<string, StreamRoute>
  private readonly ui: UiServer
  private server?: Server
  private expected: Buffer

  constructor(components: ControlServerComponents, init: ControlServerInit) {
    this.components = components
    this.init = init
    this.expected = Buffer.from(`Bearer ${init.token}`)
    this.routes = routes(components.node, () => ({ control: { url: this.url }, ...init.extra?.() }))
    this.streams = streamRoutes(components.node)
    // The dashboard (`cord ui`): a one-time login link, issued to holders of the bearer token.
    this.ui = new UiServer(components)
    this.routes.set('POST /v1/ui/login', async () => ({
      url: `${this.url}/ui/login?token=${this.ui.auth.issue()}`,
    }))
  }

  /** The API's base URL, once listening. */
  get url(): string | undefined {
    return baseUrl(this.server)
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res))
    this.server = server
    await listenOn(server, this.init.listen)
    return this.url as string
  }

  /** Stops taking new connections; requests in progress go on. */
  stopAccepting(): void {
    this.server?.close()
    this.server?.closeIdleConnections()
  }

  /** Closes every connection. */
  async stop(): Promise<void> {
    const server = this.server
    if (server == null) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
    this.server = undefined
  }

  private authorized(req: IncomingMessage): boolean {
    const given = Buffer.from(req.headers.authorization ?? '')
    return given.length === this.expected.length && timingSafeEqual(given, this.expected)
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      // The dashboard has its own login (a session cookie): the browser holds no bearer token.
      const path = req.url ?? '/'
      if (path === '/ui' || path.startsWith('/ui/') || path.startsWith('/ui?'))
        return await this.ui.handle(req, res, new URL(path, 'http://control'))
      if (!this.authorized(req))
        throw new HttpError(401, 'missing or wrong bearer token (see control.json in the data dir)')
      const url = new URL(req.url ?? '/', 'http://control')
      const stream = this.streams.get(`${req.method} ${url.pathname}`)
      if (stream != null) return openStream(req, res, stream, url.searchParams)
      const route = this.routes.get(`${req.method} ${url.pathname}`)
      if (route == null) throw new HttpError(404, `no such endpoint: ${req.method} ${url.pathname}`)
      const body = req.method === 'POST' ? await readJson(req) : undefined
      send(res, 200, await route(url.searchParams, body))
    } catch (err) {
      this.sendError(res, err as Error)
    }
  }

  private sendError(res: ServerResponse, err: Error): void {
    const status =
      err instanceof HttpError ? err.status : err instanceof CordError ? KINDS[err.kind].status : 500
    if (status === 500) this.components.log.error({ err }, 'control API request failed')
    const kind = err instanceof CordError ? err.kind : 'internal'
    send(res, status, { error: { name: err.name, kind, message: err.message } })
  }
}

/** Runs a streaming route: one line of JSON per value, until the client hangs up. */
function openStream(
  req: IncomingMessage,
  res: ServerResponse,
  route: StreamRoute,
  query: URLSearchParams,
): void {
  const emit = (value: unknown): void => {
    if (!res.headersSent)
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
    res.write(`${JSON.stringify(value)}\n`)
  }
  const close = route(query, emit)
  req.resume()
  res.once('close', close)
}

function send(res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent) return
  const body = JSON.stringify(value)
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) })
  res.end(body)
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `request body larger than ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch (err) {
    throw new HttpError(400, `request body is not JSON: ${(err as Error).message}`)
  }
}
