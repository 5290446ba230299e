/**
 * Requests that a tool sends back while serving a call (here: sampling) reach the caller whose call
 * caused them, also with several callers in flight at once on the same tool: gateway clients on
 * another node (the request crosses /cord/mcp/1.0.0 with the call it belongs to) and a node's own
 * handlers. A hosted stdio server cannot say which call its request belongs to: the request goes to
 * the caller when every call in flight there has one origin, and is refused, never misrouted, when
 * callers of several origins are in flight.
 */
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import { type CallToolResult, CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js'
import { pino } from 'pino'
import { afterEach, describe, expect, it } from 'vitest'
import { Gateway } from '../../src/gateway/gateway.ts'
import type { CordNode } from '../../src/index.ts'
import { Harness, waitFor } from '../helpers/harness.ts'

const SAMPLER = fileURLToPath(new URL('../fixtures/sampling-server.mjs', import.meta.url))

/** A gateway client that answers sampling with `<name>:<prompt>` and records what it was asked. */
async function agent(gateway: Gateway, name: string): Promise<{ client: Client; asked: string[] }> {
  const asked: string[] = []
  const client = new Client({ name, version: '1' }, { capabilities: { sampling: {} } })
  client.setRequestHandler(CreateMessageRequestSchema, (req) => {
    const text = (req.params.messages[0]!.content as { text: string }).text
    asked.push(text)
    return { model: 'm', role: 'assistant', content: { type: 'text', text: `${name}:${text}` } }
  })
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
  await gateway.connect(serverSide)
  await client.connect(clientSide)
  return { client, asked }
}

const text = (r: unknown): string => ((r as CallToolResult).content[0] as { text: string }).text

describe('requests a tool sends back reach the caller of their call', () => {
  const h = new Harness()
  const closing: Array<() => Promise<void>> = []
  afterEach(async () => {
    await Promise.allSettled(closing.splice(0).map((c) => c()))
    await h.teardown()
  })

  async function gatewayOn(node: CordNode): Promise<Gateway> {
    const gateway = new Gateway(node, { maxTools: 100 }, pino({ level: 'silent' }))
    closing.push(() => gateway.close())
    return gateway
  }

  it('three callers in flight at once on one tool: two gateway clients on another node and a node of its own', async () => {
    const server = await h.spawn({ alias: 'server' })
    let arrived = 0
    const all = Promise.withResolvers<void>()
    server.registerTool(
      'ask',
      { inputSchema: { type: 'object', properties: { label: { type: 'string' } }, required: ['label'] } },
      async (args, ctx) => {
        if (++arrived === 3) all.resolve()
        await all.promise // all three calls are in flight before any asks back
        const answer = await ctx.relay!.createMessage(
          { messages: [{ role: 'user', content: { type: 'text', text: String(args.label) } }], maxTokens: 5 },
          ctx.signal,
        )
        return { content: [{ type: 'text', text: (answer.content as { text: string }).text }] }
      },
    )
    const front = await h.spawn({ alias: 'front', bootstrap: [server.multiaddrs[0]!] })
    const direct: string[] = []
    const other = await h.spawn({
      alias: 'other',
      bootstrap: [server.multiaddrs[0]!],
      clientHandlers: {
        sampling: async (params) => {
          const asked = (params.messages[0]!.content as { text: string }).text
          direct.push(asked)
          return { model: 'm', role: 'assistant', content: { type: 'text', text: `other:${asked}` } }
        },
      },
    })
    await waitFor(() => front.catalog().some((t) => t.name === 'ask' && t.providers.length === 1))
    const gateway = await gatewayOn(front)
    const x = await agent(gateway, 'x')
    const y = await agent(gateway, 'y')
    const [fromX, fromY, fromOther] = await Promise.all([
      x.client.callTool({ name: 'ask', arguments: { label: 'for-x' } }),
      y.client.callTool({ name: 'ask', arguments: { label: 'for-y' } }),
      other.callTool(server.peerId, 'ask', { label: 'for-other' }),
    ])
    expect([text(fromX), text(fromY), text(fromOther)]).toEqual(['x:for-x', 'y:for-y', 'other:for-other'])
    expect(x.asked).toEqual(['for-x'])
    expect(y.asked).toEqual(['for-y'])
    expect(direct).toEqual(['for-other'])
  })

  it('a hosted stdio server: one client with calls in flight is answered; two clients are refused, never crossed', async () => {
    const serve = (together: number) =>
      h.spawn({
        alias: `host${together}`,
        servers: [
          {
            name: 'sampler',
            command: process.execPath,
            args: [SAMPLER],
            env: { ASK_TOGETHER: String(together) },
          },
        ],
      })
    const host = await serve(2)
    const front = await h.spawn({ alias: 'front', bootstrap: [host.multiaddrs[0]!] })
    await waitFor(() => front.catalog().some((t) => t.name === 'sampler__ask'))
    const gateway = await gatewayOn(front)
    const x = await agent(gateway, 'x')
    const y = await agent(gateway, 'y')
    // one client, two calls in flight: its own requests, whichever call each belongs to
    const mine = await Promise.all([
      x.client.callTool({ name: 'sampler__ask', arguments: { label: 'x1', together: 2 } }),
      x.client.callTool({ name: 'sampler__ask', arguments: { label: 'x2', together: 2 } }),
    ])
    expect(mine.map(text).sort()).toEqual(['x:x1', 'x:x2'])
    expect(x.asked.sort()).toEqual(['x1', 'x2'])
    // two clients in flight at once: stdio cannot say whose request it is, so neither gets the other's
    const crossed = await Promise.all([
      x.client.callTool({ name: 'sampler__ask', arguments: { label: 'x3', together: 2 } }),
      y.client.callTool({ name: 'sampler__ask', arguments: { label: 'y1', together: 2 } }),
    ])
    for (const r of crossed) expect(text(r)).toMatch(/sampling refused: .*does not say which call/)
    expect(x.asked.sort()).toEqual(['x1', 'x2'])
    expect(y.asked).toEqual([])
    // one at a time, each is answered by its own caller again
    expect(text(await y.client.callTool({ name: 'sampler__ask', arguments: { label: 'y2' } }))).toBe('y:y2')
  })
})
