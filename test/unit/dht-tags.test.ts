/**
 * kad-dht's closest peers keep their `kad-close` tag but not the keep-alive one (src/node/dht-tags.ts):
 * a fake peer store records what kad-dht would merge through the wrapped components.
 */
import { KEEP_ALIVE, type PeerStore } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import { withoutCloseKeepAlive } from '../../src/node/dht-tags.ts'

const PEER = peerIdFromString('12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo')

function fakeStore() {
  const merged: unknown[] = []
  const store = {
    merge: async (_peer: unknown, data: unknown) => {
      merged.push(data)
      return {}
    },
    has: async () => true,
  } as unknown as PeerStore
  return { store, merged }
}

describe('kad-dht tags', () => {
  it('drops the keep-alive tag that comes with kad-close, set or removed', async () => {
    const { store, merged } = fakeStore()
    const components = withoutCloseKeepAlive({ peerStore: store, other: 1 })
    await components.peerStore.merge(PEER, {
      tags: { 'kad-close': { value: 50 }, [`${KEEP_ALIVE}-kad-dht`]: { value: 1 } },
    })
    await components.peerStore.merge(PEER, {
      tags: new Map([
        ['kad-close', undefined],
        [`${KEEP_ALIVE}-kad-dht`, undefined],
      ]),
    })
    expect(merged).toEqual([{ tags: { 'kad-close': { value: 50 } } }, { tags: { 'kad-close': undefined } }])
    // the rest of the components and of the store are untouched
    expect(components.other).toBe(1)
    expect(await components.peerStore.has(PEER)).toBe(true)
  })

  it('leaves other merges alone, a keep-alive of its own included', async () => {
    const { store, merged } = fakeStore()
    const components = withoutCloseKeepAlive({ peerStore: store })
    const data = { tags: { [KEEP_ALIVE]: { value: 1 } }, multiaddrs: [] }
    await components.peerStore.merge(PEER, data)
    expect(merged).toEqual([data])
  })
})
