import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { parseResponse, request } from '../../../src/control/http1.ts'

describe('the control client HTTP/1.1 request', () => {
  it('parses Content-Length and chunked bodies, and refuses what is not HTTP', () => {
    const fixed = parseResponse(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\n{"a"'))
    expect(fixed).toEqual({ status: 200, body: '{"a"' })
    const chunked = parseResponse(
      Buffer.from(
        'HTTP/1.1 404 Not Found\r\ntransfer-encoding: chunked\r\n\r\n3\r\n{"b\r\n4\r\n":1}\r\n0\r\n\r\n',
      ),
    )
    expect(chunked).toEqual({ status: 404, body: '{"b":1}' })
    expect(() => parseResponse(Buffer.from('SSH-2.0-OpenSSH\r\n\r\n'))).toThrow(/not an HTTP response/)
    expect(() => parseResponse(Buffer.from('HTTP/1.1 200 OK\r\n'))).toThrow(/closed before a whole/)
    expect(() =>
      parseResponse(Buffer.from('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nff\r\nabc')),
    ).toThrow(/truncated/)
  })

  it('talks to a node:http server: method, headers, body, large chunked answers', async () => {
    const big = 'x'.repeat(300_000)
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (c) => {
        body += c
      })
      req.on('end', () => {
        res.write(JSON.stringify({ method: req.method, auth: req.headers.authorization, body, url: req.url }))
        res.end(big) // two writes: chunked
      })
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    const { port } = server.address() as AddressInfo
    try {
      const res = await request(new URL(`http://127.0.0.1:${port}/v1/x?y=1`), {
        method: 'POST',
        headers: { authorization: 'Bearer t' },
        body: '{"k":"é"}',
        signal: AbortSignal.timeout(10_000),
      })
      expect(res.status).toBe(200)
      expect(res.body.endsWith(big)).toBe(true)
      expect(JSON.parse(res.body.slice(0, -big.length))).toEqual({
        method: 'POST',
        auth: 'Bearer t',
        body: '{"k":"é"}',
        url: '/v1/x?y=1',
      })
      const refused = request(new URL('http://127.0.0.1:1/'), {
        method: 'GET',
        headers: {},
        signal: AbortSignal.timeout(10_000),
      })
      await expect(refused).rejects.toMatchObject({ code: 'ECONNREFUSED' })
    } finally {
      server.close()
    }
  })
})
