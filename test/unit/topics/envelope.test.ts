import { describe, expect, it } from 'vitest'
import { decodeEnvelope, encodeData, encodeEnvelope } from '../../../src/topics/envelope.ts'
import { checkTopicName, gossipTopic, topicName } from '../../../src/topics/names.ts'

const head = { v: 1 as const, topic: 't', from: '12D3KooWx', session: '0123456789abcdef', seq: 3, ts: 5 }

describe('topic envelope', () => {
  it('round-trips any JSON value, measured as UTF-8 JSON', () => {
    for (const data of [{ a: [1, 'é'] }, 'text', 7, null, [true]]) {
      const bytes = encodeEnvelope(head, encodeData(data, 100))
      expect(decodeEnvelope(bytes, 100)).toEqual({ ok: true, envelope: { ...head, data } })
    }
    expect(() => encodeData('é'.repeat(50), 100)).toThrow(/102 bytes of JSON, over the limit of 100 bytes/)
    expect(() => encodeData(undefined, 100)).toThrow(
      expect.objectContaining({ name: 'MessageTooLargeError' }),
    )
    expect(() => encodeData(10n, 100)).toThrow(/not JSON/)
  })

  it('says why bytes are not an envelope', () => {
    const text = (v: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(v))
    expect(decodeEnvelope(new Uint8Array(2000), 100)).toMatchObject({ ok: false, reason: 'size' })
    expect(decodeEnvelope(new TextEncoder().encode('{'), 100)).toMatchObject({ ok: false, reason: 'json' })
    expect(decodeEnvelope(new Uint8Array([0xff]), 100)).toMatchObject({ ok: false, reason: 'json' })
    for (const bad of [
      { ...head },
      { ...head, data: 1, x: 1 },
      { ...head, seq: 0, data: 1 },
      { ...head, v: 2, data: 1 },
    ])
      expect(decodeEnvelope(text(bad), 100)).toMatchObject({ ok: false, reason: 'schema' })
  })

  it('checks topic names and maps them to gossipsub topics', () => {
    expect(checkTopicName('leads/eu.west_1-a')).toBe('leads/eu.west_1-a')
    for (const bad of ['', 'a b', 'é', 'x'.repeat(129), 7])
      expect(() => checkTopicName(bad)).toThrow(/invalid topic name/)
    expect(gossipTopic('jobs')).toBe('cord/topic/1/jobs')
    expect(topicName('cord/topic/1/jobs')).toBe('jobs')
    expect(topicName('cord/heartbeat/1')).toBeUndefined()
    expect(topicName('cord/topic/1/bad name')).toBeUndefined()
  })
})
