import { McpError } from '@modelcontextprotocol/sdk/types.js'
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { MeshClient } from '../../../src/gateway/mesh.ts'
import type { Subscriber } from '../../../src/gateway/subscriptions.ts'
import { type TopicFeedSnapshot, TopicFeeds } from '../../../src/gateway/topic-feeds.ts'
import type { SubscribeOptions, TopicHandler } from '../../../src/topics/types.ts'

/** A node stub that records topic handlers: `emit` plays a message, `gap` a gap. */
function stubMesh(): {
  mesh: MeshClient
  handlers: Map<string, { handler: TopicHandler; options: SubscribeOptions }>
  emit: (topic: string, seq: number, data: unknown) => void
} {
  const handlers = new Map<string, { handler: TopicHandler; options: SubscribeOptions }>()
  const mesh = {
    subscribe: (name: string, handler: TopicHandler, options: SubscribeOptions = {}) => {
      handlers.set(name, { handler, options })
      return () => handlers.delete(name)
    },
    topics: () =>
      [...handlers.keys()].map((topic) => ({ topic, subscribed: true, peers: [], subscribers: 1 })),
  } as unknown as MeshClient
  const emit = (topic: string, seq: number, data: unknown): void =>
    handlers.get(topic)?.handler({ topic, from: 'peer', seq, timestamp: seq, data })
  return { mesh, handlers, emit }
}

function client(): Subscriber & { updates: string[] } {
  const updates: string[] = []
  return { updates, resourceUpdated: (uri) => void updates.push(uri) }
}

const snapshot = (feeds: TopicFeeds, name: string): TopicFeedSnapshot =>
  JSON.parse((feeds.read(`cord://topics/${name}`, name).contents[0] as { text: string }).text)

describe('TopicFeeds', () => {
  it('keeps the last messages within the byte bound, and always the newest', () => {
    const { mesh, emit } = stubMesh()
    const feeds = new TopicFeeds(mesh, { maxMessages: 100, maxBytes: 250 }, pino({ level: 'silent' }))
    feeds.subscribe(client(), 't')
    for (let seq = 1; seq <= 4; seq++) emit('t', seq, 'x'.repeat(98)) // 100 bytes as JSON
    expect(snapshot(feeds, 't').messages.map((m) => m.seq)).toEqual([3, 4])
    expect(snapshot(feeds, 't').dropped).toBe(2)
    emit('t', 5, 'y'.repeat(1000))
    expect(snapshot(feeds, 't').messages.map((m) => m.seq)).toEqual([5])
  })

  it('subscribes once for several clients, tells each, counts gaps, and leaves with the last client', () => {
    const { mesh, handlers, emit } = stubMesh()
    const feeds = new TopicFeeds(mesh, {}, pino({ level: 'silent' }))
    const [one, two] = [client(), client()]
    feeds.subscribe(one, 'a/b')
    feeds.subscribe(two, 'a/b')
    expect(handlers.size).toBe(1)
    emit('a/b', 1, { ok: true })
    handlers.get('a/b')?.options.onGap?.({ topic: 'a/b', from: 'peer', first: 2, last: 4 })
    expect(one.updates).toEqual(['cord://topics/a/b', 'cord://topics/a/b'])
    expect(two.updates).toEqual(one.updates)
    expect(snapshot(feeds, 'a/b')).toMatchObject({ subscribed: true, missed: 3 })
    expect(feeds.resources().map((r) => r.uri)).toEqual(['cord://topics/a/b'])

    expect(feeds.unsubscribe(one, 'a/b')).toBe(true)
    expect(handlers.size).toBe(1)
    feeds.drop(two)
    expect(handlers.size).toBe(0)
    expect(snapshot(feeds, 'a/b')).toMatchObject({ subscribed: false, messages: [] })
  })

  it('refuses an invalid topic name with InvalidParams and subscribes to nothing', () => {
    const { mesh, handlers } = stubMesh()
    const feeds = new TopicFeeds(mesh, {}, pino({ level: 'silent' }))
    expect(() => feeds.subscribe(client(), 'bad name')).toThrow(McpError)
    expect(() => feeds.read('cord://topics/', '')).toThrow(/invalid topic name ""/)
    expect(handlers.size).toBe(0)
  })
})
