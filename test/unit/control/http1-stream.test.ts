import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { requestStream } from '../../../src/control/http1.ts'

describe('the control client streaming request', () => {
  let server: Server | undefined
  afterEach(
    () => new Promise<void>((resolve) => (server != null ? server.close(() => resolve()) : resolve())),
  )

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<URL> {
    server = createServer(handler)
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve))
    return new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/stream?x=1`)
  }

  it('hands on a chunked body as it arrives, across chunk and packet boundaries', async () => {
    const url = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-ndjson' })
      res.write('{"n":1}\n{"n"')
      setTimeout(() => res.write(':2}\n'), 20)
      setTimeout(() => res.end(`${JSON.stringify({ n: 3, big: 'y'.repeat(100_000) })}\n`), 40)
      expect(req.url).toBe('/v1/stream?x=1')
    })
    let text = ''
    const seen: number[] = []
    const res = await requestStream(
      url,
      { method: 'GET', headers: {}, signal: AbortSignal.timeout(5000) },
      (d) => {
        text += d.toString('utf8')
        seen.push(text.split('\n').length - 1)
      },
    )
    expect(res.status).toBe(200)
    expect(text.split('\n').map((l) => (l === '' ? undefined : JSON.parse(l).n))).toEqual([
      1,
      2,
      3,
      undefined,
    ])
    expect(seen[0]).toBe(1) // the first line came before the response ended
  })

  it('returns the whole body of an error answer, and hangs up on abort', async () => {
    const url = await serve((req, res) => {
      if (req.url?.includes('x=1')) return res.writeHead(400).end('{"error":{"message":"bad"}}')
      res.writeHead(200).write('{}\n')
    })
    const res = await requestStream(
      url,
      { method: 'GET', headers: {}, signal: AbortSignal.timeout(5000) },
      () => {},
    )
    expect(res).toEqual({ status: 400, body: '{"error":{"message":"bad"}}' })
    const stop = new AbortController()
    const open = requestStream(
      new URL('/v1/stream', url),
      { method: 'GET', headers: {}, signal: stop.signal },
      () => stop.abort(new Error('enough')),
    )
    await expect(open).rejects.toThrow('enough')
    server?.closeAllConnections()
  })
})
