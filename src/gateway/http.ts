/**
 * The gateway's Streamable HTTP endpoint (`/mcp`). Loopback by default. Every request's Host header
 * must name this server (and an Origin header, when a browser sends one, must be local or allowed):
 * a web page cannot reach the gateway through DNS rebinding. With a token (the daemon's default, and
 * always off loopback) every request must carry it. Sessions are closed when idle (http-sessions.ts);
 * their event streams can be resumed with `Last-Event-ID` (event-store.ts).
 */
import { randomUUID, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js'
import {
  GATEWAY_EVENT_STORE_MAX_BYTES,
  GATEWAY_EVENT_STORE_MAX_EVENTS,
  GATEWAY_SSE_RETRY_MS,
} from '../constants.ts'
import type { Logger } from '../logger.ts'
import type { GatewayObserver } from '../observability/metrics.ts'
import { baseUrl, isLoopbackHost, listenOn } from '../util/http-listen.ts'
import { type EventStoreLimits, SessionEventStore } from './event-store.ts'
import type { Gateway, GatewaySession } from './gateway.ts'
import { InflightTransport, idleSessions, leastRecentlyUsedIdle, type SessionUse } from './http-sessions.ts'

/** Settings of the endpoint. */
export interface GatewayHttpInit {
  /** `host:port` to listen on. */
  listen: string
  /** Bearer token clients must send; required when `listen` is not loopback. */
  token?: string
  /** Where a client finds the token, for the 401 answer (the daemon's `<dir>/gateway.token`). */
  tokenFile?: string
  /** Host names besides the bound address (and, on loopback, localhost) that clients may use. */
  allowedHosts: string[]
  /** Origins (`scheme://host[:port]`) besides local ones that browsers may send. */
  allowedOrigins: string[]
  /** A session with no request in flight, no event stream open and no request for this long is closed. */
  idleTimeoutMs: number
  /** Most sessions open at once: above it the least recently used idle one is closed. */
  maxSessions: number
  maxBodyBytes: number
  /** Bounds of each session's event store. */
  eventStore?: EventStoreLimits
  /** Counts the requests (metrics). */
  observer?: GatewayObserver
}

interface HttpSession extends SessionUse {
  transport: StreamableHTTPServerTransport
  /** What the session's MCP server runs on: the transport, counting requests in flight. */
  tracked: InflightTransport
  events: SessionEventStore
  session?: GatewaySession
}

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]']

/** The gateway's HTTP server. */
export class GatewayHttpServer {
  private readonly gateway: Gateway
  private readonly init: GatewayHttpInit
  private readonly log: Logger
  private readonly sessions = new Map<string, HttpSession>()
  private server?: Server
  private sweeper?: ReturnType<typeof setInterval>
  private hosts = new Set<string>()

  constructor(gateway: Gateway, init: GatewayHttpInit, log: Logger) {
    this.gateway = gateway
    this.init = init
    this.log = log
  }

  /** The endpoint's URL, once listening. */
  get url(): string | undefined {
    const base = baseUrl(this.server)
    return base != null ? `${base}/mcp` : undefined
  }

  /** Open sessions. */
  get sessionCount(): number {
    return this.sessions.size
  }

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res))
    // Event streams (GET, and POST answers with progress) stay open for as long as a client listens:
    // Node's default 5-minute request timeout would cut them. Idle sessions are swept instead.
    server.requestTimeout = 0
    server.keepAliveTimeout = 65_000
    this.server = server
    await listenOn(server, this.init.listen)
    const address = server.address() as AddressInfo
    const bound = address.family === 'IPv6' ? `[${address.address}]` : address.address
    const names = isLoopbackHost(address.address) ? LOOPBACK_NAMES : [bound]
    for (const name of [...names, ...this.init.allowedHosts])
      this.hosts.add(`${name}:${address.port}`.toLowerCase())
    const every = Math.max(100, Math.min(this.init.idleTimeoutMs / 2, 60_000))
    this.sweeper = setInterval(() => this.sweep(), every)
    this.sweeper.unref()
    return this.url as string
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper)
    await Promise.allSettled([...this.sessions.values()].map((s) => s.transport.close()))
    this.sessions.clear()
    const server = this.server
    if (server == null) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.init.observer?.recordGatewayRequest(req.method ?? '')
    try {
      const url = new URL(req.url ?? '/', 'http://gateway')
      if (url.pathname !== '/mcp')
        return reply(res, 404, `no such endpoint ${url.pathname}: the MCP endpoint is /mcp`)
      const refused = this.refuse(req)
      if (refused != null) return reply(res, refused.status, refused.message)
      const id = header(req, 'mcp-session-id')
      if (id != null) {
        const known = this.sessions.get(id)
        if (known == null) return reply(res, 404, `unknown or expired session ${id}: initialize a new one`)
        return await this.serve(known, req, res)
      }
      if (req.method !== 'POST')
        return reply(res, 400, 'no Mcp-Session-Id header: send an initialize request first')
      const body = await readJson(req, this.init.maxBodyBytes)
      if ('error' in body) return reply(res, body.status, body.error, body.code)
      if (!isInitializeRequest(body.value))
        return reply(res, 400, 'no Mcp-Session-Id header: the first request of a session must be initialize')
      if (!this.makeRoom())
        return reply(
          res,
          503,
          `all ${this.init.maxSessions} gateway sessions are busy (a request in flight or an event stream open); retry later`,
        )
      await this.openSession(req, res, body.value)
    } catch (err) {
      this.log.warn({ err }, 'gateway request failed')
      if (!res.headersSent) reply(res, 500, `internal error: ${(err as Error).message}`, -32603)
      else res.end()
    }
  }

  /**
   * Whether a new session may open: below the limit, or once the least recently used idle session is
   * closed. False when every session is busy.
   */
  private makeRoom(): boolean {
    if (this.sessions.size < this.init.maxSessions) return true
    const victim = leastRecentlyUsedIdle(this.sessions.values())
    if (victim == null) return false
    this.log.info(
      { session: victim.transport.sessionId, idleMs: Date.now() - victim.lastActive },
      'closing the least recently used idle gateway session to make room for a new client',
    )
    this.close(victim)
    return true
  }

  private close(entry: HttpSession): void {
    const sid = entry.transport.sessionId
    if (sid != null && this.sessions.get(sid) === entry) this.sessions.delete(sid)
    void entry.transport.close().catch(() => {})
  }

  private async openSession(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const events = new SessionEventStore(
      this.init.eventStore ?? {
        maxEvents: GATEWAY_EVENT_STORE_MAX_EVENTS,
        maxBytes: GATEWAY_EVENT_STORE_MAX_BYTES,
      },
    )
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => void this.sessions.set(sid, entry),
      eventStore: events,
      retryInterval: GATEWAY_SSE_RETRY_MS,
    })
    const tracked = new InflightTransport(transport)
    const entry: HttpSession = {
      transport,
      tracked,
      events,
      lastActive: Date.now(),
      open: 0,
      inflight: tracked.inflight,
    }
    entry.session = await this.gateway.connect(tracked)
    // After connect: the MCP server's close handler is in place; this one runs after it.
    const onclose = tracked.onclose
    tracked.onclose = () => {
      onclose?.()
      const sid = transport.sessionId
      if (sid != null && this.sessions.get(sid) === entry) this.sessions.delete(sid)
    }
    await this.serve(entry, req, res, body)
  }

  private async serve(
    entry: HttpSession,
    req: IncomingMessage,
    res: ServerResponse,
    body?: unknown,
  ): Promise<void> {
    entry.open++
    entry.lastActive = Date.now()
    res.once('close', () => {
      entry.open--
      entry.lastActive = Date.now()
    })
    if (body === undefined && req.method === 'POST') {
      const parsed = await readJson(req, this.init.maxBodyBytes)
      if ('error' in parsed) return reply(res, parsed.status, parsed.error, parsed.code)
      body = parsed.value
    }
    const resume = req.method === 'GET' ? header(req, 'last-event-id') : undefined
    if (resume != null && !entry.events.has(resume))
      return reply(
        res,
        400,
        `cannot resume after event ${resume}: this session no longer holds it (it keeps its last events, up to a bound); open the event stream again without Last-Event-ID`,
      )
    await entry.transport.handleRequest(req, res, body)
  }

  /** Host, Origin and token checks; what to answer when one fails. */
  private refuse(req: IncomingMessage): { status: number; message: string } | undefined {
    const host = (req.headers.host ?? '').toLowerCase()
    if (!this.hosts.has(host)) {
      return {
        status: 403,
        message: `Host header "${host}" is not allowed (DNS rebinding protection); use one of: ${[...this.hosts].join(', ')}`,
      }
    }
    const origin = header(req, 'origin')
    if (origin != null && !this.originAllowed(origin))
      return {
        status: 403,
        message: `Origin "${origin}" is not allowed; add it to gateway.allowed_origins to permit it`,
      }
    if (this.init.token != null) {
      const got = Buffer.from(header(req, 'authorization') ?? '')
      const want = Buffer.from(`Bearer ${this.init.token}`)
      if (got.length !== want.length || !timingSafeEqual(got, want)) {
        const where =
          this.init.tokenFile != null ? `the token in ${this.init.tokenFile}` : 'the gateway token'
        return {
          status: 401,
          message: `${got.length === 0 ? 'no' : 'wrong'} bearer token: this gateway needs the header "Authorization: Bearer <token>" with ${where} on every request (\`cord mcp\` sends it for stdio clients)`,
        }
      }
    }
    return undefined
  }

  private originAllowed(origin: string): boolean {
    if (this.init.allowedOrigins.includes(origin)) return true
    try {
      const { hostname } = new URL(origin)
      return isLoopbackHost(hostname.replace(/^\[|\]$/g, ''))
    } catch {
      return false
    }
  }

  private sweep(): void {
    for (const entry of idleSessions(this.sessions.values(), Date.now(), this.init.idleTimeoutMs)) {
      this.log.info({ session: entry.transport.sessionId }, 'closing an idle gateway session')
      this.close(entry)
    }
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** A JSON-RPC error answer with an HTTP status. */
function reply(res: ServerResponse, status: number, message: string, code = -32000): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }))
}

async function readJson(
  req: IncomingMessage,
  limit: number,
): Promise<{ value: unknown } | { error: string; status: number; code: number }> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > limit) return { error: `request body larger than ${limit} bytes`, status: 413, code: -32600 }
    chunks.push(chunk)
  }
  try {
    return { value: JSON.parse(Buffer.concat(chunks).toString('utf8')) }
  } catch (err) {
    return { error: `body is not valid JSON: ${(err as Error).message}`, status: 400, code: -32700 }
  }
}
