/**
 * Direct messages on `/cord/msg/1.0.0` (see protocols/msg.md): the sender opens a stream, writes one
 * length-prefixed frame (the envelope, without a topic), the receiver hands it to its handlers and
 * answers with one acknowledgement frame, and both close. The sender waits for the acknowledgement
 * within a deadline: an acknowledged message reached the receiver's handlers.
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { ENVELOPE_OVERHEAD_BYTES, MAX_MSG_INBOUND_STREAMS, MSG_PROTOCOL } from '../constants.ts'
import { CallTimeoutError, MessageRefusedError, PeerUnreachableError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { callDeadline } from '../util/deadline.ts'
import { decodeEnvelope, type Envelope, encodeData, encodeEnvelope } from './envelope.ts'
import type { DirectMessage, MessageHandler, SendOptions, TopicsStatus } from './types.ts'

/** Largest acknowledgement frame. */
const MAX_ACK_BYTES = 4 * 1024

/** The acknowledgement frame. */
type Ack = { ok: true } | { ok: false; error: { name: string; message: string } }

/** What the messenger needs. */
export interface MessengerComponents {
  libp2p: Libp2p
  log: Logger
  /** The peer of a target: a peer ID, an alias, or a full multiaddr (which it dials). */
  resolve: (target: string, signal: AbortSignal) => Promise<PeerId>
}

/** Settings of the messenger. */
export interface MessengerInit {
  maxMessageBytes: number
  sendTimeoutMs: number
  /** This run of the node (the topics part's session). */
  session: string
}

/** What `send()` resolves with. */
export interface SendResult {
  /** The receiver's peer ID. */
  peer: string
  /** The message's sequence number. */
  seq: number
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Sends and receives direct messages. */
export class Messenger {
  private readonly c: MessengerComponents
  private readonly init: MessengerInit
  private readonly handlers = new Set<MessageHandler>()
  private readonly seqs = new Map<string, number>()
  private stopping = new AbortController()
  private running = false
  readonly stats: TopicsStatus['messages'] = { sent: 0, received: 0, refused: 0 }

  constructor(components: MessengerComponents, init: MessengerInit) {
    this.c = components
    this.init = init
  }

  /** Serves `/cord/msg/1.0.0`. Safe to call twice. */
  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    this.stopping = new AbortController()
    await this.c.libp2p.handle(
      MSG_PROTOCOL,
      (stream, connection) => this.onStream(stream, connection.remotePeer),
      {
        maxInboundStreams: MAX_MSG_INBOUND_STREAMS,
      },
    )
  }

  /** Stops serving and fails the sends in flight. Safe to call twice. */
  async stop(reason: Error): Promise<void> {
    if (!this.running) return
    this.running = false
    this.stopping.abort(reason)
    await this.c.libp2p.unhandle(MSG_PROTOCOL)
  }

  /** Adds a handler of incoming messages; returns a function that removes it. */
  onMessage(handler: MessageHandler): () => void {
    if (typeof handler !== 'function') throw new TypeError('onMessage(handler): handler must be a function')
    this.handlers.add(handler)
    return () => void this.handlers.delete(handler)
  }

  /** Sends `data` to `target` (a peer ID, an alias or a full multiaddr) and waits for its acknowledgement. */
  async send(target: string, data: unknown, options: SendOptions = {}): Promise<SendResult> {
    const json = encodeData(data, this.init.maxMessageBytes)
    const timeout = options.timeout ?? this.init.sendTimeoutMs
    const sources = [this.stopping.signal, ...(options.signal != null ? [options.signal] : [])]
    const deadline = callDeadline(timeout, sources)
    let key = target
    try {
      const peer = await this.c.resolve(target, deadline.signal)
      key = peer.toString()
      const seq = (this.seqs.get(key) ?? 0) + 1
      this.seqs.set(key, seq)
      const self = this.c.libp2p.peerId.toString()
      const head = { v: 1 as const, from: self, session: this.init.session, seq, ts: Date.now() }
      const ack =
        key === self
          ? await this.deliver({ ...head, data: JSON.parse(json) })
          : await this.exchange(peer, encodeEnvelope(head, json), deadline.signal)
      if (!ack.ok) throw new MessageRefusedError(`peer ${key} refused the message: ${ack.error.message}`)
      this.stats.sent++
      return { peer: key, seq }
    } catch (err) {
      if (deadline.timedOut)
        throw new CallTimeoutError(`no acknowledgement from peer ${key} within ${timeout} ms`)
      for (const source of sources) if (source.aborted) throw source.reason
      throw err
    } finally {
      deadline.dispose()
    }
  }

  /** One message out, its acknowledgement back. */
  private async exchange(peer: PeerId, frame: Uint8Array, signal: AbortSignal): Promise<Ack> {
    let stream: Stream
    try {
      stream = await this.c.libp2p.dialProtocol(peer, MSG_PROTOCOL, { signal })
    } catch (err) {
      if (signal.aborted) throw err
      throw new PeerUnreachableError(`cannot reach peer ${peer}: ${describeDialError(err as Error)}`)
    }
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_ACK_BYTES })
      await lp.write(frame, { signal })
      const ack = parseAck((await lp.read({ signal })).subarray())
      await stream.close({ signal }).catch(() => {})
      return ack
    } catch (err) {
      stream.abort(err as Error)
      if (signal.aborted || err instanceof MessageRefusedError) throw err
      throw new PeerUnreachableError(`peer ${peer} closed the message stream: ${(err as Error).message}`)
    }
  }

  private async onStream(stream: Stream, remote: PeerId): Promise<void> {
    // One timer, held until the end (util/deadline.ts says why not AbortSignal.any with a timeout).
    const deadline = callDeadline(this.init.sendTimeoutMs, [this.stopping.signal])
    const { signal } = deadline
    const lp = lpStream(stream, { maxDataLength: this.init.maxMessageBytes + ENVELOPE_OVERHEAD_BYTES })
    try {
      const decoded = decodeEnvelope((await lp.read({ signal })).subarray(), this.init.maxMessageBytes)
      let ack: Ack
      if (!decoded.ok) ack = refusal(`invalid message (${decoded.reason}: ${decoded.detail})`)
      else if (decoded.envelope.from !== remote.toString() || decoded.envelope.topic != null)
        ack = refusal('the envelope does not name the sending peer, or names a topic')
      else ack = await this.deliver(decoded.envelope)
      await lp.write(encoder.encode(JSON.stringify(ack)), { signal })
      await stream.close({ signal })
    } catch (err) {
      this.c.log.debug(
        { peer: remote.toString(), err: (err as Error).message },
        'direct message stream failed',
      )
      stream.abort(err as Error)
    }
  }

  /** Hands a message to the handlers; their failure refuses it. */
  private async deliver(envelope: Envelope): Promise<Ack> {
    if (this.handlers.size === 0) {
      this.stats.refused++
      return refusal('it takes no direct messages (no onMessage handler)')
    }
    const message: DirectMessage = {
      from: envelope.from,
      seq: envelope.seq,
      timestamp: envelope.ts,
      data: envelope.data,
    }
    try {
      await Promise.all([...this.handlers].map(async (handler) => handler(message)))
    } catch (err) {
      this.stats.refused++
      return refusal(`its handler failed: ${(err as Error)?.message ?? String(err)}`)
    }
    this.stats.received++
    return { ok: true }
  }
}

function refusal(message: string): Ack {
  return { ok: false, error: { name: 'MessageRefusedError', message } }
}

function parseAck(bytes: Uint8Array): Ack {
  const value = JSON.parse(decoder.decode(bytes)) as Partial<{ ok: boolean; error: { message?: unknown } }>
  if (value.ok === true) return { ok: true }
  const message =
    typeof value.error?.message === 'string' ? value.error.message.slice(0, 500) : 'no reason given'
  return { ok: false, error: { name: 'MessageRefusedError', message } }
}

function describeDialError(err: Error): string {
  if (err.name === 'NoValidAddressesError') return 'no known address for this peer (is it connected?)'
  return err.message
}
