/**
 * Connections that identify never described. libp2p runs identify once when a connection opens, with
 * a 5 s limit; when the peer is too busy to answer in time (a bootstrap peer that a hundred nodes join
 * at once, on a loaded host) the connection stays open but nothing runs on it: no protocol of the
 * peer is known, so gossipsub never opens its stream there, no heartbeat arrives, and the node's
 * catalog exchange never starts. A bootstrap connection is kept open for good, so a node could stay
 * deaf for as long as it runs. This part asks again, with a longer limit, on each connection that is
 * still not identified a while after it opened, a few times; a connection that never gets an answer
 * is aborted, so that a redial (keep-alive, connection upkeep, the next call) starts afresh.
 */
import type { Connection, IdentifyResult, Libp2pEvents, TypedEventTarget } from '@libp2p/interface'
import type { Logger } from '../logger.ts'

/** What the part needs from the host. */
export interface UnidentifiedComponents {
  events: TypedEventTarget<Pick<Libp2pEvents, 'connection:open' | 'peer:identify'>>
  /** Runs identify on the connection (libp2p's identify service). */
  identify: (connection: Connection, options: { signal: AbortSignal }) => Promise<unknown>
  log: Logger
}

/** Settings of the part. */
export interface UnidentifiedInit {
  /** How long after it opened a connection is asked again (longer than libp2p's own 5 s). */
  afterMs: number
  /** How long each identify of this part may take. */
  timeoutMs: number
  /** How many times this part identifies a connection (`afterMs` apart) before it aborts it. */
  attempts: number
}

/** Identifies again the connections that libp2p's identify left undescribed. */
export class Unidentified {
  /** Connections identified again, and those aborted because they still were not. */
  identified = 0
  aborted = 0
  private readonly components: UnidentifiedComponents
  private readonly init: UnidentifiedInit
  private readonly described = new WeakSet<Connection>()
  private readonly timers = new Set<NodeJS.Timeout>()
  private running = false

  private readonly onIdentify = (evt: CustomEvent<IdentifyResult>): void => {
    this.described.add(evt.detail.connection)
  }

  private readonly onOpen = (evt: CustomEvent<Connection>): void => this.later(evt.detail, 1)

  /** Checks `connection` `afterMs` from now; `attempt` counts this part's identifies of it. */
  private later(connection: Connection, attempt: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer)
      void this.check(connection, attempt)
    }, this.init.afterMs)
    timer.unref()
    this.timers.add(timer)
  }

  constructor(components: UnidentifiedComponents, init: UnidentifiedInit) {
    this.components = components
    this.init = init
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.components.events.addEventListener('peer:identify', this.onIdentify)
    this.components.events.addEventListener('connection:open', this.onOpen)
  }

  stop(): void {
    this.running = false
    this.components.events.removeEventListener('peer:identify', this.onIdentify)
    this.components.events.removeEventListener('connection:open', this.onOpen)
    for (const timer of this.timers) clearTimeout(timer)
    this.timers.clear()
  }

  private async check(connection: Connection, attempt: number): Promise<void> {
    if (!this.running || connection.status !== 'open' || this.described.has(connection)) return
    const { identify, log } = this.components
    const peer = connection.remotePeer.toString()
    // A timer of its own, not util/deadline's shared queue (made for one deadline per call): this
    // runs once per undescribed connection, and its tests step the clock with fake timers.
    const controller = new AbortController()
    const timer = setTimeout(() => controller.abort(new Error('identify timed out')), this.init.timeoutMs)
    try {
      await identify(connection, { signal: controller.signal })
      this.identified++
      log.debug({ peer, attempt }, 'connection identified again')
    } catch (err) {
      if (!this.running || connection.status !== 'open' || this.described.has(connection)) return
      // A busy peer: ask again on the same connection, which costs one stream; a redial would cost
      // it a handshake more. Only after the last try does the connection go.
      if (attempt < this.init.attempts) return this.later(connection, attempt + 1)
      this.aborted++
      log.info(
        { peer, attempts: attempt + 1, err: (err as Error).message },
        'connection never identified: closing it, so that a redial starts afresh',
      )
      connection.abort(new Error(`identify of peer ${peer} failed ${attempt + 1} times`))
    } finally {
      clearTimeout(timer)
    }
  }
}
