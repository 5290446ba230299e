/**
 * The heartbeat scheduler on a fake clock, with fake libp2p services: one heartbeat at start, then one
 * every 85–100% of the announced period, one at once when the node's tools change, and a period that
 * stretches when the mesh is larger than the heartbeat budget.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { pino } from 'pino'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { HEARTBEAT_TOPIC } from '../../../src/constants.ts'
import { Discovery, type DiscoveryComponents } from '../../../src/discovery/discovery.ts'
import type { Heartbeat } from '../../../src/discovery/heartbeat.ts'
import { ToolRegistry } from '../../../src/registry/registry.ts'

const SELF = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'
const INTERVAL = 1_000

function fakeDiscovery(budget = 16, restBudget = 4) {
  const published: Array<{ at: number; hb: Heartbeat }> = []
  const events = new EventTarget()
  const components = {
    peerId: peerIdFromString(SELF),
    pubsub: {
      topicValidators: new Map(),
      subscribe: () => {},
      addEventListener: () => {},
      removeEventListener: () => {},
      getSubscribers: () => [],
      publish: async (topic: string, data: Uint8Array) => {
        if (topic !== HEARTBEAT_TOPIC) return { recipients: [] }
        published.push({ at: Date.now(), hb: JSON.parse(new TextDecoder().decode(data)) })
        return { recipients: [] }
      },
    },
    peerStore: { patch: async () => {}, get: async () => ({ tags: new Map() }), delete: async () => {} },
    contentRouting: {
      provide: async () => {},
      findProviders: async function* () {},
      cancelReprovide: async () => {},
    },
    network: {
      getConnections: () => [],
      dial: async () => {},
      getMultiaddrs: () => [],
      handle: async () => {},
      unhandle: async () => {},
      addEventListener: events.addEventListener.bind(events),
      removeEventListener: events.removeEventListener.bind(events),
    },
    registry: new ToolRegistry(),
    log: pino({ level: 'silent' }),
    pullCatalog: async () => [],
    load: () => ({ inflight: 0, capacity: 64 }),
    privateKey: { sign: () => new Uint8Array(64) },
    policy: { open: true, allows: () => true, namedPeers: () => [] },
  } as unknown as DiscoveryComponents
  const discovery = new Discovery(components, {
    alias: 'me',
    intervalMs: INTERVAL,
    heartbeatBudget: budget,
    heartbeatRestBudget: restBudget,
    suspectAfter: 3,
    deadAfter: 6,
    forgetAfterMs: 3_600_000,
    targetConnections: 0,
  })
  return { discovery, published, registry: components.registry as ToolRegistry }
}

const peer = (i: number): Heartbeat => ({
  v: 1,
  peerId: `peer${i}`,
  alias: `p${i}`,
  addrs: [],
  seq: 1,
  load: { inflight: 0, capacity: 64 },
  uptimeMs: 1,
  version: '0',
  tools: 0,
  digest: '0'.repeat(32),
})

describe('the heartbeat scheduler', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 })
  })
  afterEach(() => {
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  it('publishes at start, then every 85–100% of the interval, with growing sequence numbers', async () => {
    const { discovery, published } = fakeDiscovery()
    discovery.start()
    await vi.advanceTimersByTimeAsync(10_000)
    discovery.stop()
    const gaps = published.slice(1).map((p, i) => p.at - published[i]!.at)
    expect(published[0]!.at).toBe(0)
    expect(gaps.length).toBeGreaterThanOrEqual(10)
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(850)
      expect(gap).toBeLessThanOrEqual(1_000)
    }
    expect(published.map((p) => p.hb.seq)).toEqual(published.map((_, i) => i))
    expect(published.every((p) => p.hb.periodMs === INTERVAL)).toBe(true)
    // stopped: nothing more
    const count = published.length
    await vi.advanceTimersByTimeAsync(5_000)
    expect(published.length).toBe(count)
  })

  it('jitters each period between 85% and 100%', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0)
    const early = fakeDiscovery()
    early.discovery.start()
    await vi.advanceTimersByTimeAsync(2_000)
    early.discovery.stop()
    expect(early.published.map((p) => p.at)).toEqual([0, 850, 1_700])
  })

  it('publishes at once when the tools change, with the new digest', async () => {
    const { discovery, published, registry } = fakeDiscovery()
    discovery.start()
    await vi.advanceTimersByTimeAsync(100)
    const before = published.at(-1)!.hb.digest
    registry.register('fresh', {}, () => ({ content: [] }))
    await vi.advanceTimersByTimeAsync(1)
    expect(published.at(-1)!.at).toBe(100)
    expect(published.at(-1)!.hb.digest).not.toBe(before)
    expect(published.at(-1)!.hb.tools).toBe(1)
    discovery.stop()
  })

  it('stretches its period in a mesh larger than the budget, and says so', async () => {
    const { discovery, published } = fakeDiscovery(4)
    for (let i = 0; i < 7; i++) discovery.table.onHeartbeat(peer(i), 0)
    discovery.start()
    // 8 nodes over a budget of 4: every 2 intervals
    expect(discovery.pace.period()).toBe(2_000)
    await vi.advanceTimersByTimeAsync(1)
    expect(published[0]!.hb.periodMs).toBe(2_000)
    // the peers are kept alive while the clock runs
    for (let t = 500; t <= 6_000; t += 500) {
      for (let i = 0; i < 7; i++) discovery.table.onHeartbeat({ ...peer(i), seq: t }, t)
      await vi.advanceTimersByTimeAsync(500)
    }
    discovery.stop()
    const gaps = published.slice(1).map((p, i) => p.at - published[i]!.at)
    for (const gap of gaps) {
      expect(gap).toBeGreaterThanOrEqual(1_700)
      expect(gap).toBeLessThanOrEqual(2_000)
    }
  })

  it('rests when the mesh stays still, announcing the longer period, and wakes at once on a change', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999)
    // 8 nodes: active every interval (budget 16), at rest every 2 intervals (rest budget 4)
    const { discovery, published } = fakeDiscovery(16, 4)
    for (let i = 0; i < 7; i++) discovery.table.onHeartbeat(peer(i), 0)
    discovery.start()
    const keepAlive = async (from: number, to: number): Promise<void> => {
      for (let t = from; t < to; t += 250) {
        // the same heartbeats again (same digest): no change
        for (let i = 0; i < 7; i++) discovery.table.onHeartbeat({ ...peer(i), seq: t + 1 }, t)
        await vi.advanceTimersByTimeAsync(250)
      }
    }
    await keepAlive(0, 2_500)
    expect(discovery.pace.resting()).toBe(false)
    expect(published.every((p) => p.hb.periodMs === 1_000)).toBe(true)
    await keepAlive(2_500, 10_000)
    expect(discovery.pace.resting()).toBe(true)
    const rest = published.filter((p) => p.hb.periodMs === 2_000)
    expect(rest.length).toBeGreaterThan(0)
    // the heartbeat that announces the rest period is followed by one that long after, not sooner
    const first = published.indexOf(rest[0]!)
    expect(published[first + 1]!.at - rest[0]!.at).toBeGreaterThan(1_000)
    // a peer joins: active again, and the next heartbeat comes within one active period
    const woke = Date.now()
    const count = published.length
    discovery.table.onHeartbeat(peer(99), woke)
    expect(discovery.pace.resting()).toBe(false)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(published.length).toBeGreaterThan(count)
    expect(published[count]!.at - woke).toBeLessThanOrEqual(1_000)
    expect(published[count]!.hb.periodMs).toBe(1_000)
    discovery.stop()
  })

  it('wakes when a peer announces a new catalog digest, not when it repeats its old one', async () => {
    const { discovery } = fakeDiscovery(16, 4)
    for (let i = 0; i < 7; i++) discovery.table.onHeartbeat(peer(i), 0)
    discovery.start()
    for (let t = 0; t < 10_000; t += 500) {
      for (let i = 0; i < 7; i++) discovery.table.onHeartbeat({ ...peer(i), seq: t + 1 }, t)
      await vi.advanceTimersByTimeAsync(500)
    }
    expect(discovery.pace.resting()).toBe(true)
    // the fake pubsub delivers nothing: hand the heartbeat to discovery as gossipsub would
    ;(discovery as unknown as { onHeartbeat: (hb: Heartbeat) => void }).onHeartbeat({
      ...peer(3),
      seq: 100_000,
      digest: 'f'.repeat(32),
    })
    expect(discovery.pace.resting()).toBe(false)
    discovery.stop()
  })
})
