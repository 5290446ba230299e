import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import {
  InflightTransport,
  idleSessions,
  leastRecentlyUsedIdle,
  type SessionUse,
} from '../../../src/gateway/http-sessions.ts'

interface Entry extends SessionUse {
  name: string
  inflight: Set<number>
}

/** A session as the endpoint keeps it, last used now. */
function session(name: string): Entry {
  return { name, lastActive: Date.now(), open: 0, inflight: new Set() }
}

describe('choosing the session to close', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('closes the least recently used session that is idle, never a busy one', () => {
    const a = session('a')
    vi.advanceTimersByTime(1_000)
    const b = session('b')
    vi.advanceTimersByTime(1_000)
    const c = session('c')
    expect(leastRecentlyUsedIdle([c, b, a])?.name).toBe('a')

    a.open = 1 // its event stream is open
    expect(leastRecentlyUsedIdle([c, b, a])?.name).toBe('b')
    b.inflight.add(7) // a request in flight
    expect(leastRecentlyUsedIdle([c, b, a])?.name).toBe('c')

    vi.advanceTimersByTime(1_000)
    b.inflight.delete(7)
    b.lastActive = Date.now() // its answer went out: b is now the most recently used
    expect(leastRecentlyUsedIdle([a, b, c])?.name).toBe('c')
    c.open = 2
    expect(leastRecentlyUsedIdle([a, b, c])?.name).toBe('b')
    b.open = 1
    expect(leastRecentlyUsedIdle([a, b, c])).toBeUndefined() // every session busy: refuse
  })

  it('finds the sessions idle for the idle timeout', () => {
    const old = session('old')
    vi.advanceTimersByTime(4_000)
    const streaming = session('streaming')
    streaming.lastActive = old.lastActive
    streaming.open = 1
    const recent = session('recent')
    vi.advanceTimersByTime(1_000)
    expect(idleSessions([old, streaming, recent], Date.now(), 5_000).map((s) => s.name)).toEqual(['old'])
    vi.advanceTimersByTime(4_000)
    expect(idleSessions([old, streaming, recent], Date.now(), 5_000).map((s) => s.name)).toEqual([
      'old',
      'recent',
    ])
  })
})

describe('InflightTransport', () => {
  it('counts requests until their answer or their cancellation', async () => {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
    const tracked = new InflightTransport(serverSide)
    const seen: JSONRPCMessage[] = []
    tracked.onmessage = (m) => void seen.push(m)
    await tracked.start()
    await clientSide.start()
    await clientSide.send({ jsonrpc: '2.0', id: 1, method: 'tools/list' })
    await clientSide.send({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'x' } })
    await clientSide.send({ jsonrpc: '2.0', method: 'notifications/initialized' })
    expect([...tracked.inflight]).toEqual([1, 2])
    // a notification related to request 1 does not end it; its answer does
    await tracked.send({
      jsonrpc: '2.0',
      method: 'notifications/progress',
      params: { progressToken: 1, progress: 1 },
    })
    expect(tracked.inflight.size).toBe(2)
    await tracked.send({ jsonrpc: '2.0', id: 1, result: { tools: [] } })
    expect([...tracked.inflight]).toEqual([2])
    await clientSide.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 2 } })
    expect(tracked.inflight.size).toBe(0)
    // a request the server sends the client (sampling) and its answer leave the count alone
    await tracked.send({ jsonrpc: '2.0', id: 0, method: 'sampling/createMessage', params: {} })
    await clientSide.send({ jsonrpc: '2.0', id: 0, result: {} })
    expect(tracked.inflight.size).toBe(0)
    expect(seen).toHaveLength(5)
  })
})
