/**
 * The gateway's Streamable HTTP endpoint (`/mcp`). Loopback by default. Every request's Host header
 * must name this server (and an Origin header, when a browser sends one, must be local or allowed):
 * a web page cannot reach the gateway through DNS rebinding. Bound to a non-loopback address it
 * requires a bearer token. Sessions that see no request for `idleTimeoutMs` are closed.
 */
import { randomUUID, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js'
import type { Logger } from '../logger.ts'
import { isLoopbackHost, listenOn } from '../util/http-listen.ts'
import type { Gateway, GatewaySession } from './gateway.ts'

/** Settings of the endpoint. */
export interface GatewayHttpInit {
  /** `host:port` to listen on. */
  listen: string
  /** Bearer token clients must send; required when `listen` is not loopback. */
  token?: string
  /** Host names besides the bound address (and, on loopback, localhost) that clients may use. */
  allowedHosts: string[]
  /** Origins (`scheme://host[:port]`) besides local ones that browsers may send. */
  allowedOrigins: string[]
  idleTimeoutMs: number
  maxSessions: number
  maxBodyBytes: number
}

interface HttpSession {
  transport: StreamableHTTPServerTransport
  session?: GatewaySession
  lastActive: number
  open: number
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
    const address = this.server?.address() as AddressInfo | null | undefined
    if (address == null) return undefined
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
    return `http://${host}:${address.port}/mcp`
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
      if (this.sessions.size >= this.init.maxSessions)
        return reply(res, 503, `too many sessions (${this.init.maxSessions}); close one or retry later`)
      await this.openSession(req, res, body.value)
    } catch (err) {
      this.log.warn({ err }, 'gateway request failed')
      if (!res.headersSent) reply(res, 500, `internal error: ${(err as Error).message}`, -32603)
      else res.end()
    }
  }

  private async openSession(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void> {
    const entry: HttpSession = {
      transport: new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (sid) => void this.sessions.set(sid, entry),
      }),
      lastActive: Date.now(),
      open: 0,
    }
    entry.transport.onclose = () => {
      const sid = entry.transport.sessionId
      if (sid != null && this.sessions.get(sid) === entry) this.sessions.delete(sid)
    }
    entry.session = await this.gateway.connect(entry.transport)
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
      if (got.length !== want.length || !timingSafeEqual(got, want))
        return {
          status: 401,
          message: 'missing or wrong bearer token (Authorization: Bearer <gateway token>)',
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
    const now = Date.now()
    for (const [sid, entry] of this.sessions) {
      if (entry.open > 0 || now - entry.lastActive < this.init.idleTimeoutMs) continue
      this.log.info({ session: sid }, 'closing an idle gateway session')
      this.sessions.delete(sid)
      void entry.transport.close().catch(() => {})
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
