/**
 * The envelope of a topic message and of a direct message: who published it, the publisher's
 * session and sequence number, when, and the data (any JSON value). UTF-8 JSON on the wire; checked
 * with a zod schema at the edge (see protocols/topics.md and protocols/msg.md).
 */
import { z } from 'zod'
import { ENVELOPE_OVERHEAD_BYTES, MAX_TOPIC_NAME_LENGTH } from '../constants.ts'
import { MessageTooLargeError } from '../errors.ts'

/** The envelope's schema, version 1. `topic` is absent in direct messages. */
export const envelopeSchema = z.strictObject({
  v: z.literal(1),
  topic: z.string().min(1).max(MAX_TOPIC_NAME_LENGTH).optional(),
  from: z.string().min(1).max(128),
  session: z.string().regex(/^[0-9a-f]{16}$/),
  seq: z.number().int().positive(),
  ts: z.number().int().nonnegative(),
  data: z.json(),
})

/** A checked envelope. */
export type Envelope = z.output<typeof envelopeSchema>

/** Why a received message was rejected. */
export type RejectReason = 'size' | 'json' | 'schema' | 'signer' | 'topic' | 'forbidden'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/**
 * The UTF-8 JSON of `data`, refused with `MessageTooLargeError` when it is over `maxBytes` or is not
 * a JSON value.
 */
export function encodeData(data: unknown, maxBytes: number): string {
  let text: string | undefined
  try {
    text = JSON.stringify(data)
  } catch (err) {
    throw new MessageTooLargeError(`message data is not JSON: ${(err as Error).message}`)
  }
  if (text === undefined)
    throw new MessageTooLargeError(`message data is not a JSON value (got ${typeof data})`)
  const size = Buffer.byteLength(text)
  if (size > maxBytes)
    throw new MessageTooLargeError(
      `message data is ${size} bytes of JSON, over the limit of ${maxBytes} bytes ([topics] max_message_bytes)`,
    )
  return text
}

/** Encodes an envelope whose data is already JSON text (from `encodeData`). */
export function encodeEnvelope(head: Omit<Envelope, 'data'>, dataJson: string): Uint8Array {
  // The data is spliced in as the JSON it was measured as, not stringified a second time.
  const prefix = JSON.stringify(head).slice(0, -1)
  return encoder.encode(`${prefix},"data":${dataJson}}`)
}

/** A decoded envelope, or why it is not one. */
export type Decoded = { ok: true; envelope: Envelope } | { ok: false; reason: RejectReason; detail: string }

/** Decodes and checks an envelope of at most `maxDataBytes` of data plus the envelope's own room. */
export function decodeEnvelope(bytes: Uint8Array, maxDataBytes: number): Decoded {
  if (bytes.byteLength > maxDataBytes + ENVELOPE_OVERHEAD_BYTES)
    return { ok: false, reason: 'size', detail: `${bytes.byteLength} bytes` }
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(bytes))
  } catch (err) {
    return { ok: false, reason: 'json', detail: (err as Error).message }
  }
  const parsed = envelopeSchema.safeParse(value)
  if (!parsed.success) return { ok: false, reason: 'schema', detail: parsed.error.issues[0]?.message ?? '' }
  return { ok: true, envelope: parsed.data }
}
