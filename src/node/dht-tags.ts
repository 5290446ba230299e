/**
 * kad-dht tags the 20 peers closest to this node (by XOR distance) keep-alive, and libp2p then holds
 * a connection to each of them and redials them when lost. In a mesh of a hundred nodes that was
 * 20 to 30 connections per node, each with its gossipsub streams, pings and Noise/Yamux framing: the
 * largest part of an idle node's CPU. Cord's DHT holds tool records that a node looks up rarely (a
 * tool not in its catalog), and a query dials the peers it needs; the connections a node keeps are
 * chosen by connection upkeep (`target_connections`) and keep-alive of its bootstrap peers. So the
 * DHT keeps its "close" tag (which orders pruning) but not the keep-alive one.
 */
import { KEEP_ALIVE, type PeerData, type PeerStore } from '@libp2p/interface'

/** kad-dht's tag of its closest peers, and its keep-alive tag (`keep-alive-kad-dht`). */
const CLOSE_TAG = 'kad-close'

/** `components` as kad-dht sees them: the same, but a peer store whose merges carry no keep-alive tag beside `kad-close`. */
export function withoutCloseKeepAlive<T extends { peerStore: PeerStore }>(components: T): T {
  const peerStore = components.peerStore
  const store = new Proxy(peerStore, {
    get(target, prop, receiver) {
      if (prop !== 'merge') return Reflect.get(target, prop, receiver)
      const merge: PeerStore['merge'] = (peerId, data, options) =>
        target.merge(peerId, stripKeepAlive(data), options)
      return merge
    },
  })
  return new Proxy(components, {
    get(target, prop, receiver) {
      return prop === 'peerStore' ? store : Reflect.get(target, prop, receiver)
    },
  })
}

function stripKeepAlive(data: PeerData): PeerData {
  const tags = data.tags instanceof Map ? Object.fromEntries(data.tags) : data.tags
  if (tags == null || !(CLOSE_TAG in tags)) return data
  return {
    ...data,
    tags: Object.fromEntries(Object.entries(tags).filter(([name]) => !name.startsWith(KEEP_ALIVE))),
  }
}
