/**
 * One HTTP/1.1 request over a plain TCP socket, for the CLI's control client. The control API is
 * Cord's own `node:http` server on loopback; `fetch` (undici, its WASM parser and web streams) and
 * `node:http` each cost a short command more load time than the whole rest of it, so the client
 * speaks the few lines of HTTP/1.1 it needs itself: one request, `Connection: close`, a body with
 * `Content-Length` or chunked, read to the end.
 */
import { connect } from 'node:net'

/** A response: status and body text. */
export interface Http1Response {
  status: number
  body: string
}

/** The largest response the client reads (a catalog of many tools fits easily). */
const MAX_RESPONSE_BYTES = 64 * 1024 * 1024

/** Sends one request to `url`; rejects on connection errors, a malformed response or `signal`. */
export function request(
  url: URL,
  init: { method: string; headers: Record<string, string>; body?: string; signal: AbortSignal },
): Promise<Http1Response> {
  const body = init.body != null ? Buffer.from(init.body) : undefined
  const head = [
    `${init.method} ${url.pathname}${url.search} HTTP/1.1`,
    `host: ${url.host}`,
    'connection: close',
    ...Object.entries(init.headers).map(([k, v]) => `${k}: ${v}`),
    ...(body != null ? [`content-length: ${body.length}`] : []),
  ]
  const { promise, resolve, reject } = Promise.withResolvers<Http1Response>()
  const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80) })
  const chunks: Buffer[] = []
  let size = 0
  const abort = (): void => {
    socket.destroy()
    reject(init.signal.reason)
  }
  init.signal.addEventListener('abort', abort, { once: true })
  socket.on('connect', () => {
    socket.write(`${head.join('\r\n')}\r\n\r\n`)
    if (body != null) socket.write(body)
  })
  socket.on('data', (chunk: Buffer) => {
    size += chunk.length
    if (size > MAX_RESPONSE_BYTES) socket.destroy(new Error(`response over ${MAX_RESPONSE_BYTES} bytes`))
    else chunks.push(chunk)
  })
  socket.on('error', reject)
  socket.on('close', () => {
    init.signal.removeEventListener('abort', abort)
    try {
      resolve(parseResponse(Buffer.concat(chunks)))
    } catch (err) {
      reject(err)
    }
  })
  return promise
}

/**
 * Sends one request whose answer is a long stream (newline-delimited JSON): `onBody` gets the body
 * as it arrives, de-chunked. Resolves when the server ends the response (with the whole body when
 * the status is not 2xx, for its error), rejects on connection errors; `signal` hangs up.
 */
export function requestStream(
  url: URL,
  init: { method: string; headers: Record<string, string>; signal: AbortSignal },
  onBody: (data: Buffer) => void,
): Promise<Http1Response> {
  const head = [
    `${init.method} ${url.pathname}${url.search} HTTP/1.1`,
    `host: ${url.host}`,
    'connection: close',
    ...Object.entries(init.headers).map(([k, v]) => `${k}: ${v}`),
  ]
  const { promise, resolve, reject } = Promise.withResolvers<Http1Response>()
  const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 80) })
  let raw: Buffer = Buffer.alloc(0)
  let status = 0
  let chunked = false
  const error: Buffer[] = []
  const abort = (): void => {
    socket.destroy()
    reject(init.signal.reason)
  }
  init.signal.addEventListener('abort', abort, { once: true })
  socket.on('connect', () => socket.write(`${head.join('\r\n')}\r\n\r\n`))
  socket.on('data', (chunk: Buffer) => {
    raw = Buffer.concat([raw, chunk])
    if (status === 0) {
      const end = raw.indexOf('\r\n\r\n')
      if (end < 0) return
      const text = raw.subarray(0, end).toString('latin1')
      status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 'NaN')
      if (!Number.isFinite(status)) return socket.destroy(new Error('not an HTTP response'))
      chunked = /^transfer-encoding:.*\bchunked\b/im.test(text)
      raw = raw.subarray(end + 4)
    }
    if (status < 200 || status > 299) {
      error.push(raw)
      raw = Buffer.alloc(0)
      return
    }
    if (chunked) raw = takeChunks(raw, onBody)
    else {
      onBody(raw)
      raw = Buffer.alloc(0)
    }
  })
  socket.on('error', reject)
  socket.on('close', () => {
    init.signal.removeEventListener('abort', abort)
    if (status === 0) return reject(new Error('the connection closed before a whole HTTP response arrived'))
    const body = Buffer.concat(error)
    resolve({ status, body: (chunked && body.length > 0 ? unchunk(body) : body).toString('utf8') })
  })
  return promise
}

/** Hands on the whole chunks at the start of `data`; returns what is left (a partial chunk). */
function takeChunks(data: Buffer, onBody: (data: Buffer) => void): Buffer {
  let at = 0
  for (;;) {
    const eol = data.indexOf('\r\n', at)
    if (eol < 0) return data.subarray(at)
    const length = Number.parseInt(data.subarray(at, eol).toString('latin1'), 16)
    if (!Number.isFinite(length) || length === 0) return Buffer.alloc(0)
    if (eol + 2 + length + 2 > data.length) return data.subarray(at)
    onBody(data.subarray(eol + 2, eol + 2 + length))
    at = eol + 2 + length + 2
  }
}

/** Parses a whole HTTP/1.1 response read until the server closed the connection. */
export function parseResponse(raw: Buffer): Http1Response {
  const end = raw.indexOf('\r\n\r\n')
  if (end < 0) throw new Error('the connection closed before a whole HTTP response arrived')
  const [statusLine = '', ...headerLines] = raw.subarray(0, end).toString('latin1').split('\r\n')
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]
  if (status == null) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine.slice(0, 80))}`)
  const headers = new Map(
    headerLines.map((line) => {
      const colon = line.indexOf(':')
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()] as const
    }),
  )
  let rest = raw.subarray(end + 4)
  if (/\bchunked\b/i.test(headers.get('transfer-encoding') ?? '')) rest = unchunk(rest)
  else if (headers.has('content-length')) rest = rest.subarray(0, Number(headers.get('content-length')))
  return { status: Number(status), body: rest.toString('utf8') }
}

/** Decodes a chunked body. */
function unchunk(data: Buffer): Buffer {
  const parts: Buffer[] = []
  let at = 0
  for (;;) {
    const eol = data.indexOf('\r\n', at)
    if (eol < 0) throw new Error('truncated chunked HTTP body')
    const length = Number.parseInt(data.subarray(at, eol).toString('latin1'), 16)
    if (!Number.isFinite(length)) throw new Error('malformed chunk size in HTTP body')
    if (length === 0) return Buffer.concat(parts)
    if (eol + 2 + length > data.length) throw new Error('truncated chunked HTTP body')
    parts.push(data.subarray(eol + 2, eol + 2 + length))
    at = eol + 2 + length + 2
  }
}
