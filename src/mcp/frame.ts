/**
 * The payload of one `/cord/mcp/1.0.0` frame: one JSON-RPC 2.0 message as UTF-8 JSON. Length
 * prefixing is done by `lpStream`; this file turns bytes into checked messages and back.
 */
import { ErrorCode, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js'
import type { Uint8ArrayList } from 'uint8arraylist'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

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

/** Encodes a message as a frame payload. */
export function encodeMessage(message: JSONRPCMessage): Uint8Array {
  return encoder.encode(JSON.stringify(message))
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
export function decodeFrame(bytes: Uint8Array | Uint8ArrayList): DecodedFrame {
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(bytes.subarray()))
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
