/**
 * Topics and direct messages between real nodes on 127.0.0.1: two publishers and a subscriber on a
 * third node, the size limit, a late subscriber, a forbidden publisher, and direct messages.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CordNode, TopicGap, TopicMessage } from '../../src/index.ts'
import { failure, Harness, waitFor } from '../helpers/harness.ts'

/** Resolves once every node in `publishers` sees `subscriber` subscribed to `topic`. */
async function seen(publishers: CordNode[], subscriber: CordNode, topic: string): Promise<void> {
  await waitFor(
    () =>
      publishers.every((p) =>
        p.topics().some((t) => t.topic === topic && t.peers.includes(subscriber.peerId)),
      ),
    15_000,
  )
}

describe('topics and direct messages on three nodes', () => {
  const h = new Harness()
  let a: CordNode
  let b: CordNode
  let c: CordNode

  beforeAll(async () => {
    a = await h.spawn({ alias: 'a' })
    ;[b, c] = await Promise.all([
      h.spawn({ alias: 'b', bootstrap: [a.multiaddrs[0]!] }),
      h.spawn({ alias: 'c', bootstrap: [a.multiaddrs[0]!] }),
    ])
    await c.waitForPeers(2, { timeout: 15_000 })
  })
  afterAll(() => h.teardown())

  it('delivers 1,000 messages of two publishers to a subscriber on the third node, each in order, once', async () => {
    const got: TopicMessage[] = []
    const gaps: TopicGap[] = []
    c.subscribe('load/test', (m) => got.push(m), { onGap: (g) => gaps.push(g) })
    await seen([a, b], c, 'load/test')
    const send = async (node: CordNode, tag: string): Promise<void> => {
      for (let i = 1; i <= 500; i++) await node.publish('load/test', { tag, i })
    }
    const started = Date.now()
    await Promise.all([send(a, 'a'), send(b, 'b')])
    // 1.4 s alone on a busy core; the whole suite beside it on 2 cores took over 20 s once.
    await waitFor(() => got.length >= 1000, 60_000)
    const ms = Date.now() - started
    for (const [node, tag] of [
      [a, 'a'],
      [b, 'b'],
    ] as const) {
      const mine = got.filter((m) => m.from === node.peerId)
      expect(mine.map((m) => (m.data as { i: number }).i)).toEqual(
        Array.from({ length: 500 }, (_, i) => i + 1),
      )
      expect(mine.map((m) => m.seq)).toEqual(Array.from({ length: 500 }, (_, i) => i + 1))
      expect(mine.every((m) => (m.data as { tag: string }).tag === tag && m.topic === 'load/test')).toBe(true)
    }
    expect(got).toHaveLength(1000)
    expect(gaps).toEqual([])
    expect(c.status().topics).toMatchObject({ subscribed: 1, delivered: 1000, missed: 0 })
    expect(a.status().topics.published).toBe(500)
    console.info(`1,000 topic messages from two publishers delivered in ${ms} ms`)
    c.unsubscribe('load/test')
    await waitFor(() => !a.topics().some((t) => t.topic === 'load/test'))
  })

  it('refuses a message over the size limit at the publisher, and bad topic names', async () => {
    const big = 'x'.repeat(64 * 1024)
    const { error } = await failure(a.publish('load/test', big))
    expect(error.name).toBe('MessageTooLargeError')
    expect(error.message).toMatch(/65538 bytes .* limit of 65536 bytes/)
    expect((await failure(a.publish('bad topic!', 1))).error.name).toBe('InvalidArgumentError')
    expect(() => a.subscribe('x'.repeat(129), () => {})).toThrow(/invalid topic name/)
    expect(a.status().topics.published).toBe(500)
  })

  it('gives a late subscriber the messages published from then on', async () => {
    const early: TopicMessage[] = []
    b.subscribe('late', (m) => early.push(m))
    await seen([a], b, 'late')
    for (let i = 1; i <= 5; i++) await a.publish('late', i)
    await waitFor(() => early.length === 5)
    const late: TopicMessage[] = []
    const gaps: TopicGap[] = []
    c.subscribe('late', (m) => late.push(m), { onGap: (g) => gaps.push(g) })
    // A publisher's gossipsub sends to a new subscriber from its next gossip heartbeat (1 s) on:
    // probe until one arrives, then everything published after it must arrive, in order.
    await waitFor(async () => {
      await a.publish('late', 'probe')
      return late.length > 0
    }, 15_000)
    for (let i = 6; i <= 10; i++) await a.publish('late', i)
    await waitFor(() => late.filter((m) => m.data !== 'probe').length === 5 && early.length >= 10)
    const first = late[0]!.seq
    expect(first).toBeGreaterThan(5) // nothing from before it subscribed
    expect(late.map((m) => m.seq)).toEqual(Array.from({ length: late.length }, (_, i) => first + i))
    expect(late.filter((m) => m.data !== 'probe').map((m) => m.data)).toEqual([6, 7, 8, 9, 10])
    expect(gaps).toEqual([])
  })

  it('lists the topics of the node and its peers with subscriber counts', async () => {
    const mine = a.subscribe('late', () => {})
    const late = await waitFor(() => b.topics().find((t) => t.topic === 'late' && t.subscribers === 3))
    expect(late).toMatchObject({ subscribed: true })
    expect([...late.peers].sort()).toEqual([a.peerId, c.peerId].sort())
    mine()
  })

  it('rejects and counts invalid messages before delivering or forwarding them', async () => {
    const got: TopicMessage[] = []
    c.subscribe('checked', (m) => got.push(m))
    await seen([a], c, 'checked')
    const raw = (text: string): Promise<unknown> =>
      a.libp2p.services.pubsub.publish('cord/topic/1/checked', new TextEncoder().encode(text))
    const envelope = { v: 1, topic: 'checked', from: a.peerId, session: '0123456789abcdef', seq: 1, ts: 1 }
    await raw('{not json')
    await raw(JSON.stringify({ ...envelope, extra: 1, data: 1 }))
    await raw(JSON.stringify({ ...envelope, from: b.peerId, data: 'forged' }))
    await raw(JSON.stringify({ ...envelope, topic: 'other', data: 1 }))
    await raw(JSON.stringify({ ...envelope, data: 'z'.repeat(66 * 1024) }))
    await raw(JSON.stringify({ ...envelope, data: 'fine' }))
    await waitFor(() => got.length === 1)
    expect(got[0]).toMatchObject({ from: a.peerId, data: 'fine', seq: 1 })
    await waitFor(() => Object.values(c.status().topics.rejected).reduce((x, y) => x + y) >= 5)
    expect(c.status().topics.rejected).toEqual({
      size: 1,
      json: 1,
      schema: 1,
      signer: 1,
      topic: 1,
      forbidden: 0,
    })
    c.unsubscribe('checked')
  })

  it('sends a direct message that is acknowledged once the receiver took it, by peer ID or alias', async () => {
    const got: Array<{ from: string; data: unknown; seq: number }> = []
    const off = b.onMessage((m) => void got.push(m))
    expect(await a.send(b.peerId, { task: 42 })).toEqual({ peer: b.peerId, seq: 1 })
    expect(got).toEqual([{ from: a.peerId, seq: 1, timestamp: expect.any(Number), data: { task: 42 } }])
    await a.send('b', 'by alias')
    expect(got[1]).toMatchObject({ data: 'by alias', seq: 2 })
    expect(b.status().topics.messages.received).toBe(2)
    off()
    const refused = await failure(a.send(b.peerId, 1))
    expect(refused.error.name).toBe('MessageRefusedError')
    expect(refused.error.message).toMatch(/no onMessage handler/)
  })

  it('fails a direct message clearly: unreachable peer, handler error, too large', async () => {
    const nobody = '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'
    const unreachable = await failure(a.send(`/ip4/127.0.0.1/tcp/1/p2p/${nobody}`, 1, { timeout: 5_000 }))
    expect(unreachable.error.name).toBe('PeerUnreachableError')
    expect(unreachable.error.message).toMatch(/cannot reach/)
    const gone = await h.spawn({ alias: 'gone', bootstrap: [a.multiaddrs[0]!] })
    await waitFor(() => a.libp2p.getConnections(gone.libp2p.peerId).length > 0)
    await gone.stop()
    const stopped = await failure(a.send(gone.peerId, 1, { timeout: 5_000 }))
    expect(stopped.error.name).toBe('PeerUnreachableError')
    const off = c.onMessage(() => {
      throw new Error('not now')
    })
    const refused = await failure(a.send(c.peerId, 1))
    expect(refused.error).toMatchObject({
      name: 'MessageRefusedError',
      message: expect.stringMatching(/not now/),
    })
    off()
    const hang = c.onMessage(() => new Promise<void>(() => {}))
    const late = await failure(a.send(c.peerId, 1, { timeout: 500 }))
    expect(late.error.name).toBe('CallTimeoutError')
    expect(late.ms).toBeLessThan(2_000)
    hang()
    expect((await failure(a.send(c.peerId, 'y'.repeat(70_000)))).error.name).toBe('MessageTooLargeError')
    expect((await failure(a.send('nobody-by-this-alias', 1))).error.name).toBe('UnknownTargetError')
  })
})

describe('topic access rules', () => {
  const h = new Harness()
  afterAll(() => h.teardown())

  it("drops a forbidden publisher's messages at every node, relays included", async () => {
    const rogue = await h.spawn({ alias: 'rogue' })
    // The relay's rules forbid the rogue to publish on news/**; the subscriber behind it has no topic
    // rules and refuses connections from the rogue, so the relay is its only path to the rogue.
    const relay = await h.spawn({
      alias: 'relay',
      access: {
        topicRules: [
          { peers: [rogue.peerId], topics: ['news/**'], operations: ['publish'], action: 'deny' },
          { peers: ['*'], topics: ['secret/*'], action: 'deny' },
        ],
      },
    })
    const sub = await h.spawn({
      alias: 'sub',
      access: { denyPeers: [rogue.peerId] },
      bootstrap: [relay.multiaddrs[0]!],
    })
    await rogue.connect(relay.multiaddrs[0]!)
    const atRelay: TopicMessage[] = []
    const atSub: TopicMessage[] = []
    for (const topic of ['news/alerts', 'open']) {
      relay.subscribe(topic, (m) => atRelay.push(m))
      sub.subscribe(topic, (m) => atSub.push(m))
    }
    await seen([rogue], relay, 'open')
    await seen([relay], sub, 'open')
    await seen([rogue], relay, 'news/alerts')
    await seen([relay], sub, 'news/alerts')
    // The path works for the rogue's messages on a topic it may publish to…
    await waitFor(async () => {
      await rogue.publish('open', 'hello')
      return atSub.some((m) => m.topic === 'open' && m.from === rogue.peerId)
    }, 15_000)
    // …and the relay's own news reach the subscriber; the rogue's news reach nobody.
    for (let i = 0; i < 5; i++) await rogue.publish('news/alerts', { fake: i })
    await relay.publish('news/alerts', 'real')
    await waitFor(() => atSub.some((m) => m.data === 'real'))
    await waitFor(() => relay.status().topics.rejected.forbidden >= 5)
    const news = (m: TopicMessage): boolean => m.topic === 'news/alerts' && m.from === rogue.peerId
    expect(atRelay.filter(news)).toEqual([])
    expect(atSub.filter(news)).toEqual([])
    // A node's own rules refuse it at once, with a clear error.
    expect(() => relay.subscribe('secret/plans', () => {})).toThrow(/topic rules do not let this node/)
    expect((await failure(relay.publish('secret/plans', 1))).error.name).toBe('AccessDeniedError')
  })
})
