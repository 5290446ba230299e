/**
 * The dashboard's side of the control listener, under `/ui/`: the login link, the page and its
 * assets (built into dist/ui/ by `npm run build`), and its API — `/ui/api/state` (a JSON snapshot),
 * `/ui/api/events` (server-sent events: the snapshot every second) and `/ui/api/call` (POST: call a
 * tool). Everything but the login link needs the session cookie (ui-auth.ts); without it, 401.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { formatIssues } from '../config/load.ts'
import { CordError, InvalidArgumentError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import type { CordNode } from '../node/node.ts'
import { UiAuth } from './ui-auth.ts'
import { uiState } from './ui-state.ts'

/** How often the event stream sends the snapshot. */
export const UI_PUSH_INTERVAL_MS = 1_000
/** Largest body of `/ui/api/call`. */
const MAX_CALL_BODY_BYTES = 1024 * 1024

/** The files of the page, by URL path, with their content types. */
const ASSETS: Record<string, { file: string; type: string }> = {
  '/ui/': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/ui/app.js': { file: 'app.js', type: 'text/javascript; charset=utf-8' },
  '/ui/app.css': { file: 'app.css', type: 'text/css; charset=utf-8' },
}

/** The page may load only its own files and talk only to its own origin. */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
}

const callBody = z.strictObject({
  target: z.string().min(1).optional(),
  tool: z.string().min(1),
  args: z.record(z.string(), z.unknown()).optional(),
  timeout: z.number().int().positive().optional(),
})

const UNAUTHORIZED =
  'no dashboard session: run `cord ui --dir <data dir>` and open the login link it prints (it works once, for 5 minutes)'

/** Where the built page is: dist/ui/ beside dist/control/ (or, running from src/, the built one). */
function assetDir(): string {
  const beside = fileURLToPath(new URL('../ui/', import.meta.url))
  if (existsSync(`${beside}index.html`)) return beside
  return fileURLToPath(new URL('../../dist/ui/', import.meta.url))
}

/** Serves `/ui/…`. */
export class UiServer {
  readonly auth = new UiAuth()
  private readonly node: CordNode
  private readonly log: Logger
  private readonly dir = assetDir()

  constructor(components: { node: CordNode; log: Logger }) {
    this.node = components.node
    this.log = components.log
  }

  /** Answers a request whose path is under `/ui`. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    try {
      if (url.pathname === '/ui/login' && req.method === 'GET') return this.login(res, url)
      if (url.pathname === '/ui') return redirect(res, '/ui/')
      const api = url.pathname.startsWith('/ui/api/')
      if (!this.auth.check(req.headers.cookie))
        return api
          ? sendJson(res, 401, errorBody('UnauthorizedError', UNAUTHORIZED))
          : sendHtml(res, 401, page('Not signed in', UNAUTHORIZED))
      const route = `${req.method} ${url.pathname}`
      if (route === 'GET /ui/api/state') return sendJson(res, 200, await uiState(this.node))
      if (route === 'GET /ui/api/events') return this.events(req, res)
      if (route === 'POST /ui/api/call') return await this.call(req, res)
      const asset = req.method === 'GET' ? ASSETS[url.pathname] : undefined
      if (asset != null) return await this.asset(res, asset)
      sendJson(res, 404, errorBody('NotFound', `no such page: ${req.method} ${url.pathname}`))
    } catch (err) {
      this.log.error({ err }, 'dashboard request failed')
      sendJson(res, 500, errorBody((err as Error).name, (err as Error).message))
    }
  }

  private login(res: ServerResponse, url: URL): void {
    const session = this.auth.redeem(url.searchParams.get('token') ?? '')
    if (session == null) {
      const why =
        'this login link is unknown, already used or expired (links work once, for 5 minutes): run `cord ui --dir <data dir>` for a new one'
      sendHtml(res, 401, page('Login link refused', why))
      return
    }
    res.writeHead(303, { location: '/ui/', 'set-cookie': UiAuth.cookie(session), ...SECURITY_HEADERS })
    res.end()
  }

  private async asset(res: ServerResponse, asset: { file: string; type: string }): Promise<void> {
    let body: Buffer
    try {
      body = await readFile(`${this.dir}${asset.file}`)
    } catch {
      const why = `the dashboard's files are missing from ${this.dir} (build them with: npm run build)`
      return sendHtml(res, 500, page('Dashboard not built', why))
    }
    res.writeHead(200, { 'content-type': asset.type, 'content-length': body.length, ...SECURITY_HEADERS })
    res.end(body)
  }

  /** Server-sent events: the snapshot now and every second, until the page goes away. */
  private events(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', ...SECURITY_HEADERS })
    let busy = false
    const push = async (): Promise<void> => {
      if (busy) return
      busy = true
      try {
        res.write(`event: state\ndata: ${JSON.stringify(await uiState(this.node))}\n\n`)
      } catch (err) {
        this.log.debug({ err: (err as Error).message }, 'dashboard snapshot failed')
      } finally {
        busy = false
      }
    }
    void push()
    const timer = setInterval(() => void push(), UI_PUSH_INTERVAL_MS)
    req.resume()
    res.once('close', () => clearInterval(timer))
  }

  /** Calls a tool for the page's form; a failure answers with its name and message. */
  private async call(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin
    if (origin != null && origin !== `http://${req.headers.host}`)
      return sendJson(res, 403, errorBody('ForbiddenError', `requests from origin ${origin} are refused`))
    try {
      const body = await readBody(req)
      const parsed = callBody.safeParse(body)
      if (!parsed.success)
        throw new InvalidArgumentError(`invalid call\n${formatIssues(parsed.error.issues)}`)
      const { target, tool, args, timeout } = parsed.data
      const result = await this.node.callTool(target, tool, args ?? {}, timeout != null ? { timeout } : {})
      sendJson(res, 200, { result })
    } catch (err) {
      const e = err as Error
      const status = err instanceof InvalidArgumentError ? 400 : 200
      sendJson(res, status, errorBody(e.name, e.message, err instanceof CordError ? err.kind : 'internal'))
    }
  }
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_CALL_BODY_BYTES)
      throw new InvalidArgumentError(`request body larger than ${MAX_CALL_BODY_BYTES} bytes`)
    chunks.push(chunk as Buffer)
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch (err) {
    throw new InvalidArgumentError(`request body is not JSON: ${(err as Error).message}`)
  }
}

function errorBody(name: string, message: string, kind = 'rejected'): unknown {
  return { error: { name, kind, message } }
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const body = JSON.stringify(value)
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...SECURITY_HEADERS,
  })
  res.end(body)
}

function sendHtml(res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': Buffer.byteLength(html),
    ...SECURITY_HEADERS,
  })
  res.end(html)
}

function redirect(res: ServerResponse, location: string): void {
  res.writeHead(308, { location, ...SECURITY_HEADERS })
  res.end()
}

/** A small page with a message (401s, missing build). */
function page(title: string, message: string): string {
  const esc = (s: string): string =>
    s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Cord — ${esc(title)}</title></head><body style="font:16px system-ui;max-width:40rem;margin:4rem auto"><h1>${esc(title)}</h1><p>${esc(message)}</p></body></html>`
}
