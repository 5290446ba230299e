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

function fakeDiscovery(budget = 16) {
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
    expect(discovery.period()).toBe(2_000)
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
})
