/**
 * `cord mcp`: a stdio MCP server for local agents (Claude Desktop, IDEs). It is a pipe to the MCP
 * gateway of the daemon running for the data dir: every JSON-RPC message from stdin goes to the
 * gateway's Streamable HTTP endpoint, every message back goes to stdout, and nothing else is written
 * there. With no daemon running it fails (exit 3) and says how to start one: the node a client talks
 * to is the long-lived one that holds the mesh, not one started and stopped with each client.
 */

import { readFile } from 'node:fs/promises'
import { setTimeout as sleep } from 'node:timers/promises'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js'
import { isJSONRPCRequest, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { NoDaemonError, NoGatewayError } from '../../errors.ts'
import { dataDirPaths } from '../../node/data-dir.ts'
import { type DirOption, daemon } from './daemon-client.ts'

/** Runs the stdio bridge until stdin closes or the gateway goes away. */
export async function mcpCommand(options: DirOption): Promise<number> {
  const client = await daemon(options)
  await client.request('GET', '/v1/id', undefined, 5_000)
  const url = client.gatewayUrl
  if (url == null) {
    throw new NoGatewayError(
      `the cord daemon for ${client.dir} runs without its MCP gateway: set gateway.enabled = true in its config.toml and restart it`,
    )
  }
  // The gateway's bearer token, unless the daemon runs it with require_token = false (no file then).
  const token = await readFile(dataDirPaths(client.dir).gatewayToken, 'utf8').then(
    (t) => t.trim(),
    () => undefined,
  )
  const gateway = new StreamableHTTPClientTransport(
    new URL(url),
    token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : undefined,
  )
  const stdio = new StdioServerTransport()
  const pending = new Set<string | number>()
  const { promise: finished, resolve: done } = Promise.withResolvers<number>()
  const fail = (id: string | number, message: string): void =>
    void stdio.send({ jsonrpc: '2.0', id, error: { code: -32603, message } }).catch(() => {})

  // Sends go one after another, in order: the first (initialize) must come back with the session
  // ID before the next can carry it. A send resolves once the answer's headers are in, not its body.
  let queue: Promise<void> = Promise.resolve()
  stdio.onmessage = (message: JSONRPCMessage) => {
    const id = isJSONRPCRequest(message) ? message.id : undefined
    if (id != null) pending.add(id)
    queue = queue.then(() =>
      gateway.send(message).catch((err: Error) => {
        if (id == null) return
        pending.delete(id)
        fail(id, `cord mcp: the gateway at ${url} did not take the request: ${err.message}`)
      }),
    )
  }
  let out: Promise<void> = Promise.resolve()
  gateway.onmessage = (message: JSONRPCMessage) => {
    if ('id' in message && ('result' in message || 'error' in message)) {
      pending.delete(message.id as string | number)
      const version = (message as { result?: { protocolVersion?: unknown } }).result?.protocolVersion
      if (typeof version === 'string') gateway.setProtocolVersion(version)
    }
    // In order, with a pause after each notification: an SDK stdio client handles the messages of
    // one read synchronously but its notification handlers a tick later, so a progress notification
    // read together with its result would be dropped.
    const notification = 'method' in message && !('id' in message)
    out = out
      .then(() => stdio.send(message))
      .then(() => (notification ? sleep(1) : undefined))
      .catch(() => {})
  }
  gateway.onerror = (err) => process.stderr.write(`cord mcp: ${err.message}\n`)
  gateway.onclose = () => done(0)
  // The client closing stdin or stopping us ends the gateway session at once (not after its idle timeout).
  let ending = false
  const end = (): void => {
    if (ending) return
    ending = true
    void gateway
      .terminateSession()
      .catch(() => {})
      .finally(() => done(0))
  }
  process.stdin.once('end', end)
  process.once('SIGTERM', end)
  process.once('SIGINT', end)
  await gateway.start()
  await stdio.start()
  const code = await finished
  await stdio.close().catch(() => {})
  await gateway.close().catch(() => {})
  return code
}

export { NoDaemonError }
