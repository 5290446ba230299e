/**
 * The ID of one call across the mesh. It is made where the call enters the mesh (the gateway, the
 * API's or the CLI's `callTool`) unless the request brings one, travels in `_meta["cord/callId"]` on
 * every hop, and shows on the log lines of every node the call crosses, on its spans
 * (`cord.call_id`) and in the message of an error that fails it.
 */
import { randomUUID } from 'node:crypto'
import { CordError } from '../errors.ts'

/** `_meta` key of a request that carries its call ID. */
export const CALL_ID_META = 'cord/callId'

/** What a call ID may be when it comes from outside: it goes into log lines and error messages as it is. */
const CALL_ID_PATTERN = /^[A-Za-z0-9._:-]{1,64}$/

/** A new call ID: 16 hex digits (a random UUID's, less its fixed version nibble). */
export function newCallId(): string {
  const u = randomUUID()
  return u.slice(0, 8) + u.slice(9, 13) + u.slice(19, 23)
}

/** The call ID a request's `_meta` carries, when it is one (1–64 letters, digits, `.`, `_`, `:`, `-`). */
export function callIdOf(meta: Record<string, unknown> | undefined): string | undefined {
  const id = meta?.[CALL_ID_META]
  return typeof id === 'string' && CALL_ID_PATTERN.test(id) ? id : undefined
}

/**
 * `err`, saying which call it failed: a Cord error gets ` (call <id>)` at the end of its message and
 * `callId` set. The error is copied, not changed: one error may fail several calls at once (the
 * node's stop). Other errors (a caller's own abort reason) are returned as they are.
 */
export function withCallId(err: unknown, callId: string): unknown {
  if (!(err instanceof CordError) || err.callId != null) return err
  const copy = Object.create(Object.getPrototypeOf(err) as object) as CordError
  Object.assign(copy, err)
  const message = `${err.message} (call ${callId})`
  Object.defineProperty(copy, 'message', { value: message, writable: true, configurable: true })
  if (err.cause !== undefined)
    Object.defineProperty(copy, 'cause', { value: err.cause, writable: true, configurable: true })
  copy.stack = err.stack?.replace(err.message, message) ?? `${err.name}: ${message}`
  copy.callId = callId
  return copy
}
