/**
 * An MCP SDK `Transport` over one libp2p stream of `/cord/mcp/1.0.0`: each JSON-RPC message is one
 * length-prefixed frame (unsigned varint length, then UTF-8 JSON). The SDK's `Client` and `Server`
 * run over it unchanged.
 */
import type { Stream } from '@libp2p/interface'
import { type LengthPrefixedStream, lpStream } from '@libp2p/utils'
import type { Transport, TransportSendOptions } from '@modelcontextprotocol/sdk/shared/transport.js'
import { ErrorCode, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js'
import { MAX_PROTOCOL_ERRORS_PER_STREAM } from '../constants.ts'
import type { Logger } from '../logger.ts'
import { afterNotificationHandlers } from '../util/async.ts'
import { FrameTooLargeError, TransportClosedError } from './errors.ts'
import { decodeFrame, encodeMessage, errorResponse, type FrameError } from './frame.ts'

/** Settings of a stream transport. */
export interface StreamTransportInit {
  /** Largest frame accepted or sent, in bytes. */
  maxFrameBytes: number
  /** Malformed frames tolerated before the stream is reset. */
  maxProtocolErrors?: number
  /** A logger bound to the remote peer. */
  log?: Logger
}

/** How long a graceful close may take before the stream is reset. */
const CLOSE_TIMEOUT_MS = 2_000

/** A `Transport` over a libp2p stream. */
export class StreamTransport implements Transport {
  onclose?: () => void
  onerror?: (error: Error) => void
  onmessage?: (message: JSONRPCMessage) => void

  readonly stream: Stream
  private readonly lp: LengthPrefixedStream<Stream>
  private readonly maxFrameBytes: number
  private readonly maxProtocolErrors: number
  private readonly log?: Logger
  private started = false
  private closed = false
  private protocolErrors = 0

  constructor(stream: Stream, init: StreamTransportInit) {
    this.stream = stream
    this.maxFrameBytes = init.maxFrameBytes
    this.maxProtocolErrors = init.maxProtocolErrors ?? MAX_PROTOCOL_ERRORS_PER_STREAM
    this.log = init.log
    // Room for a whole frame plus the next one being pipelined behind it; past that the stream is reset.
    this.lp = lpStream(stream, {
      maxDataLength: init.maxFrameBytes,
      maxBufferSize: 2 * init.maxFrameBytes + 64,
    })
  }

  /** Whether the transport is closed (by either side). */
  get isClosed(): boolean {
    return this.closed
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('StreamTransport already started')
    this.started = true
    void this.readLoop()
  }

  async send(message: JSONRPCMessage, _options?: TransportSendOptions): Promise<void> {
    if (this.closed) throw new TransportClosedError('the MCP stream is closed')
    let bytes = encodeMessage(message)
    if (bytes.byteLength > this.maxFrameBytes) {
      const tooLarge = `message of ${bytes.byteLength} bytes exceeds the frame limit of ${this.maxFrameBytes} bytes`
      // A response that is too large becomes an error response, so the caller learns why at once.
      if (!('id' in message) || 'method' in message) throw new FrameTooLargeError(tooLarge)
      bytes = encodeMessage(
        errorResponse(message.id ?? null, ErrorCode.InternalError, `Result too large: ${tooLarge}`),
      )
    }
    try {
      await this.lp.write(bytes)
    } catch (err) {
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

  private async readLoop(): Promise<void> {
    try {
      while (!this.closed) {
        const frame = await this.lp.read()
        const decoded = decodeFrame(frame)
        if (!decoded.ok) {
          await this.onBadFrame(decoded.error)
          continue
        }
        this.onmessage?.(decoded.message)
        if ('method' in decoded.message && !('id' in decoded.message)) await afterNotificationHandlers()
      }
    } catch (err) {
      this.onReadError(err as Error)
    } finally {
      void this.close()
    }
  }

  private onReadError(err: Error): void {
    if (this.closed) return
    if (err.name === 'InvalidDataLengthError' || err.name === 'StreamBufferError') {
      const tooLarge = new FrameTooLargeError(
        `inbound frame exceeds the frame limit of ${this.maxFrameBytes} bytes`,
      )
      this.log?.warn('resetting MCP stream: %s', tooLarge.message)
      this.onerror?.(tooLarge)
      this.abort(tooLarge)
      return
    }
    // A clean end of stream (the remote closed its side) is no error.
    if (err.name !== 'UnexpectedEOFError') this.log?.debug({ err }, 'MCP stream ended')
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
