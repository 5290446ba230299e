/**
 * An HTTP proxy in front of a Cord gateway for the MCP conformance suite. The suite calls the
 * reference server's tools and prompts by their own names (`test_simple_text`); through the mesh
 * they are `<server>__test_simple_text`. The proxy adds the prefix to names in requests (tools/call,
 * prompts/get, completion/complete) and takes it off the names in tools/list and prompts/list
 * answers, in JSON and in event streams as they flow. It adds the gateway's bearer token, as a
 * configured client does, and points the Host header's port at the gateway (a foreign host stays
 * foreign). Nothing else is touched: sessions, event IDs, progress, sampling and errors pass as they are.
 */
import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Settings of the proxy. */
export interface NameProxyInit {
  /** The gateway's MCP endpoint. */
  target: URL
  /** Prefix of the names at the gateway (`<server>__`). */
  prefix: string
  /** The gateway's bearer token. */
  token?: string
}

type Message = {
  method?: string
  params?: { name?: string; ref?: { type?: string; name?: string } }
  result?: { tools?: Array<{ name: string }>; prompts?: Array<{ name: string }> }
}

/** Adds the prefix to the names a request names. */
export function prefixRequest(message: Message, prefix: string): Message {
  const { method, params } = message
  if (params == null) return message
  if ((method === 'tools/call' || method === 'prompts/get') && typeof params.name === 'string')
    return { ...message, params: { ...params, name: prefix + params.name } }
  if (method === 'completion/complete' && params.ref?.type === 'ref/prompt' && params.ref.name != null)
    return { ...message, params: { ...params, ref: { ...params.ref, name: prefix + params.ref.name } } }
  return message
}

/** Takes the prefix off the names of a list answer. */
export function unprefixAnswer(message: Message, prefix: string): Message {
  const strip = <T extends { name: string }>(items: T[]): T[] =>
    items.map((i) => (i.name.startsWith(prefix) ? { ...i, name: i.name.slice(prefix.length) } : i))
  const result = message.result
  if (result == null) return message
  if (Array.isArray(result.tools)) return { ...message, result: { ...result, tools: strip(result.tools) } }
  if (Array.isArray(result.prompts))
    return { ...message, result: { ...result, prompts: strip(result.prompts) } }
  return message
}

/** Applies `fn` to a JSON-RPC body (one message or a batch); text that is not JSON passes unchanged. */
function mapJson(text: string, fn: (m: Message) => Message): string {
  try {
    const value = JSON.parse(text) as Message | Message[]
    return JSON.stringify(Array.isArray(value) ? value.map(fn) : fn(value))
  } catch {
    return text
  }
}

/** Rewrites the data lines of each complete event in `buffer`; returns the rewritten events and the rest. */
function mapEvents(buffer: string, fn: (m: Message) => Message): { out: string; rest: string } {
  let out = ''
  let end = buffer.indexOf('\n\n')
  while (end >= 0) {
    const lines = buffer.slice(0, end).split('\n')
    const data = lines.filter((l) => l.startsWith('data:')).map((l) => l.slice(5).replace(/^ /, ''))
    const other = lines.filter((l) => !l.startsWith('data:'))
    const mapped = data.length > 0 && data.join('') !== '' ? mapJson(data.join('\n'), fn) : data.join('\n')
    out += `${[...other, ...(data.length > 0 ? [`data: ${mapped}`] : [])].join('\n')}\n\n`
    buffer = buffer.slice(end + 2)
    end = buffer.indexOf('\n\n')
  }
  return { out, rest: buffer }
}

/** The proxy; `start()` resolves with its URL. */
export class NameProxy {
  private readonly init: NameProxyInit
  private server?: Server

  constructor(init: NameProxyInit) {
    this.init = init
  }

  async start(): Promise<URL> {
    const server = createServer((req, res) => void this.forward(req, res))
    this.server = server
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return new URL(`http://localhost:${(server.address() as AddressInfo).port}/mcp`)
  }

  async stop(): Promise<void> {
    const server = this.server
    if (server == null) return
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { target, prefix, token } = this.init
    const chunks: Buffer[] = []
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk)
    const body =
      chunks.length > 0
        ? mapJson(Buffer.concat(chunks).toString('utf8'), (m) => prefixRequest(m, prefix))
        : ''
    const headers = { ...req.headers }
    delete headers['content-length']
    // The same host name, at the gateway's port: a local name stays local, a foreign one foreign.
    if (headers.host != null) headers.host = headers.host.replace(/:\d+$/, `:${target.port}`)
    if (token != null) headers.authorization = `Bearer ${token}`
    const upstream = request(target, { method: req.method, headers }, (answer) => {
      const type = String(answer.headers['content-type'] ?? '')
      const out = { ...answer.headers }
      delete out['content-length']
      res.writeHead(answer.statusCode ?? 502, out)
      answer.setEncoding('utf8')
      let buffer = ''
      const unprefix = (m: Message): Message => unprefixAnswer(m, prefix)
      answer.on('data', (text: string) => {
        if (!type.includes('text/event-stream')) {
          buffer += text
          return
        }
        const { out, rest } = mapEvents(buffer + text, unprefix)
        buffer = rest
        if (out !== '') res.write(out)
      })
      answer.on('end', () => res.end(type.includes('text/event-stream') ? buffer : mapJson(buffer, unprefix)))
      answer.on('error', () => res.destroy())
    })
    upstream.on('error', (err) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' })
      res.end(`name proxy: ${err.message}`)
    })
    // A client that goes away (an event stream it stops reading) ends the request to the gateway too.
    res.on('close', () => upstream.destroy())
    upstream.end(body)
  }
}
