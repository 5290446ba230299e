/**
 * Outgoing MCP sessions: one long-lived SDK `Client` per remote peer, over one `/cord/mcp/1.0.0`
 * stream, shared by every call to that peer (the SDK multiplexes requests by JSON-RPC id). A session
 * whose stream breaks leaves the pool; the next call opens a new one.
 */
import { type Libp2p, type PeerId, type Stream, TypedEventEmitter } from '@libp2p/interface'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js'
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js'
import {
  type LoggingLevel,
  type LoggingMessageNotification,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  type Tool,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js'
import { DIAL_TIMEOUT_MS, MCP_PROTOCOL, NO_SDK_TIMEOUT, VERSION } from '../constants.ts'
import { PeerUnreachableError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { raceSignal } from '../util/async.ts'
import { callDeadline } from '../util/deadline.ts'
import { type BackRequests, CLIENT_CAPABILITIES } from './client-handlers.ts'
import { advertisedFlow, CallWindow } from './flow.ts'
import { listAll } from './paging.ts'
import { RelatedTransport } from './related.ts'
import { StreamTransport } from './stream-transport.ts'

/** An open MCP session to one peer. */
export interface Session {
  peer: string
  client: Client
  /** Keeps tool calls within the limits the peer advertised (see flow.ts). */
  window: CallWindow
}

/** What the pool needs from the node. */
export interface SessionPoolComponents {
  libp2p: Libp2p
  log: Logger
  /** Serves a session to this node itself (a call whose target is this node). */
  serveLocal: (transport: Transport) => Promise<void>
  /** Settles when the dials the node made at start (its bootstrap peers) have ended. */
  joining: () => Promise<void>
}

/** Settings of the pool. */
export interface SessionPoolInit {
  alias: string
  maxFrameBytes: number
  /** Answers to requests that remote tools send back (sampling, elicitation, roots). */
  answers: BackRequests
}

/** Events of the pool. */
export interface SessionPoolEvents {
  /** A peer's session says its tool list changed. */
  'tools-changed': CustomEvent<string>
  /** A peer sent a logging message (see `setLogLevel`). */
  'log-message': CustomEvent<{ peer: string; params: LoggingMessageNotification['params'] }>
  /** A resource this node subscribed to at a peer changed (see `subscribed`). */
  'resource-updated': CustomEvent<{ peer: string; uri: string }>
  /** A peer says its resources or prompts changed. */
  'list-changed': CustomEvent<{ peer: string; list: 'resources' | 'prompts' }>
  /** A session to a peer closed without this node closing it: its stream died, or the peer left. */
  'session-lost': CustomEvent<string>
}

/** One MCP client session per remote peer, opened on first use and reopened after it breaks. */
export class SessionPool extends TypedEventEmitter<SessionPoolEvents> {
  private readonly components: SessionPoolComponents
  private readonly init: SessionPoolInit
  private readonly sessions = new Map<string, Promise<Session>>()
  /** Resources this node subscribed to, by peer: subscribed again on each new session to the peer. */
  private readonly subscriptions = new Map<string, Set<string>>()
  /** The sessions of `sessions` that are open: a call on one waits for nothing. */
  private readonly ready = new Map<string, Session>()
  private logLevel?: LoggingLevel
  /** Clients this node is closing itself: their close is no news of the peer. */
  private readonly closing = new WeakSet<Client>()

  constructor(components: SessionPoolComponents, init: SessionPoolInit) {
    super()
    this.components = components
    this.init = init
  }

  /** The open session to `peer`, or a new one. Concurrent callers share one dial. */
  async get(peer: PeerId, signal: AbortSignal): Promise<Session> {
    const key = peer.toString()
    const ready = this.ready.get(key)
    if (ready?.client.transport != null) return ready
    let pending = this.sessions.get(key)
    if (pending == null) {
      const opening = this.open(peer)
      pending = opening
      this.sessions.set(key, opening)
      opening.then(
        (session) => {
          if (this.sessions.get(key) === opening) this.ready.set(key, session)
        },
        () => {
          if (this.sessions.get(key) === opening) this.sessions.delete(key)
        },
      )
    }
    return raceSignal(pending, signal)
  }

  /**
   * Runs `fn` on the pooled session to `peer` when there is one, else on a session of its own that
   * is closed when `fn` ends. Catalog pulls use it: a pull leaves no session behind, so the
   * connection it opened holds no stream of ours and discovery may close it.
   */
  async borrow<T>(peer: PeerId, signal: AbortSignal, fn: (session: Session) => Promise<T>): Promise<T> {
    const pooled = this.sessions.get(peer.toString())
    if (pooled != null) return fn(await raceSignal(pooled, signal))
    const opening = this.open(peer)
    let session: Session
    try {
      session = await raceSignal(opening, signal)
    } catch (err) {
      void opening.then(
        (s) => this.close(s.client),
        () => {},
      )
      throw err
    }
    try {
      return await fn(session)
    } finally {
      await this.close(session.client)
    }
  }

  /**
   * Every page of `peer`'s tools, on a borrowed session (see `borrow`): for catalog pulls. `signal`
   * stops the pull; `timeoutMs` bounds the listing once there is a session. Opening one has its own
   * bound (`DIAL_TIMEOUT_MS`): on a busy host a new connection alone can take longer than a listing
   * should, and a pull given up half-way leaves the next one to start from scratch.
   */
  pullTools(peer: PeerId, signal: AbortSignal, timeoutMs: number): Promise<Tool[]> {
    return this.borrow(peer, signal, async (s) => {
      const deadline = callDeadline(timeoutMs, [signal])
      try {
        return await listAll(
          (cursor) => s.client.listTools({ cursor }, { signal: deadline.signal, timeout: NO_SDK_TIMEOUT }),
          (p) => p.tools,
        )
      } finally {
        deadline.dispose()
      }
    })
  }

  /** Drops and closes the session to `peer`, if any (after a send on it failed, for example). */
  async discard(session: Session): Promise<void> {
    await this.dropIfCurrent(session.peer, session)
    await this.close(session.client)
  }

  /**
   * Asks every peer, now and on each new session, to send its logging messages at `level` and above
   * (undefined: stop asking; sessions opened before keep their level).
   */
  setLogLevel(level: LoggingLevel | undefined): void {
    this.logLevel = level
    if (level == null) return
    for (const pending of this.sessions.values()) {
      void pending.then((s) => s.client.setLoggingLevel(level)).catch(() => {})
    }
  }

  /** Notes that resource `uri` of `peer` is subscribed to (true) or no longer (false). */
  subscribed(peer: string, uri: string, on: boolean): void {
    const uris = this.subscriptions.get(peer) ?? new Set<string>()
    if (on) uris.add(uri)
    else uris.delete(uri)
    if (uris.size > 0) this.subscriptions.set(peer, uris)
    else this.subscriptions.delete(peer)
  }

  /** Whether a session to `peer` is open: a call on it waits for nothing. */
  isOpen(peer: string): boolean {
    return this.ready.get(peer)?.client.transport != null
  }

  /** Peer IDs with an open session. */
  peers(): string[] {
    return [...this.sessions.keys()]
  }

  /** Closes every session. */
  async closeAll(): Promise<void> {
    const all = [...this.sessions.values()]
    this.sessions.clear()
    this.ready.clear()
    await Promise.allSettled(
      all.map(async (p) => {
        await this.close((await p).client)
      }),
    )
  }

  /** Closes a session this node is done with (its close is then no news of the peer). */
  private async close(client: Client): Promise<void> {
    this.closing.add(client)
    await client.close().catch(() => {})
  }

  private async openLocal(key: string): Promise<Session> {
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair()
    await this.components.serveLocal(serverSide)
    const client = this.newClient(key)
    await client.connect(new RelatedTransport(clientSide, 'client'))
    await this.applyLogLevel(client)
    this.resubscribe(key, client)
    const session: Session = { peer: key, client, window: windowOf(client) }
    client.onclose = () => void this.dropIfCurrent(key, session)
    return session
  }

  /**
   * A stream of the MCP protocol to `peer`. A connection may close under the stream being opened on
   * it (the peer trimmed an idle connection it had dialled, or is closing it): the stream then ends
   * before the protocol is agreed, and one new dial is worth it.
   */
  private async dialMcp(peer: PeerId, signal: AbortSignal): Promise<Stream> {
    const dial = (force: boolean) =>
      this.components.libp2p.dialProtocol(peer, MCP_PROTOCOL, { signal, runOnLimitedConnection: true, force })
    try {
      return await dial(false)
    } catch (err) {
      if (signal.aborted || !closedUnderUs(err)) throw err
      this.components.log.debug(
        { peer: peer.toString(), err: describeDialError(err as Error) },
        'connection closed under a new stream; dialling a new one',
      )
      // a new connection: the one that closed may still be listed as open for a moment
      return dial(true)
    }
  }

  private async open(peer: PeerId): Promise<Session> {
    const key = peer.toString()
    if (peer.equals(this.components.libp2p.peerId)) return this.openLocal(key)
    const log = this.components.log.child({ peer: key })
    // A dial has its own bound so that a dead address cannot hold every later caller; each caller
    // still waits no longer than its own deadline (raceSignal in get()).
    const signal = AbortSignal.timeout(DIAL_TIMEOUT_MS)
    // With no address for the peer, the dial asks connected peers (the DHT): right after start, wait
    // for the bootstrap dials first. With nobody connected even then, a dial can only wait: fail now.
    const known = await this.components.libp2p.peerStore.get(peer).then(
      (p) => p.addresses.length > 0,
      () => false,
    )
    if (!known) await raceSignal(this.components.joining(), signal)
    if (!known && this.components.libp2p.getConnections().length === 0) {
      throw new PeerUnreachableError(
        `cannot reach peer ${key}: no known address, and no connected peer to ask for one (start with --bootstrap?)`,
      )
    }
    let transport: StreamTransport
    try {
      const stream = await this.dialMcp(peer, signal)
      transport = new StreamTransport(stream, { maxFrameBytes: this.init.maxFrameBytes, log, role: 'client' })
    } catch (err) {
      throw new PeerUnreachableError(`cannot reach peer ${key}: ${describeDialError(err as Error)}`)
    }
    const client = this.newClient(key)
    client.onerror = (err) => log.debug({ err }, 'outbound MCP session error')
    try {
      await client.connect(transport, { signal, timeout: DIAL_TIMEOUT_MS })
    } catch (err) {
      transport.abort(err as Error)
      throw new PeerUnreachableError(
        `peer ${key} did not complete the MCP handshake: ${(err as Error).message}`,
      )
    }
    const session: Session = { peer: key, client, window: windowOf(client) }
    await this.applyLogLevel(client)
    this.resubscribe(key, client)
    client.onclose = () => {
      log.debug('outbound MCP session closed')
      if (!this.closing.has(client)) this.safeDispatchEvent('session-lost', { detail: key })
      void this.dropIfCurrent(key, session)
    }
    log.debug('outbound MCP session open')
    return session
  }

  private newClient(peer: string): Client {
    const client = new Client(
      { name: 'cord', version: VERSION, title: this.init.alias },
      { capabilities: CLIENT_CAPABILITIES },
    )
    this.init.answers.install(client, peer)
    client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
      this.safeDispatchEvent('tools-changed', { detail: peer })
    })
    client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
      this.safeDispatchEvent('log-message', { detail: { peer, params: n.params } })
    })
    client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
      this.safeDispatchEvent('resource-updated', { detail: { peer, uri: n.params.uri } })
    })
    client.setNotificationHandler(ResourceListChangedNotificationSchema, () => {
      this.safeDispatchEvent('list-changed', { detail: { peer, list: 'resources' } })
    })
    client.setNotificationHandler(PromptListChangedNotificationSchema, () => {
      this.safeDispatchEvent('list-changed', { detail: { peer, list: 'prompts' } })
    })
    return client
  }

  /** A new session to a peer carries the subscriptions of the one before (best effort). */
  private resubscribe(peer: string, client: Client): void {
    for (const uri of this.subscriptions.get(peer) ?? []) {
      void client.subscribeResource({ uri }, { timeout: DIAL_TIMEOUT_MS }).catch(() => {})
    }
  }

  private async applyLogLevel(client: Client): Promise<void> {
    if (this.logLevel == null || client.getServerCapabilities()?.logging == null) return
    await client.setLoggingLevel(this.logLevel).catch(() => {})
  }

  private async dropIfCurrent(key: string, session: Session): Promise<void> {
    if (this.ready.get(key) === session) this.ready.delete(key)
    const pending = this.sessions.get(key)
    if (pending != null && (await pending.catch(() => undefined)) === session) {
      this.sessions.delete(key)
      if (this.ready.get(key) === session) this.ready.delete(key)
    }
  }
}

function windowOf(client: Client): CallWindow {
  return new CallWindow(advertisedFlow(client.getServerCapabilities()))
}

/** Errors of a stream whose connection closed while the stream was being opened. */
const CLOSED_UNDER_US = new Set([
  'UnexpectedEOFError',
  'StreamResetError',
  'StreamClosedError',
  'StreamStateError',
  'ConnectionClosedError',
  'ConnectionClosingError',
  'MuxerClosedError',
])

/**
 * Whether a stream failed because its connection closed while it was being opened. libp2p then
 * rejects with the stream's close event itself at times, not an error.
 */
function closedUnderUs(err: unknown): boolean {
  return err instanceof Event || CLOSED_UNDER_US.has((err as Error).name)
}

function describeDialError(err: Error): string {
  if (err instanceof Event) return 'the connection closed while the stream was being opened'
  if (err.name === 'NoValidAddressesError')
    return 'no known address for this peer (is it connected, or given with --bootstrap?)'
  if (err.name === 'AbortError' || err.name === 'TimeoutError') return 'the dial timed out'
  return err.message ?? err.name
}
