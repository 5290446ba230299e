/**
 * The control API of a daemon started in-process: loopback only, bearer token or nothing,
 * validated requests, one daemon per data dir.
 */
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ControlClient } from '../../src/control/client.ts'
import { type Daemon, startDaemon } from '../../src/control/daemon.ts'
import { createLogger } from '../../src/logger.ts'
import { Harness } from '../helpers/harness.ts'

describe('control API', () => {
  const h = new Harness()
  let dir: string
  let daemon: Daemon
  let control: { url: string; token: string }
  const log = createLogger('silent')

  beforeAll(async () => {
    dir = await h.tempDir()
    daemon = await startDaemon({
      dir,
      node: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      controlListen: '127.0.0.1:0',
      log,
    })
    control = JSON.parse(await readFile(join(dir, 'control.json'), 'utf8'))
  })

  afterAll(async () => {
    await daemon?.stop()
    await h.teardown()
  })

  it('listens on loopback and answers nothing but 401 without the right token', async () => {
    expect(new URL(control.url).hostname).toBe('127.0.0.1')
    const attempts: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer wrong' },
      { authorization: control.token },
    ]
    for (const headers of attempts) {
      const res = await fetch(new URL('/v1/id', control.url), { headers })
      expect(res.status).toBe(401)
      expect(await res.text()).not.toContain(daemon.node.peerId)
    }
    const ok = await fetch(new URL('/v1/id', control.url), {
      headers: { authorization: `Bearer ${control.token}` },
    })
    expect(ok.status).toBe(200)
    expect(await ok.json()).toMatchObject({ peerId: daemon.node.peerId })
  })

  it('validates request bodies and names the bad field', async () => {
    const client = await ControlClient.open(dir)
    await expect(
      client.request('POST', '/v1/call', { target: daemon.node.peerId, tool: 'echo', args: 'nope' }),
    ).rejects.toMatchObject({
      remoteName: 'InvalidArgumentError',
      kind: 'usage',
      message: expect.stringMatching(/args/),
    })
    await expect(client.request('GET', '/v1/nothing')).rejects.toMatchObject({
      message: expect.stringMatching(/no such endpoint/),
    })
    const res = await fetch(new URL('/v1/call', control.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${control.token}` },
      body: '{not json',
    })
    expect(res.status).toBe(400)
  })

  it('calls a local tool through the API', async () => {
    const client = await ControlClient.open(dir)
    const result = await client.request('POST', '/v1/call', {
      target: daemon.node.peerId,
      tool: 'echo',
      args: { text: 'local' },
    })
    expect(result).toEqual({
      content: [{ type: 'text', text: 'local' }],
      _meta: { 'cord/servedBy': daemon.node.peerId },
    })
  })

  it('refuses a second daemon for the same data dir', async () => {
    await expect(
      startDaemon({ dir, node: { listen: ['/ip4/127.0.0.1/tcp/0'] }, controlListen: '127.0.0.1:0', log }),
    ).rejects.toMatchObject({ name: 'DaemonRunningError' })
    // the first one is untouched
    expect((await (await ControlClient.open(dir)).request<{ peerId: string }>('GET', '/v1/id')).peerId).toBe(
      daemon.node.peerId,
    )
  })

  it('serves no demo tools when demo_tools is off', async () => {
    const node = await h.spawn({ demoTools: false })
    expect(await node.listTools()).toEqual([])
    // alone, with no address for a peer and nobody to ask, a call fails at once instead of waiting for a dial
    const started = Date.now()
    await expect(node.callTool(daemon.node.peerId, 'echo', { text: 'x' })).rejects.toMatchObject({
      name: 'PeerUnreachableError',
      message: expect.stringMatching(/no connected peer to ask/),
    })
    expect(Date.now() - started).toBeLessThan(5_000)
  })

  it('removes the control file when it stops, after which the CLI finds no daemon', async () => {
    const other = await h.tempDir()
    const d = await startDaemon({
      dir: other,
      node: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      controlListen: '127.0.0.1:0',
      log,
    })
    expect(existsSync(join(other, 'control.json'))).toBe(true)
    await d.stop()
    await d.stop() // twice is fine
    expect(existsSync(join(other, 'control.json'))).toBe(false)
    await expect(ControlClient.open(other)).rejects.toMatchObject({ name: 'NoDaemonError' })
  })
})
