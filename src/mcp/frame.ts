/**
 * The frames of `/cord/mcp/1.0.0`: an unsigned-varint length, then one JSON-RPC 2.0 message as UTF-8
 * JSON. This file turns messages into frames, splits a byte stream into frames, and turns frame
 * payloads into checked messages. It is on the path of every call: one buffer per outgoing frame, no
 * exception for a chunk that ends mid-frame, no copy of a payload that arrived in one piece.
 */
import { Buffer, isUtf8 } from 'node:buffer'
import { ErrorCode, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js'
import * as varint from 'uint8-varint'
import { Uint8ArrayList } from 'uint8arraylist'
import { FrameTooLargeError } from '../errors.ts'

/** The JSON-RPC error to answer a frame that is not a valid message with. */
export interface FrameError {
  code: number
  message: string
  /** The request id, when the frame was a request with a readable id. */
  id: RequestId | null
  /**
   * Whether to answer the frame. A frame that looks like a response (it has `result` or `error`) is
   * never answered: two peers must not trade error responses forever.
   */
  reply: boolean
}

/** A decoded frame: a valid message, or the error to answer it with. */
export type DecodedFrame = { ok: true; message: JSONRPCMessage } | { ok: false; error: FrameError }

/** Encodes a message as a frame payload (UTF-8 JSON, without the length). */
export function encodeMessage(message: JSONRPCMessage): Uint8Array {
  return Buffer.from(JSON.stringify(message), 'utf8')
}

/** A whole frame, length and payload in one buffer. */
export interface EncodedFrame {
  frame: Uint8Array
  /** Bytes of the payload (the frame without its length). */
  payloadBytes: number
}

/** Encodes a message as a whole frame: its length, then its payload, in one buffer. */
export function encodeFrame(message: JSONRPCMessage): EncodedFrame {
  const json = JSON.stringify(message)
  const payloadBytes = Buffer.byteLength(json, 'utf8')
  const prefix = varint.encodingLength(payloadBytes)
  const frame = Buffer.allocUnsafe(prefix + payloadBytes)
  varint.encodeUint8Array(payloadBytes, frame)
  frame.write(json, prefix, 'utf8')
  return { frame, payloadBytes }
}

/** The longest length prefix read (an unsigned varint of up to 2^63). */
const MAX_LENGTH_BYTES = 9

/**
 * Splits a byte stream into frame payloads. Bytes of an unfinished frame wait for the next chunk;
 * a length over `maxFrameBytes`, or more than `maxBufferedBytes` waiting, throws `FrameTooLargeError`.
 */
export class FrameDecoder {
  private readonly buffer = new Uint8ArrayList()
  private readonly maxFrameBytes: number
  private readonly maxBufferedBytes: number

  constructor(maxFrameBytes: number, maxBufferedBytes: number) {
    this.maxFrameBytes = maxFrameBytes
    this.maxBufferedBytes = maxBufferedBytes
  }

  /** The payloads of every frame that `chunk` completes, in order. */
  decode(chunk: Uint8Array | Uint8ArrayList): Uint8Array[] {
    const buffer = this.buffer
    buffer.append(chunk)
    if (buffer.byteLength > this.maxBufferedBytes)
      throw new FrameTooLargeError(`${buffer.byteLength} bytes buffered, over ${this.maxBufferedBytes}`)
    const frames: Uint8Array[] = []
    while (buffer.byteLength > 0) {
      const header = this.readLength()
      if (header == null) break
      const end = header.prefix + header.length
      if (buffer.byteLength < end) break
      frames.push(buffer.subarray(header.prefix, end))
      buffer.consume(end)
    }
    return frames
  }

  /** The length at the start of the buffer and the bytes it takes, or undefined when it is not all there. */
  private readLength(): { length: number; prefix: number } | undefined {
    let length = 0
    let prefix = 0
    for (const chunk of this.buffer) {
      for (let i = 0; i < chunk.byteLength; i++) {
        const byte = chunk[i]!
        length += (byte & 0x7f) * 2 ** (7 * prefix)
        prefix++
        if (length > this.maxFrameBytes || prefix > MAX_LENGTH_BYTES)
          throw new FrameTooLargeError(`frame length over the limit of ${this.maxFrameBytes} bytes`)
        if (byte < 0x80) return { length, prefix }
      }
    }
    return undefined
  }
}

function looksLikeResponse(value: unknown): boolean {
  return typeof value === 'object' && value != null && ('result' in value || 'error' in value)
}

function readableId(value: unknown): RequestId | null {
  if (typeof value !== 'object' || value == null) return null
  const id = (value as { id?: unknown }).id
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null
}

/** Decodes a frame payload: UTF-8, then JSON, then the JSON-RPC 2.0 message schema. */
export function decodeFrame(payload: Uint8Array | Uint8ArrayList): DecodedFrame {
  const bytes = payload.subarray()
  let value: unknown
  try {
    if (!isUtf8(bytes)) throw new Error('the payload is not valid UTF-8')
    const buffer = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
    value = JSON.parse(buffer.toString('utf8'))
  } catch (err) {
    const message = `Parse error: ${(err as Error).message}`
    return { ok: false, error: { code: ErrorCode.ParseError, message, id: null, reply: true } }
  }
  if (!isJsonRpcShape(value)) {
    return {
      ok: false,
      error: {
        code: ErrorCode.InvalidRequest,
        message: 'Invalid Request: not a JSON-RPC 2.0 message',
        id: readableId(value),
        reply: !looksLikeResponse(value),
      },
    }
  }
  return { ok: true, message: value as JSONRPCMessage }
}

/**
 * The envelope of a JSON-RPC 2.0 message: a request or notification (`method` a string, `params` an
 * object if present), or a response (an `id` and a `result` or `error` object). Checked by hand: the
 * MCP SDK validates every message against its full schema again as it dispatches it, and a second
 * full zod pass here cost a tenth of a call's time.
 */
function isJsonRpcShape(value: unknown): boolean {
  if (typeof value !== 'object' || value == null || Array.isArray(value)) return false
  const m = value as Record<string, unknown>
  if (m.jsonrpc !== '2.0') return false
  const idOk =
    m.id === undefined || typeof m.id === 'string' || (typeof m.id === 'number' && Number.isFinite(m.id))
  if (typeof m.method === 'string') return idOk && (m.params === undefined || isObject(m.params))
  return m.id !== undefined && idOk && (isObject(m.result) || isObject(m.error))
}

function isObject(value: unknown): boolean {
  return typeof value === 'object' && value != null && !Array.isArray(value)
}

/** Builds a JSON-RPC error response. */
export function errorResponse(id: RequestId | null, code: number, message: string): JSONRPCMessage {
  // A null id is what JSON-RPC 2.0 prescribes when the request's id could not be read.
  return { jsonrpc: '2.0', id: id as RequestId, error: { code, message } }
}
