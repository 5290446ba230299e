/** The `links` of heartbeats: which connections a node names, the schema's bound, the table keeping them. */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Message } from '@libp2p/gossipsub'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import {
  decodeHeartbeat,
  encodeHeartbeat,
  type Heartbeat,
  heartbeatLinks,
  MAX_HEARTBEAT_LINKS,
} from '../../../src/discovery/heartbeat.ts'
import { PeerTable } from '../../../src/discovery/peer-table.ts'

const heartbeat = (peerId: string, seq: number, links?: string[]): Heartbeat => ({
  v: 1,
  peerId,
  alias: 'n1',
  addrs: [],
  seq,
  load: { inflight: 0, capacity: 64 },
  uptimeMs: 10,
  version: '0.1.0',
  tools: 0,
  digest: 'a'.repeat(32),
  ...(links != null ? { links } : {}),
})

describe('heartbeat links', () => {
  it('names each connected Cord peer once, sorted, at most 8', () => {
    const ids = Array.from({ length: 12 }, (_, i) => `peer-${String(i).padStart(2, '0')}`)
    expect(
      heartbeatLinks(['peer-03', 'peer-01', 'peer-03', 'other'], (id) => id.startsWith('peer-')),
    ).toEqual(['peer-01', 'peer-03'])
    expect(heartbeatLinks(ids, () => true)).toEqual(ids.slice(0, MAX_HEARTBEAT_LINKS))
  })

  it('are optional in the schema, and more than 8 are rejected', async () => {
    const id = peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
    const message = (hb: Heartbeat): Message =>
      ({ type: 'signed', from: id, topic: 't', data: encodeHeartbeat(hb) }) as unknown as Message
    const me = id.toString()
    expect(decodeHeartbeat(message(heartbeat(me, 1))).ok).toBe(true)
    expect(decodeHeartbeat(message(heartbeat(me, 1, ['a', 'b']))).ok).toBe(true)
    const nine = Array.from({ length: 9 }, (_, i) => `p${i}`)
    expect(decodeHeartbeat(message(heartbeat(me, 1, nine)))).toEqual({ ok: false, reason: 'schema' })
  })

  it('are kept in the peer table from the last heartbeat', () => {
    const table = new PeerTable({ intervalMs: 100, suspectAfter: 3, deadAfter: 6, forgetAfterMs: 60_000 })
    table.onHeartbeat(heartbeat('x', 1, ['y', 'z']), 0)
    expect(table.get('x')?.links).toEqual(['y', 'z'])
    table.onHeartbeat(heartbeat('x', 2), 100)
    expect(table.get('x')?.links).toEqual([])
  })
})
