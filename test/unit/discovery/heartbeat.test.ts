import { generateKeyPair } from '@libp2p/crypto/keys'
import type { Message } from '@libp2p/gossipsub'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { describe, expect, it } from 'vitest'
import {
  catalogDigest,
  decodeHeartbeat,
  encodeHeartbeat,
  type Heartbeat,
} from '../../../src/discovery/heartbeat.ts'
import { PeerTable } from '../../../src/discovery/peer-table.ts'

const heartbeat = (peerId: string, seq = 1, digest = 'a'.repeat(32)): Heartbeat => ({
  v: 1,
  peerId,
  alias: 'n1',
  addrs: ['/ip4/127.0.0.1/tcp/4001'],
  seq,
  load: { inflight: 0, capacity: 64 },
  uptimeMs: 10,
  version: '0.1.0',
  tools: 1,
  digest,
})

async function signed(data: Uint8Array, from?: string): Promise<Message> {
  const id = from != null ? { toString: () => from } : peerIdFromPrivateKey(await generateKeyPair('Ed25519'))
  return {
    type: 'signed',
    from: id,
    topic: 't',
    data,
    sequenceNumber: 1n,
    signature: new Uint8Array(),
    key: {},
  } as unknown as Message
}

describe('heartbeats', () => {
  it('accepts a well-formed heartbeat signed by the peer it names', async () => {
    const msg = await signed(new Uint8Array())
    const hb = heartbeat(msg.type === 'signed' ? msg.from.toString() : '')
    const decoded = decodeHeartbeat({ ...msg, data: encodeHeartbeat(hb) } as Message)
    expect(decoded).toEqual({ ok: true, heartbeat: hb })
  })

  it('rejects, with the reason: another signer, bad schema, not JSON, too large, unsigned', async () => {
    const other = peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString()
    const cases: Array<[Message, string]> = [
      [await signed(encodeHeartbeat(heartbeat(other))), 'signer-mismatch'],
      [await signed(new TextEncoder().encode('{"v":2}')), 'schema'],
      [await signed(new TextEncoder().encode(JSON.stringify({ ...heartbeat(other), extra: 1 }))), 'schema'],
      [await signed(new TextEncoder().encode('nope')), 'not-json'],
      [await signed(new Uint8Array(5_000)), 'too-large'],
      [{ type: 'unsigned', topic: 't', data: encodeHeartbeat(heartbeat(other)) } as Message, 'unsigned'],
    ]
    for (const [message, reason] of cases) expect(decodeHeartbeat(message)).toEqual({ ok: false, reason })
  })

  it('digests a catalog independently of order, and notices a changed schema', () => {
    const a = { name: 'a', inputSchema: { type: 'object' as const } }
    const b = { name: 'b', inputSchema: { type: 'object' as const } }
    expect(catalogDigest([a, b])).toBe(catalogDigest([b, a]))
    expect(catalogDigest([a, b])).not.toBe(
      catalogDigest([a, { ...b, inputSchema: { type: 'object' as const, required: ['x'] } }]),
    )
  })
})

describe('peer table', () => {
  const table = () => new PeerTable({ intervalMs: 100, suspectAfter: 3, deadAfter: 6, forgetAfterMs: 60_000 })

  it('a new peer appears alive; a silent one goes suspect → dead, and back to alive on the next heartbeat', () => {
    const t = table()
    const states: string[] = []
    t.addEventListener('state', (e) => states.push(e.detail.state))
    t.onHeartbeat(heartbeat('p1', 1), 1_000)
    t.tick(1_250)
    expect(t.get('p1')?.state).toBe('alive')
    t.tick(1_300)
    expect(t.get('p1')?.state).toBe('suspect')
    t.tick(1_600)
    expect(t.get('p1')?.state).toBe('dead')
    t.onHeartbeat(heartbeat('p1', 2), 1_700)
    expect(t.get('p1')?.state).toBe('alive')
    expect(states).toEqual(['alive', 'suspect', 'dead', 'alive']) // appeared, went silent, came back
  })

  it('forgets a peer that stayed dead for forgetAfterMs, and takes it back when it returns', () => {
    const t = table()
    const forgotten: string[] = []
    t.addEventListener('forget', (e) => forgotten.push(e.detail.peerId))
    t.onHeartbeat(heartbeat('gone', 1), 1_000)
    t.onHeartbeat(heartbeat('here', 1), 1_000)
    t.tick(2_000)
    expect(t.get('gone')?.state).toBe('dead')
    t.onHeartbeat(heartbeat('here', 2), 60_900)
    t.tick(60_999) // dead, but not yet for a minute
    expect(t.get('gone')?.state).toBe('dead')
    expect(forgotten).toEqual([])
    t.tick(61_000)
    expect(t.get('gone')).toBeUndefined()
    expect(t.get('here')?.state).toBe('alive')
    expect(forgotten).toEqual(['gone'])
    expect(t.list().map((p) => p.peerId)).toEqual(['here'])
    // a churning mesh: a thousand peers come and go, the table holds only the live one
    for (let i = 0; i < 1_000; i++) t.onHeartbeat(heartbeat(`churn${i}`, 1), 61_000 + i)
    t.onHeartbeat(heartbeat('here', 3), 200_000)
    t.tick(200_000)
    expect(t.list().map((p) => p.peerId)).toEqual(['here'])
    t.onHeartbeat(heartbeat('gone', 1), 200_001)
    expect(t.get('gone')?.state).toBe('alive')
  })

  it('judges a peer by the period it announces (a large mesh stretches periods)', () => {
    const t = table()
    t.onHeartbeat({ ...heartbeat('slow', 1), periodMs: 400 }, 1_000)
    t.onHeartbeat({ ...heartbeat('fast', 1), periodMs: 10 }, 1_000) // never shorter than our interval
    t.tick(1_350) // 3.5 of our intervals
    expect(t.get('slow')?.state).toBe('alive')
    expect(t.get('fast')?.state).toBe('suspect')
    t.tick(2_200) // 3 of its periods
    expect(t.get('slow')?.state).toBe('suspect')
    t.tick(3_400) // 6 of its periods
    expect(t.get('slow')?.state).toBe('dead')
    expect(t.liveCount).toBe(0)
  })

  it('ignores a replayed heartbeat, but takes a restarted node whose sequence starts again', () => {
    const t = table()
    expect(t.onHeartbeat(heartbeat('p1', 5), 1_000)).toBe(true)
    expect(t.onHeartbeat(heartbeat('p1', 5), 1_050)).toBe(false)
    expect(t.onHeartbeat(heartbeat('p1', 0), 1_500)).toBe(true)
  })

  it('asks for a catalog pull when the digest differs, and lists providers of alive peers only', () => {
    const t = table()
    const stale: string[] = []
    t.addEventListener('catalog-stale', (e) => stale.push(e.detail.peerId))
    t.onHeartbeat(heartbeat('p1', 1, 'b'.repeat(32)), 1_000)
    expect(stale).toEqual(['p1'])
    t.setCatalog('p1', [{ name: 'x', inputSchema: { type: 'object' } }], 'b'.repeat(32))
    t.onHeartbeat(heartbeat('p1', 2, 'b'.repeat(32)), 1_100)
    expect(stale).toEqual(['p1'])
    expect(t.providers('x').map((p) => p.peerId)).toEqual(['p1'])
    expect([...t.serving('x')]).toEqual(['p1'])
    // the DHT advertiser counts a suspect peer as serving still, a dead one no more
    t.tick(1_450)
    expect(t.get('p1')?.state).toBe('suspect')
    expect(t.providers('x')).toEqual([])
    expect([...t.serving('x')]).toEqual(['p1'])
    t.tick(2_000)
    expect(t.get('p1')?.state).toBe('dead')
    expect([...t.serving('x')]).toEqual([])
  })
})

describe('DHT keys', () => {
  it('is the CIDv1 (raw, sha2-256) of cord/tool/<name>, as protocols/kad.md says', async () => {
    const { toolKey } = await import('../../../src/discovery/dht.ts')
    expect((await toolKey('echo')).toString()).toBe(
      'bafkreiffllrio2akbj6ehk2azepzml4sdz3qdcrj3guonaa5grro4m64g4',
    )
  })
})
