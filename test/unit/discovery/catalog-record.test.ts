/** Catalog records: signing and verifying, and what a shared record may carry under access rules. */
import { generateKeyPair } from '@libp2p/crypto/keys'
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import { describe, expect, it } from 'vitest'
import { AccessPolicy } from '../../../src/admission/acl.ts'
import { decodeRecord, pullsOwnList, shareable, signRecord } from '../../../src/discovery/catalog-record.ts'

const tool = (name: string): Tool => ({ name, inputSchema: { type: 'object', properties: {} } })
const TOOLS = [tool('open'), tool('secret'), tool('hidden')]

describe('catalog records', () => {
  it('verifies a record signed by the peer it names, and rejects a forged or altered one', async () => {
    const key = await generateKeyPair('Ed25519')
    const peerId = peerIdFromPrivateKey(key).toString()
    const unsigned = { v: 1 as const, peerId, digest: 'a'.repeat(32), seq: 1, tools: [tool('x')] }
    const { bytes } = await signRecord(unsigned, key)
    expect((await decodeRecord(bytes, peerId)).ok).toBe(true)
    const other = await generateKeyPair('Ed25519')
    const forged = await signRecord(unsigned, other)
    expect(await decodeRecord(forged.bytes)).toMatchObject({ ok: false, reason: 'signature' })
    expect(await decodeRecord(bytes, peerIdFromPrivateKey(other).toString())).toMatchObject({
      ok: false,
      reason: 'signer-mismatch',
    })
    const altered = new TextEncoder().encode(new TextDecoder().decode(bytes).replace('"x"', '"y"'))
    expect(await decodeRecord(altered)).toMatchObject({ ok: false, reason: 'signature' })
    expect(await decodeRecord(new TextEncoder().encode('{"v":1}'))).toMatchObject({
      ok: false,
      reason: 'schema',
    })
  })

  it('shares what every caller sees; names the peers that see more; never a hidden tool', () => {
    const policy = new AccessPolicy(
      [
        { peers: ['A'], tools: ['secret'], action: 'allow' },
        { peers: ['*'], tools: ['secret', 'hidden'], action: 'deny' },
      ],
      'allow',
    )
    const shared = shareable(TOOLS, policy)
    expect(shared.tools.map((t) => t.name)).toEqual(['open'])
    expect(shared.restrictedFor).toEqual(['A'])
    expect(shareable(TOOLS, new AccessPolicy([], 'allow'))).toEqual({ tools: TOOLS })
  })

  it('asks every peer to pull its own list when one named peer sees less than a stranger', () => {
    const policy = new AccessPolicy([{ peers: ['B'], tools: ['secret'], action: 'deny' }], 'allow')
    const shared = shareable(TOOLS, policy)
    expect(shared.tools.map((t) => t.name)).toEqual(['open', 'hidden'])
    expect(shared.restrictedFor).toEqual(['*'])
    const record = { v: 1 as const, peerId: 'p', digest: 'a'.repeat(32), seq: 1, sig: '', ...shared }
    expect(pullsOwnList(record, 'anyone')).toBe(true)
  })
})
