/**
 * Benchmark child: a plain MCP SDK server with an `echo` tool, over stdio (`stdio`) or Streamable
 * HTTP on 127.0.0.1 (`http`, prints `ready <port>` on stderr). What a user would use without Cord.
 */
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js'
import { z } from 'zod'

function server(): McpServer {
  const s = new McpServer({ name: 'bench-echo', version: '1.0.0' })
  s.registerTool(
    'echo',
    { description: 'Returns the text.', inputSchema: { text: z.string() } },
    ({ text }) => ({
      content: [{ type: 'text', text }],
    }),
  )
  return s
}

if (process.argv[2] === 'http') {
  // One stateful session per client (the client keeps it for the whole run), JSON responses.
  const sessions = new Map<string, StreamableHTTPServerTransport>()
  const http = createServer(async (req, res) => {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const body = chunks.length > 0 ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined
    const id = req.headers['mcp-session-id']
    let transport = typeof id === 'string' ? sessions.get(id) : undefined
    if (transport == null) {
      transport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        enableJsonResponse: true,
        onsessioninitialized: (sid) => {
          sessions.set(sid, transport as StreamableHTTPServerTransport)
        },
      })
      await server().connect(transport)
    }
    await transport.handleRequest(req, res, body)
  })
  http.keepAliveTimeout = 60_000
  http.listen(0, '127.0.0.1', () => process.stderr.write(`ready ${(http.address() as AddressInfo).port}\n`))
} else {
  await server().connect(new StdioServerTransport())
}
// An exit on SIGTERM (not the default kill) writes a CPU profile when one is asked for.
process.once('SIGTERM', () => process.exit(0))
