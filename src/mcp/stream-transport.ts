/**
 * An MCP SDK `Transport` over one libp2p stream of `/cord/mcp/1.0.0`: each JSON-RPC message is one
 * length-prefixed frame (unsigned varint length, then UTF-8 JSON). The SDK's `Client` and `Server`
 * run over it unchanged.
 */
import type { Stream } from '@libp2p/interface'
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js'
import { ErrorCode, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { Uint8ArrayList } from 'uint8arraylist'
import { MAX_PROTOCOL_ERRORS_PER_STREAM } from '../constants.ts'
import { FrameTooLargeError, TransportClosedError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { afterNotificationHandlers } from '../util/async.ts'
import { decodeFrame, encodeFrame, errorResponse, FrameDecoder, type FrameError } from './frame.ts'
import { RelatedRequests, type Role } from './related.ts'

/** Settings of a stream transport. */
export interface StreamTransportInit {
  /** Largest frame accepted or sent, in bytes. */
  maxFrameBytes: number
  /** Malformed frames tolerated before the stream is reset. */
  maxProtocolErrors?: number
  /** A logger bound to the remote peer. */
  log?: Logger
  /**
   * Bytes waiting to be sent to a peer that does not read them (its window is full) before the
   * stream is reset: a stalled reader cannot make the node buffer without bound. Default 4 frames.
   */
  maxQueuedBytes?: number
  /** Which end of the session this is: requests that belong to a call are carried accordingly (related.ts). */
  role: Role
}

/** Decoded frames waiting for delivery before the stream is paused. */
const MAX_QUEUED_FRAMES = 256

/** How long a graceful close may take before the stream is reset. */
const CLOSE_TIMEOUT_MS = 2_000

/** A `Transport` over a libp2p stream. */
export class StreamTransport implements Transport {
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: (message: JSONRPCMessage) => void

  readonly stream: Stream
  private readonly decoder: FrameDecoder
  private readonly inbox: Uint8Array[] = []
  private delivering = false
  private remoteDone = false
  private readonly maxFrameBytes: number
  private readonly maxProtocolErrors: number
  private readonly log?: Logger
  private started = false
  private closed = false
  private protocolErrors = 0
  private pending: Uint8Array[] = []
  private flush?: Promise<void>
  private draining?: Promise<void>
  private queuedBytes = 0
  private readonly maxQueuedBytes: number
  private readonly related: RelatedRequests

  constructor(stream: Stream, init: StreamTransportInit) {
    this.stream = stream
    this.maxFrameBytes = init.maxFrameBytes
    this.maxProtocolErrors = init.maxProtocolErrors ?? MAX_PROTOCOL_ERRORS_PER_STREAM
    this.maxQueuedBytes = init.maxQueuedBytes ?? 4 * init.maxFrameBytes
    this.log = init.log
    this.related = new RelatedRequests(init.role)
    // Room for a whole frame plus the next one behind it; past that the stream is reset.
    this.decoder = new FrameDecoder(init.maxFrameBytes, 2 * init.maxFrameBytes + 64)
  }

  /** Whether the transport is closed (by either side). */
  get isClosed(): boolean {
    return this.closed
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('StreamTransport already started')
    this.started = true
    this.stream.addEventListener('message', (evt) => this.onData(evt.data))
    this.stream.addEventListener('remoteCloseWrite', () => {
      this.remoteDone = true
      void this.deliver()
    })
    this.stream.addEventListener('close', (evt) => {
      if (evt.error != null) this.log?.debug({ err: evt.error }, 'MCP stream ended')
      this.remoteDone = true
      this.finish()
    })
  }

  async send(message: JSONRPCMessage, options?: TransportSendOptions): Promise<void> {
    if (this.closed) throw new TransportClosedError('the MCP stream is closed')
    let { frame, payloadBytes } = encodeFrame(this.related.outbound(message, options))
    if (payloadBytes > this.maxFrameBytes) {
      const tooLarge = `message of ${payloadBytes} bytes exceeds the frame limit of ${this.maxFrameBytes} bytes`
      // A response that is too large becomes an error response, so the caller learns why at once.
      if (!('id' in message) || 'method' in message) throw new FrameTooLargeError(tooLarge)
      ;({ frame } = encodeFrame(
        errorResponse(message.id ?? null, ErrorCode.InternalError, `Result too large: ${tooLarge}`),
      ))
    }
    this.queuedBytes += frame.byteLength
    if (this.draining != null && this.queuedBytes > this.maxQueuedBytes) {
      const reason = `the peer does not read: ${this.queuedBytes} bytes queued for it, over the limit of ${this.maxQueuedBytes}`
      this.log?.warn(reason)
      this.abort(new TransportClosedError(reason))
      throw new TransportClosedError(reason)
    }
    this.pending.push(frame)
    this.flush ??= this.flushSoon()
    return this.flush
  }

  /**
   * Writes every frame queued in this tick as one chunk: under load, many responses leave together
   * and share one Yamux frame, one Noise seal and one socket write. A new batch waits until the
   * stream has drained the previous one (back-pressure).
   */
  private async flushSoon(): Promise<void> {
    await Promise.resolve()
    try {
      if (this.draining != null) await this.draining
      const chunks = this.pending
      this.pending = []
      this.queuedBytes = 0
      this.flush = undefined
      if (this.closed) throw new Error('closed')
      if (!this.stream.send(chunks.length === 1 ? chunks[0]! : new Uint8ArrayList(...chunks))) {
        const drained: Promise<void> = this.stream.onDrain().finally(() => {
          if (this.draining === drained) this.draining = undefined
        })
        drained.catch(() => {}) // the next batch sees the failure; nobody else need
        this.draining = drained
      }
    } catch (err) {
      this.flush = undefined
      throw new TransportClosedError(`the MCP stream is closed: ${(err as Error).message}`)
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    try {
      await this.stream.close({ signal: AbortSignal.timeout(CLOSE_TIMEOUT_MS) })
    } catch (err) {
      this.stream.abort(err as Error)
    }
    this.onclose?.()
  }

  /** Resets the stream at once (on a protocol violation or at shutdown). */
  abort(err: Error): void {
    if (this.closed) return
    this.closed = true
    this.stream.abort(err)
    this.onclose?.()
  }

  /** Decodes every complete frame of a chunk at once; frames are delivered in order by `deliver`. */
  private onData(data: Uint8Array | Uint8ArrayList): void {
    if (this.closed) return
    try {
      for (const frame of this.decoder.decode(data)) this.inbox.push(frame)
    } catch (err) {
      const tooLarge = new FrameTooLargeError(
        `inbound frame exceeds the frame limit of ${this.maxFrameBytes} bytes`,
      )
      this.log?.warn('resetting MCP stream: %s (%s)', tooLarge.message, (err as Error).message)
      this.onerror?.(tooLarge)
      this.abort(tooLarge)
      return
    }
    // Unprocessed frames pile up only while a handler is slow: stop reading until they are done.
    if (this.inbox.length > MAX_QUEUED_FRAMES) this.stream.pause()
    void this.deliver()
  }

  private async deliver(): Promise<void> {
    if (this.delivering) return
    this.delivering = true
    try {
      for (let frame = this.inbox.shift(); frame != null && !this.closed; frame = this.inbox.shift()) {
        const decoded = decodeFrame(frame)
        if (!decoded.ok) {
          await this.onBadFrame(decoded.error)
          continue
        }
        this.onmessage?.(this.related.inbound(decoded.message))
        if ('method' in decoded.message && !('id' in decoded.message)) await afterNotificationHandlers()
      }
      if (this.stream.readStatus === 'paused') this.stream.resume()
      // The remote has closed its side and everything it sent is delivered: close ours too.
      if (this.remoteDone && this.inbox.length === 0) void this.close()
    } finally {
      this.delivering = false
    }
  }

  /** The stream is gone: tell the SDK once. */
  private finish(): void {
    if (this.closed) return
    this.closed = true
    this.onclose?.()
  }

  private async onBadFrame(error: FrameError): Promise<void> {
    this.protocolErrors++
    this.log?.debug({ code: error.code }, 'malformed MCP frame: %s', error.message)
    if (this.protocolErrors > this.maxProtocolErrors) {
      this.abort(new Error(`too many malformed frames (${this.protocolErrors})`))
      return
    }
    if (error.reply) await this.send(errorResponse(error.id, error.code, error.message)).catch(() => {})
  }
}
