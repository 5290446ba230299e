/** Connections identify left undescribed: asked again after a while, aborted when still silent. */
import { TypedEventEmitter } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { createLogger } from '../../../src/logger.ts'
import { Unidentified } from '../../../src/node/unidentified.ts'

const A = '12D3KooWRKwfqDug8ds6zLVSB3bWtuxydJ3nAZ8kLv46TozoVwpK'
const AFTER = 10_000
const TIMEOUT = 20_000

function setup(identify: (c: unknown, o: { signal: AbortSignal }) => Promise<unknown>) {
  const events = new TypedEventEmitter<{ 'connection:open': CustomEvent; 'peer:identify': CustomEvent }>()
  const conn = { remotePeer: peerIdFromString(A), status: 'open', abort: vi.fn() }
  const spy = vi.fn(identify)
  const part = new Unidentified(
    { events: events as never, identify: spy as never, log: createLogger('silent') },
    { afterMs: AFTER, timeoutMs: TIMEOUT, attempts: 2 },
  )
  part.start()
  const open = (): void => void events.safeDispatchEvent('connection:open', { detail: conn })
  const identified = (): void =>
    void events.safeDispatchEvent('peer:identify', { detail: { connection: conn } })
  return { part, conn, spy, open, identified }
}

/** An identify that never answers, until its signal aborts. */
const silent = (_c: unknown, { signal }: { signal: AbortSignal }): Promise<unknown> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('timed out'))))

describe('Unidentified', () => {
  beforeEach(() => {
    vi.useFakeTimers()
  })
  afterEach(() => {
    vi.useRealTimers()
  })

  it('leaves a connection that identify described', async () => {
    const { part, conn, spy, open, identified } = setup(silent)
    open()
    identified()
    await vi.advanceTimersByTimeAsync(AFTER + TIMEOUT)
    expect(spy).not.toHaveBeenCalled()
    expect(conn.abort).not.toHaveBeenCalled()
    part.stop()
  })

  it('identifies again a connection left undescribed, and keeps it when the peer answers', async () => {
    const { part, conn, spy, open } = setup(() => Promise.resolve({}))
    open()
    await vi.advanceTimersByTimeAsync(AFTER - 1)
    expect(spy).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(spy).toHaveBeenCalledOnce()
    expect(conn.abort).not.toHaveBeenCalled()
    expect(part.identified).toBe(1)
    part.stop()
  })

  it('asks again after a failed try, and aborts a connection whose peer never answers', async () => {
    const { part, conn, spy, open } = setup(silent)
    open()
    await vi.advanceTimersByTimeAsync(AFTER + TIMEOUT + AFTER + TIMEOUT - 1)
    expect(spy).toHaveBeenCalledTimes(2)
    expect(conn.abort).not.toHaveBeenCalled()
    await vi.advanceTimersByTimeAsync(1)
    expect(conn.abort).toHaveBeenCalledOnce()
    expect(part.aborted).toBe(1)
    part.stop()
  })

  it('keeps a connection whose peer answers at a later try', async () => {
    let calls = 0
    const { part, conn, spy, open } = setup((c, o) => (++calls === 1 ? silent(c, o) : Promise.resolve({})))
    open()
    await vi.advanceTimersByTimeAsync(3 * (AFTER + TIMEOUT))
    expect(spy).toHaveBeenCalledTimes(2)
    expect(conn.abort).not.toHaveBeenCalled()
    expect(part.identified).toBe(1)
    part.stop()
  })

  it('does nothing once stopped, nor for a connection that closed meanwhile', async () => {
    const stopped = setup(silent)
    stopped.open()
    stopped.part.stop()
    await vi.advanceTimersByTimeAsync(AFTER + TIMEOUT)
    expect(stopped.spy).not.toHaveBeenCalled()
    const closed = setup(silent)
    closed.open()
    closed.conn.status = 'closed'
    await vi.advanceTimersByTimeAsync(AFTER + TIMEOUT)
    expect(closed.spy).not.toHaveBeenCalled()
    closed.part.stop()
  })
})
