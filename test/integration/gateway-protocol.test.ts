/**
 * The rest of the protocol at the gateway: completions and resource subscriptions of a hosted server
 * (server-everything, a stdio child of another node) reached through the mesh.
 */
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js'
import { pino } from 'pino'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { parseConfig } from '../../src/config/load.ts'
import { type Daemon, startDaemon } from '../../src/control/daemon.ts'
import type { CordNode } from '../../src/index.ts'
import { Harness, waitFor } from '../helpers/harness.ts'

const modules = fileURLToPath(new URL('../../node_modules/', import.meta.url))
const EVERYTHING = join(modules, '@modelcontextprotocol/server-everything/dist/index.js')

describe('MCP gateway: completions and subscriptions across the mesh', () => {
  const h = new Harness()
  let host: CordNode
  let daemon: Daemon
  const clients: Client[] = []

  /** A client of the gateway (with the gateway token), and the resource updates it hears of. */
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

  beforeAll(async () => {
    const dir = await h.tempDir()
    host = await h.spawn({
      alias: 'tools-host',
      discovery: { heartbeatIntervalMs: 200 },
      servers: [{ name: 'everything', command: process.execPath, args: [EVERYTHING, 'stdio'] }],
    })
    daemon = await startDaemon({
      dir: join(dir, 'gw'),
      node: {
        alias: 'gw',
        listen: ['/ip4/127.0.0.1/tcp/0'],
        bootstrap: [host.multiaddrs[0]!],
        discovery: { heartbeatIntervalMs: 200 },
      },
      controlListen: '127.0.0.1:0',
      gateway: parseConfig('', 'none').gateway,
      log: pino({ level: 'silent' }),
    })
    await waitFor(() => daemon.node.catalog().some((t) => t.name === 'everything__get-sum'))
  })

  afterAll(async () => {
    await Promise.allSettled(clients.map((c) => c.close()))
    await daemon?.stop()
    await h.teardown()
  })

  it('advertises completions, resource subscriptions and list changes', async () => {
    const { client } = await connect()
    expect(client.getServerCapabilities()).toMatchObject({
      completions: {},
      resources: { subscribe: true, listChanged: true },
      prompts: { listChanged: true },
      tools: { listChanged: true },
    })
  })

  it('completes the arguments of a remote prompt and of a remote resource template', async () => {
    const { client } = await connect()
    const ref = { type: 'ref/prompt' as const, name: 'everything__completable-prompt' }
    const departments = await client.complete({ ref, argument: { name: 'department', value: 'S' } })
    expect(departments.completion.values).toEqual(['Sales', 'Support'])
    const leads = await client.complete({
      ref,
      argument: { name: 'name', value: '' },
      context: { arguments: { department: 'Engineering' } },
    })
    expect(leads.completion.values).toEqual(['Alice', 'Bob', 'Charlie'])

    const { resourceTemplates } = await client.listResourceTemplates()
    const template = resourceTemplates.find((t) =>
      t.uriTemplate.endsWith('demo://resource/dynamic/text/{resourceId}'),
    )
    expect(template?.uriTemplate).toBe(`cord://${host.peerId}/demo://resource/dynamic/text/{resourceId}`)
    const ids = await client.complete({
      ref: { type: 'ref/resource', uri: template!.uriTemplate },
      argument: { name: 'resourceId', value: '7' },
    })
    expect(ids.completion.values).toEqual(['7'])

    await expect(
      client.complete({
        ref: { type: 'ref/prompt', name: 'no-such-prompt' },
        argument: { name: 'a', value: '' },
      }),
    ).rejects.toThrow(/unknown prompt "no-such-prompt"/)
  })

  it('forwards resource updates to the subscribed clients and unsubscribes at the peer when the last one ends', async () => {
    const uri = `cord://${host.peerId}/demo://resource/static/document/features.md`
    const first = await connect()
    const second = await connect()
    const unsubscribed = vi.spyOn(daemon.node, 'unsubscribeResource')
    await first.client.subscribeResource({ uri })
    await second.client.subscribeResource({ uri })
    // the hosted server sends updates of subscribed resources while its simulation runs (at once, then every 5 s)
    const toggle = { name: 'everything__toggle-subscriber-updates', arguments: {} }
    await first.client.callTool(toggle)
    try {
      await waitFor(() => first.updates.length > 0 && second.updates.length > 0)
      expect(first.updates[0]).toBe(uri)
      expect(second.updates[0]).toBe(uri)

      // one client unsubscribes: the other still hears of the resource, the peer keeps the subscription
      await first.client.unsubscribeResource({ uri })
      expect(unsubscribed).not.toHaveBeenCalled()
      // the last subscriber's session ends: the gateway unsubscribes at the serving peer
      await second.transport.terminateSession()
      await waitFor(() => unsubscribed.mock.calls.length > 0)
      expect(unsubscribed.mock.calls[0]?.slice(0, 2)).toEqual([
        host.peerId,
        'demo://resource/static/document/features.md',
      ])
    } finally {
      await first.client.callTool(toggle)
      unsubscribed.mockRestore()
    }
  })

  it('subscribes by a bare URI too, at the peer that has the resource', async () => {
    const { client } = await connect()
    await client.listResources()
    await expect(
      client.subscribeResource({ uri: 'demo://resource/static/document/features.md' }),
    ).resolves.toEqual({})
    await expect(client.subscribeResource({ uri: 'demo://no-such-resource' })).rejects.toThrow(
      /unknown resource/,
    )
  })
})
