/** The ID gossipsub uses to drop duplicate heartbeats before checking their signatures. */
import { describe, expect, it } from 'vitest'
import { fastMessageId } from '../../../src/node/host.ts'

const bytes = (...b: number[]): Uint8Array => Uint8Array.from(b)

describe('fastMessageId', () => {
  it('is the signer and sequence number: the same for copies, different for other messages', () => {
    const copy = { from: bytes(1, 2, 3), seqno: bytes(0, 0, 0, 7), data: bytes(9) }
    expect(fastMessageId(copy)).toBe(fastMessageId({ ...copy, data: bytes(9) }))
    expect(fastMessageId(copy)).not.toBe(fastMessageId({ ...copy, seqno: bytes(0, 0, 0, 8) }))
    expect(fastMessageId(copy)).not.toBe(fastMessageId({ ...copy, from: bytes(1, 2, 4) }))
  })

  it('falls back to a hash of the data when the message is unsigned', () => {
    expect(fastMessageId({ data: bytes(1) })).toBe(fastMessageId({ data: bytes(1) }))
    expect(fastMessageId({ data: bytes(1) })).not.toBe(fastMessageId({ data: bytes(2) }))
    expect(fastMessageId({})).toMatch(/^h:/)
  })
})
