/**
 * Whether other nodes can dial this one, and what the node does about it: a libp2p service that
 * judges the node's reachability and, when it is private, listens on a circuit relay (`/p2p-circuit`)
 * so that libp2p reserves a slot on a relay it knows and announces the relayed address.
 *
 * - `public`: an address of this node that is not relayed and not private has been verified by
 *   another peer dialling it back (AutoNAT), or is announced by the operator (`nat.announce`).
 * - `private`: not public, and a peer saw this node's connection come from an address that is not
 *   one of this host's own (a NAT rewrote it), or AutoNAT found a public address undialable.
 * - `unknown`: neither yet (a node on loopback or on a LAN where nobody translates its address).
 *
 * `nat.reachability` forces `public` or `private`. The relay listener starts once the node is
 * private and knows a relay: a configured one (`relay.peers`) or a peer that offers the hop protocol
 * (learned by identify, bootstrap peers mostly). libp2p's relay transport then keeps a reservation,
 * finding another relay when it loses one.
 */
import {
  type ComponentLogger,
  type Libp2pEvents,
  type Listener,
  type Logger,
  type PeerStore,
  type Startable,
  TypedEventEmitter,
  type TypedEventTarget,
} from '@libp2p/interface'
import type { AddressManager, TransportManager } from '@libp2p/interface-internal'
import { isNetworkAddress, isPrivate } from '@libp2p/utils'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { type InterfaceSource, ipOf, LocalNetworks } from './local-networks.ts'

/** Whether other nodes can dial this one. */
export type Reachability = 'public' | 'private' | 'unknown'

/** The relay protocol that relays offer (circuit relay v2, hop side). */
export const RELAY_HOP_PROTOCOL = '/libp2p/circuit/relay/0.2.0/hop'

/** How often reachability is judged again besides on events (verifications expire). */
const RECHECK_MS = 5_000

/** What the service needs from libp2p. */
export interface ReachabilityComponents {
  addressManager: AddressManager
  transportManager: TransportManager
  peerStore: PeerStore
  events: TypedEventTarget<Libp2pEvents>
  logger: ComponentLogger
}

/** Settings of the service. */
export interface ReachabilityInit {
  /** `auto` judges; `public` and `private` force. */
  mode: 'auto' | 'public' | 'private'
  /** Relays configured by the operator: when there are some, a private node does not wait to learn one. */
  relays: number
  /** Listen on a relay when private; off when the listen addresses name `/p2p-circuit` already. */
  autoRelay: boolean
  /** The node's interfaces (tests give fixed ones). */
  interfaces?: InterfaceSource
}

/** A relay this node holds a reservation on, and the addresses it is reachable at through it. */
export interface RelayReservationInfo {
  relay: string
  addrs: string[]
}

/** What `cord status` shows of reachability. */
export interface ReachabilityStatus {
  reachability: Reachability
  mode: ReachabilityInit['mode']
  /** The address a peer last saw this node's connection come from, when that was not its own. */
  observed?: string
  /** Relays this node holds a reservation on. */
  reservations: RelayReservationInfo[]
}

export interface ReachabilityEvents {
  change: CustomEvent<Reachability>
}

/** Judges reachability and listens on a relay while the node is private. */
export class ReachabilityService extends TypedEventEmitter<ReachabilityEvents> implements Startable {
  private readonly components: ReachabilityComponents
  private readonly init: ReachabilityInit
  private readonly log: Logger
  private readonly local: LocalNetworks
  private current: Reachability = 'unknown'
  private observed?: string
  private hopKnown = false
  private relayListeners: Listener[] = []
  private relayListening = false
  private timer?: NodeJS.Timeout
  private started = false
  private readonly onIdentify = (evt: CustomEvent<Parameters<ReachabilityService['identified']>[0]>): void =>
    this.identified(evt.detail)
  private readonly onSelfUpdate = (): void => this.recheck()

  constructor(components: ReachabilityComponents, init: ReachabilityInit) {
    super()
    this.components = components
    this.init = init
    this.log = components.logger.forComponent('cord:reachability')
    this.local = new LocalNetworks(init.interfaces)
  }

  readonly [Symbol.toStringTag] = 'cord/reachability'

  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    this.components.events.addEventListener('peer:identify', this.onIdentify)
    this.components.events.addEventListener('self:peer:update', this.onSelfUpdate)
    this.timer = setInterval(() => this.recheck(), RECHECK_MS)
    this.timer.unref()
  }

  async afterStart(): Promise<void> {
    // A relay remembered in the peer store from an earlier run counts as known.
    const relays = await this.components.peerStore
      .all({ filters: [(p) => p.protocols.includes(RELAY_HOP_PROTOCOL)], limit: 1 })
      .catch(() => [])
    if (relays.length > 0) this.hopKnown = true
    this.recheck()
  }

  async stop(): Promise<void> {
    if (!this.started) return
    this.started = false
    clearInterval(this.timer)
    this.components.events.removeEventListener('peer:identify', this.onIdentify)
    this.components.events.removeEventListener('self:peer:update', this.onSelfUpdate)
  }

  /** The node's reachability now. */
  get reachability(): Reachability {
    return this.current
  }

  /** Reachability, what a peer saw, and the relay reservations, for `cord status`. */
  status(): ReachabilityStatus {
    return {
      reachability: this.current,
      mode: this.init.mode,
      ...(this.observed != null ? { observed: this.observed } : {}),
      reservations: relayReservations(this.components.addressManager.getAddresses()),
    }
  }

  /** Judges again, and starts or stops listening on a relay to match. */
  recheck(): void {
    if (!this.started) return
    const next = this.judge()
    if (next !== this.current) {
      this.log('reachability %s -> %s', this.current, next)
      this.current = next
      this.safeDispatchEvent('change', { detail: next })
    }
    void this.updateRelayListener().catch((err: Error) => this.log.error('relay listener - %e', err))
  }

  private identified(result: {
    observedAddr?: Multiaddr
    protocols: string[]
    connection: { remoteAddr: Multiaddr }
  }): void {
    if (result.protocols.includes(RELAY_HOP_PROTOCOL)) this.hopKnown = true
    const observed = result.observedAddr
    // Only a direct connection says where this node's packets come from.
    if (observed != null && !isRelayed(result.connection.remoteAddr) && !isRelayed(observed)) {
      const ip = ipOf(observed)
      if (ip != null && !this.local.isOwn(ip)) this.observed = observed.toString()
    }
    this.recheck()
  }

  private judge(): Reachability {
    if (this.init.mode !== 'auto') return this.init.mode
    const addrs = this.components.addressManager.getAddressesWithMetadata()
    const candidate = (ma: Multiaddr): boolean => !isRelayed(ma) && isNetworkAddress(ma) && !isPrivate(ma)
    if (addrs.some((a) => a.verified && candidate(a.multiaddr))) return 'public'
    // AutoNAT marks an address it found undialable as unverified until `expires`.
    const refused = addrs.some((a) => !a.verified && a.expires > Date.now() && candidate(a.multiaddr))
    if (this.observed != null || refused) return 'private'
    return 'unknown'
  }

  private async updateRelayListener(): Promise<void> {
    const { transportManager } = this.components
    const wanted =
      this.init.autoRelay && this.current === 'private' && (this.init.relays > 0 || this.hopKnown)
    if (wanted && !this.relayListening) {
      this.relayListening = true
      const before = new Set(transportManager.getListeners())
      this.log('private: listening on a relay')
      await transportManager.listen([multiaddr('/p2p-circuit')])
      this.relayListeners = transportManager.getListeners().filter((l) => !before.has(l))
    } else if (this.current === 'public' && this.relayListening) {
      this.relayListening = false
      this.log('public: no longer listening on a relay')
      await Promise.all(this.relayListeners.map((l) => l.close()))
      this.relayListeners = []
    }
  }
}

/** Whether a multiaddr goes through a relay. */
export function isRelayed(ma: Multiaddr): boolean {
  return ma.getComponents().some((c) => c.name === 'p2p-circuit')
}

/** The relays a node's relayed addresses go through, each with those addresses. */
export function relayReservations(addrs: Multiaddr[]): RelayReservationInfo[] {
  const byRelay = new Map<string, string[]>()
  for (const ma of addrs) {
    const parts = ma.getComponents()
    const at = parts.findIndex((c) => c.name === 'p2p-circuit')
    const relay = at > 0 ? parts[at - 1] : undefined
    if (relay?.name !== 'p2p' || relay.value == null) continue
    byRelay.set(relay.value, [...(byRelay.get(relay.value) ?? []), ma.toString()])
  }
  return [...byRelay].map(([relay, list]) => ({ relay, addrs: list }))
}

/** A libp2p service factory for `services: { reachability: reachability(init) }`. */
export function reachability(
  init: ReachabilityInit,
): (components: ReachabilityComponents) => ReachabilityService {
  return (components) => new ReachabilityService(components, init)
}
