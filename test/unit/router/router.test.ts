import { describe, expect, it } from 'vitest'
import { PeerTable } from '../../../src/discovery/peer-table.ts'
import {
  AccessDeniedError,
  CallTimeoutError,
  InvalidToolArgumentsError,
  NodeStoppingError,
  PeerUnreachableError,
  RateLimitedError,
  SessionClosedError,
  TransportClosedError,
  UnknownToolError,
} from '../../../src/errors.ts'
import { ToolRegistry } from '../../../src/registry/registry.ts'
import { afterFailure, safeToRepeat } from '../../../src/router/policy.ts'
import { Router } from '../../../src/router/router.ts'

const ID = {
  a: '12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo',
  b: '12D3KooWJWoaqZhDaoEFshF7Rh1bpY9ohihFhzcW6d69Lr2NASuq',
}

function setup(dht: string[] = []) {
  const table = new PeerTable({ intervalMs: 100, suspectAfter: 3, deadAfter: 6, forgetAfterMs: 60_000 })
  const registry = new ToolRegistry()
  const router = new Router({
    self: { peerId: 'self', alias: 'me' },
    table,
    registry,
    findProviders: async () => dht,
    rtt: (peer) => (peer === ID.a ? 40 : 2),
  })
  const now = Date.now()
  for (const [alias, peerId, inflight] of [
    ['a', ID.a, 0],
    ['b', ID.b, 0],
  ] as const) {
    table.onHeartbeat(
      {
        v: 1,
        peerId,
        alias,
        addrs: [],
        seq: 1,
        load: { inflight, capacity: 64 },
        uptimeMs: 1,
        version: 'x',
        tools: 1,
        digest: 'c'.repeat(32),
      },
      now,
    )
    table.setCatalog(
      peerId,
      [{ name: 'tool', inputSchema: { type: 'object' }, annotations: { readOnlyHint: alias === 'a' } }],
      'c'.repeat(32),
    )
  }
  return { table, registry, router }
}

describe('router', () => {
  it('falls back to suspect providers only when none is alive, and never to dead ones', async () => {
    const { table, router } = setup()
    const signal = AbortSignal.timeout(1_000)
    const now = Date.now()
    const order = async (): Promise<string[]> =>
      (await router.candidates(undefined, 'tool', signal)).map((c) => c.peerId).sort()
    // b sends one more heartbeat 100 ms later; with 100 ms periods, 3 missed is suspect, 6 dead
    table.onHeartbeat(
      {
        v: 1,
        peerId: ID.b,
        alias: 'b',
        addrs: [],
        seq: 2,
        load: { inflight: 0, capacity: 64 },
        uptimeMs: 2,
        version: 'x',
        tools: 1,
        digest: 'c'.repeat(32),
      },
      now + 100,
    )
    table.tick(now + 350) // a suspect, b alive: only b
    expect(await order()).toEqual([ID.b])
    table.tick(now + 450) // both suspect: both
    expect(await order()).toEqual([ID.a, ID.b].sort())
    table.tick(now + 650) // a dead, b suspect: only b
    expect(await order()).toEqual([ID.b])
    table.tick(now + 2_000) // both dead
    await expect(order()).rejects.toMatchObject({ name: 'NoProviderError' })
  })

  it('orders providers by load and RTT, and resolves aliases', async () => {
    const { router } = setup()
    const signal = AbortSignal.timeout(1_000)
    expect((await router.candidates(undefined, 'tool', signal)).map((c) => c.peerId)).toEqual([ID.b, ID.a])
    expect((await router.candidates('a', 'tool', signal)).map((c) => c.peerId)).toEqual([ID.a])
    await expect(router.candidates('zed', 'tool', signal)).rejects.toMatchObject({
      name: 'UnknownTargetError',
      message: expect.stringMatching(/known aliases: a, b/),
    })
    await expect(router.candidates(undefined, 'missing', signal)).rejects.toMatchObject({
      name: 'NoProviderError',
    })
  })

  it('falls back to the DHT when no pulled catalog has the tool', async () => {
    const { router } = setup([ID.b])
    expect(
      (await router.candidates(undefined, 'elsewhere', AbortSignal.timeout(1_000))).map((c) => c.peerId),
    ).toEqual([ID.b])
  })

  it('fails over when the call surely did not run, or may have run on a read-only or idempotent tool', () => {
    const readOnly = safeToRepeat({ readOnlyHint: true })
    const writing = safeToRepeat({ readOnlyHint: false })
    expect(safeToRepeat({ idempotentHint: true })).toBe(true)
    expect(writing).toBe(false)
    for (const err of [new PeerUnreachableError('x'), new UnknownToolError('x')]) {
      expect(afterFailure(err, 0, writing)).toBe('next')
    }
    // never sent: once more on a new session, then the next provider, whatever the tool
    expect(afterFailure(new TransportClosedError('x'), 0, writing)).toBe('again')
    expect(afterFailure(new TransportClosedError('x'), 1, writing)).toBe('next')
    // maybe ran: only a tool that may run twice goes on
    expect(afterFailure(new SessionClosedError('x'), 0, readOnly)).toBe('again')
    expect(afterFailure(new SessionClosedError('x'), 1, readOnly)).toBe('next')
    for (const err of [new CallTimeoutError('x'), new SessionClosedError('x'), new NodeStoppingError('x')]) {
      expect(afterFailure(err, 1, readOnly)).toBe('next')
      expect(afterFailure(err, 0, writing)).toBe('fail')
    }
    // a limit's refusal says the call never ran: wait and try the same peer, whatever the tool
    for (const safe of [readOnly, writing])
      expect(afterFailure(new RateLimitedError('x', 1), 3, safe)).toBe('wait')
    // the tool's own answer, or any other refusal, never goes on
    for (const err of [new InvalidToolArgumentsError('x'), new AccessDeniedError('x'), new Error('x')])
      expect(afterFailure(err, 0, readOnly)).toBe('fail')
  })
})
