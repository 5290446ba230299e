/**
 * Frames of /cord/mcp/1.0.0: whole frames in one buffer, and a decoder that splits any chunking of a
 * byte stream back into the same payloads.
 */
import { Uint8ArrayList } from 'uint8arraylist'
import { describe, expect, it } from 'vitest'
import { decodeFrame, encodeFrame, FrameDecoder } from '../../../src/mcp/frame.ts'

const message = (i: number, text = 'x') => ({
  jsonrpc: '2.0' as const,
  id: i,
  method: 'ping',
  params: { text },
})

/** Every frame of `messages` back to back, as one byte array. */
function stream(messages: Array<ReturnType<typeof message>>): Uint8Array {
  const parts = messages.map((m) => encodeFrame(m).frame)
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}

const decoded = (payloads: Uint8Array[]): unknown[] =>
  payloads.map((p) => {
    const d = decodeFrame(p)
    return d.ok ? d.message : d.error
  })

describe('encodeFrame', () => {
  it('puts the varint length of the UTF-8 payload before it, in one buffer', () => {
    const m = message(1, 'é'.repeat(100))
    const { frame, payloadBytes } = encodeFrame(m)
    const json = new TextEncoder().encode(JSON.stringify(m))
    expect(payloadBytes).toBe(json.length)
    expect(json.length).toBeGreaterThan(127) // a two-byte length
    expect([...frame.subarray(0, 2)]).toEqual([(json.length & 0x7f) | 0x80, json.length >> 7])
    expect([...frame.subarray(2)]).toEqual([...json])
  })
})

describe('FrameDecoder', () => {
  const messages = [message(1), message(2, 'y'.repeat(300)), message(3, 'ü')]
  const bytes = stream(messages)

  it('yields every frame of one chunk, in order', () => {
    expect(decoded(new FrameDecoder(1024, 4096).decode(bytes))).toEqual(messages)
  })

  it('yields the same frames however the stream is cut, also inside a length or a character', () => {
    for (const size of [1, 2, 3, 7, 64, 130]) {
      const decoder = new FrameDecoder(1024, 4096)
      const out: Uint8Array[] = []
      for (let at = 0; at < bytes.length; at += size)
        out.push(...decoder.decode(bytes.subarray(at, at + size)))
      expect(decoded(out), `chunks of ${size} bytes`).toEqual(messages)
    }
  })

  it('takes chunks as Uint8ArrayLists', () => {
    const list = new Uint8ArrayList(bytes.subarray(0, 5), bytes.subarray(5))
    expect(decoded(new FrameDecoder(1024, 4096).decode(list))).toEqual(messages)
  })

  it('refuses a length over the limit as soon as the length is read', () => {
    const decoder = new FrameDecoder(100, 4096)
    expect(decoder.decode(new Uint8Array([0x80]))).toEqual([]) // an unfinished length: wait
    expect(() => decoder.decode(new Uint8Array([0x01]))).toThrow(/over the limit of 100 bytes/) // 128
  })

  it('refuses a length that never ends, and more bytes buffered than allowed', () => {
    expect(() => new FrameDecoder(1 << 30, 4096).decode(new Uint8Array(12).fill(0x80))).toThrow(
      expect.objectContaining({ name: 'FrameTooLargeError' }),
    )
    const decoder = new FrameDecoder(1000, 50)
    expect(() => decoder.decode(new Uint8Array([0xe8, 0x07, ...new Uint8Array(49)]))).toThrow(
      expect.objectContaining({ name: 'FrameTooLargeError' }),
    )
  })
})
