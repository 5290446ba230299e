/**
 * Topics and direct messages for MCP clients of the gateway, over Streamable HTTP: the cord_publish
 * and cord_send tools, and topics as resources (cord://topics/<name>) whose subscription makes the
 * gateway's node subscribe, delivers notifications/resources/updated and keeps the last messages.
 */
import { join } from 'node:path'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { McpError, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseConfig } from '../../src/config/load.ts'
import { type Daemon, startDaemon } from '../../src/control/daemon.ts'
import type { CordNode, DirectMessage, TopicMessage } from '../../src/index.ts'
import { Harness, waitFor } from '../helpers/harness.ts'

/** What `resources/read` of a topic returns. */
interface Snapshot {
  topic: string
  subscribed: boolean
  messages: TopicMessage[]
  dropped: number
  missed: number
}

/** The JSON-RPC error `promise` rejects with. */
async function rpcError(promise: Promise<unknown>): Promise<McpError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(err).toBeInstanceOf(McpError)
  return err as McpError
}

describe('MCP gateway: topics and direct messages', () => {
  const h = new Harness()
  let peer: CordNode
  let daemon: Daemon
  const clients: Client[] = []

  async function connect(): Promise<{
    client: Client
    transport: StreamableHTTPClientTransport
    updates: string[]
  }> {
    const client = new Client({ name: 'test-agent', version: '1.0.0' })
    const updates: string[] = []
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri))
    const transport = new StreamableHTTPClientTransport(new URL(daemon.gatewayUrl!), {
      requestInit: { headers: { authorization: `Bearer ${daemon.gatewayToken}` } },
    })
    await client.connect(transport)
    clients.push(client)
    return { client, transport, updates }
  }

  /** Whether `node` sees `other` subscribed to `topic`. */
  const sees = (node: CordNode, other: CordNode, topic: string): boolean =>
    node.topics().some((t) => t.topic === topic && t.peers.includes(other.peerId))
  const subscribedHere = (node: CordNode, topic: string): boolean =>
    node.topics().some((t) => t.topic === topic && t.subscribed)

  async function read(client: Client, uri: string): Promise<Snapshot> {
    const { contents } = await client.readResource({ uri })
    expect(contents[0]).toMatchObject({ uri, mimeType: 'application/json' })
    return JSON.parse((contents[0] as { text: string }).text) as Snapshot
  }

  beforeAll(async () => {
    const dir = await h.tempDir()
    peer = await h.spawn({ alias: 'peer' })
    daemon = await startDaemon({
      dir: join(dir, 'gw'),
      node: { alias: 'gw', listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [peer.multiaddrs[0]!] },
      controlListen: '127.0.0.1:0',
      gateway: { ...parseConfig('', 'none').gateway, topicHistory: 5 },
      log: pino({ level: 'silent' }),
    })
    await daemon.node.waitForPeers(1, { timeout: 15_000 })
  })

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()))
    await daemon?.stop()
    await h.teardown()
  })

  it('lists cord_publish and cord_send with their input schemas, and the topic resource template', async () => {
    // a mesh tool of the same name is not shown beside the gateway's own
    const clash = daemon.node.registerTool(
      'cord_send',
      { description: 'A tool that clashes.', inputSchema: { type: 'object' } },
      async () => ({ content: [] }),
    )
    await waitFor(() => daemon.node.catalog().some((t) => t.name === 'cord_send'))
    const { client } = await connect()
    const { tools } = await client.listTools()
    clash()
    expect(tools.filter((t) => t.name === 'cord_send')).toHaveLength(1)
    const publish = tools.find((t) => t.name === 'cord_publish')
    const send = tools.find((t) => t.name === 'cord_send')
    expect(publish?.inputSchema).toMatchObject({ type: 'object', required: ['topic', 'data'] })
    expect(send?.inputSchema).toMatchObject({ type: 'object', required: ['target', 'data'] })
    const { resourceTemplates } = await client.listResourceTemplates()
    expect(resourceTemplates.map((t) => t.uriTemplate)).toContain('cord://topics/{name}')
  })

  it('delivers a message published on another node as resources/updated, then readable, bounded', async () => {
    const uri = 'cord://topics/news/today'
    const { client, updates } = await connect()
    await client.subscribeResource({ uri })
    expect(subscribedHere(daemon.node, 'news/today')).toBe(true)
    await waitFor(() => sees(peer, daemon.node, 'news/today'), 15_000)
    expect((await client.listResources()).resources.map((r) => r.uri)).toContain(uri)

    await peer.publish('news/today', { n: 1 })
    await waitFor(() => updates.includes(uri))
    const first = await read(client, uri)
    expect(first).toMatchObject({ topic: 'news/today', subscribed: true, dropped: 0, missed: 0 })
    expect(first.messages).toEqual([
      expect.objectContaining({ topic: 'news/today', from: peer.peerId, seq: 1, data: { n: 1 } }),
    ])

    // topic_history = 5: the last five are kept, the older ones counted as dropped
    for (let n = 2; n <= 8; n++) await peer.publish('news/today', { n })
    await waitFor(() => updates.length >= 8)
    const later = await read(client, uri)
    expect(later.messages.map((m) => (m.data as { n: number }).n)).toEqual([4, 5, 6, 7, 8])
    expect(later.dropped).toBe(3)
  })

  it('leaves the topic when the last client lets go, unless the node subscribes otherwise', async () => {
    const uri = 'cord://topics/jobs'
    const first = await connect()
    const second = await connect()
    await first.client.subscribeResource({ uri })
    await second.client.subscribeResource({ uri })
    await first.client.unsubscribeResource({ uri })
    expect(subscribedHere(daemon.node, 'jobs')).toBe(true) // the second client still wants it
    await second.transport.terminateSession()
    await waitFor(() => !subscribedHere(daemon.node, 'jobs'))
    expect(await read(first.client, uri)).toMatchObject({ subscribed: false, messages: [] })

    // the node's own subscription (the TypeScript API) outlives the clients'
    const own = daemon.node.subscribe('jobs', () => {})
    try {
      await first.client.subscribeResource({ uri })
      await first.client.unsubscribeResource({ uri })
      expect(subscribedHere(daemon.node, 'jobs')).toBe(true)
    } finally {
      own()
    }
  })

  it('publishes with cord_publish to subscribers on another node', async () => {
    const got: TopicMessage[] = []
    const stop = peer.subscribe('from-agents', (m) => got.push(m))
    try {
      await waitFor(() => sees(daemon.node, peer, 'from-agents'), 15_000)
      const { client } = await connect()
      const result = await client.callTool({
        name: 'cord_publish',
        arguments: { topic: 'from-agents', data: { task: 42, done: true } },
      })
      expect(result.isError).toBeFalsy()
      expect(result.structuredContent).toMatchObject({ topic: 'from-agents', seq: 1 })
      expect((result.structuredContent as { recipients: number }).recipients).toBeGreaterThanOrEqual(1)
      await waitFor(() => got.length === 1)
      expect(got[0]).toMatchObject({ from: daemon.node.peerId, data: { task: 42, done: true } })
    } finally {
      stop()
    }
  })

  it('sends a direct message with cord_send to a node with an onMessage handler', async () => {
    const got: DirectMessage[] = []
    let refuse = false
    const off = peer.onMessage((m) => {
      if (refuse) throw new Error('not now')
      got.push(m)
    })
    try {
      const { client } = await connect()
      const result = await client.callTool({
        name: 'cord_send',
        arguments: { target: 'peer', data: ['hello', 1] },
      })
      expect(result.isError).toBeFalsy()
      expect(result.structuredContent).toMatchObject({ delivered: true, peer: peer.peerId, seq: 1 })
      expect(got).toEqual([expect.objectContaining({ from: daemon.node.peerId, data: ['hello', 1] })])

      // the receiver refuses: a failure of the mesh, told as a tool result
      refuse = true
      const refused = await client.callTool({ name: 'cord_send', arguments: { target: 'peer', data: 1 } })
      expect(refused.isError).toBe(true)
      expect(refused._meta?.['cord/error']).toBe('MessageRefusedError')
      expect((refused.content as Array<{ text: string }>)[0]?.text).toContain('not now')
    } finally {
      off()
    }
  })

  it('refuses a bad topic name, oversized or missing data and an unknown target with InvalidParams', async () => {
    const { client } = await connect()
    const badName = await rpcError(
      client.callTool({ name: 'cord_publish', arguments: { topic: 'no spaces!', data: 1 } }),
    )
    expect(badName.code).toBe(-32602)
    expect(badName.message).toContain('invalid topic name "no spaces!"')

    const big = await rpcError(
      client.callTool({ name: 'cord_publish', arguments: { topic: 'big', data: 'x'.repeat(70_000) } }),
    )
    expect(big.code).toBe(-32602)
    expect(big.message).toMatch(/over the limit of 65536 bytes/)

    const missing = await rpcError(client.callTool({ name: 'cord_send', arguments: { target: 'peer' } }))
    expect(missing.code).toBe(-32602)
    expect(missing.message).toContain('cord_send: argument "data" is required')

    const unknown = await rpcError(
      client.callTool({ name: 'cord_send', arguments: { target: 'nobody-here', data: 1 } }),
    )
    expect(unknown.code).toBe(-32602)

    const badUri = await rpcError(client.subscribeResource({ uri: 'cord://topics/a b' }))
    expect(badUri.code).toBe(-32602)
    expect(badUri.message).toContain('invalid topic name')
    expect(subscribedHere(daemon.node, 'a b')).toBe(false)
  })
})
