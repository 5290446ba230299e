/**
 * A local OTLP/HTTP traces endpoint for the `traced` path of the calls section, in a process of its
 * own (its work is not the caller's): it answers every export with 200 and counts the spans it got,
 * so the cost measured is Cord's spans and the exporter's work, not a collector's. Run as a script
 * it listens and prints `ready <port>` on stderr; `GET /count` answers the number of spans.
 */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { repo, startChild, stopChild } from './procs.ts'

/** A running sink. */
export interface OtlpSink {
  /** The endpoint, for `[tracing] otlp_endpoint`. */
  url: string
  /** How many spans it has got. */
  spans: () => Promise<number>
  close: () => Promise<void>
}

/** Starts a sink on 127.0.0.1 (a free port), in a child process. */
export async function otlpSink(): Promise<OtlpSink> {
  const { proc, lines } = await startChild(['--import', 'tsx', repo('scripts/bench/otlp-sink.ts')], {
    stream: 'stderr',
    ready: (line) => line.startsWith('ready '),
  })
  const base = `http://127.0.0.1:${lines.at(-1)!.split(' ')[1]}`
  return {
    url: `${base}/v1/traces`,
    spans: async () => Number(await (await fetch(`${base}/count`)).text()),
    close: () => stopChild(proc),
  }
}

function serve(): void {
  let spans = 0
  const server = createServer((req, res) => {
    if (req.method === 'GET') return void res.end(String(spans))
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        resourceSpans?: Array<{ scopeSpans?: Array<{ spans?: unknown[] }> }>
      }
      for (const r of body.resourceSpans ?? [])
        for (const s of r.scopeSpans ?? []) spans += s.spans?.length ?? 0
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}')
    })
  })
  server.listen(0, '127.0.0.1', () =>
    process.stderr.write(`ready ${(server.address() as AddressInfo).port}\n`),
  )
}

if (process.argv[1] === fileURLToPath(import.meta.url)) serve()
