import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { describe, expect, it } from 'vitest'
import { SessionEventStore } from '../../../src/gateway/event-store.ts'

const note = (n: number): JSONRPCMessage => ({
  jsonrpc: '2.0',
  method: 'notifications/message',
  params: { level: 'info', data: `event ${n}` },
})

async function replay(store: SessionEventStore, after: string): Promise<{ stream: string; data: unknown[] }> {
  const data: unknown[] = []
  const stream = await store.replayEventsAfter(after, {
    send: async (_id, m) => void data.push((m as { params?: { data?: unknown } }).params?.data),
  })
  return { stream, data }
}

describe('SessionEventStore', () => {
  it('replays the events of the same stream after the given one, without priming events', async () => {
    const store = new SessionEventStore({ maxEvents: 100, maxBytes: 1 << 20 })
    const priming = await store.storeEvent('s1', {} as JSONRPCMessage)
    const first = await store.storeEvent('s1', note(1))
    await store.storeEvent('other', note(99))
    await store.storeEvent('s1', note(2))
    await store.storeEvent('s1', note(3))
    expect(await store.getStreamIdForEventId(first)).toBe('s1')
    expect(await replay(store, priming)).toEqual({ stream: 's1', data: ['event 1', 'event 2', 'event 3'] })
    expect(await replay(store, first)).toEqual({ stream: 's1', data: ['event 2', 'event 3'] })
  })

  it('keeps at most maxEvents events and maxBytes bytes, dropping the oldest', async () => {
    const byCount = new SessionEventStore({ maxEvents: 3, maxBytes: 1 << 20 })
    const ids: string[] = []
    for (let i = 0; i < 5; i++) ids.push(await byCount.storeEvent('s', note(i)))
    expect(byCount.size.events).toBe(3)
    expect(byCount.has(ids[1]!)).toBe(false)
    expect(await byCount.getStreamIdForEventId(ids[1]!)).toBeUndefined()
    await expect(replay(byCount, ids[1]!)).rejects.toThrow(/no longer held/)
    expect((await replay(byCount, ids[2]!)).data).toEqual(['event 3', 'event 4'])

    const bySize = new SessionEventStore({ maxEvents: 1_000, maxBytes: 1_000 })
    for (let i = 0; i < 100; i++) await bySize.storeEvent('s', note(i))
    expect(bySize.size.bytes).toBeLessThanOrEqual(1_000)
    expect(bySize.size.events).toBeGreaterThan(5)
    // one event larger than the bound is still kept (the newest always is)
    const big = await bySize.storeEvent('s', {
      ...note(0),
      params: { level: 'info', data: 'x'.repeat(5_000) },
    })
    expect(bySize.has(big)).toBe(true)
    expect(bySize.size.events).toBe(1)
  })
})
