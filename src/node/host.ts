/**
 * The libp2p host, built from resolved options: TCP and WebSockets (and circuit relay), Noise, Yamux,
 * identify and ping, kad-dht and gossipsub; reachability (AutoNAT, DCUtR hole punching, optional
 * UPnP, a relay server when asked) and mDNS; a persistent identity and a LevelDB peer store when the
 * node has a data directory.
 */
import { createHash } from 'node:crypto'
import { noise } from '@chainsafe/libp2p-noise'
import { autoNATv2 } from '@libp2p/autonat-v2'
import { type CircuitRelayService, circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2'
import { dcutr } from '@libp2p/dcutr'
import { type GossipSub, gossipsub } from '@libp2p/gossipsub'
import type { MetricsRegister } from '@libp2p/gossipsub/metrics'
import { identify } from '@libp2p/identify'
import type {
  ComponentLogger,
  ConnectionGater,
  Libp2p,
  Metrics,
  PeerDiscovery,
  PrivateKey,
} from '@libp2p/interface'
import { type KadDHT, kadDHT, passthroughMapper } from '@libp2p/kad-dht'
import { mdns } from '@libp2p/mdns'
import { type Ping, ping } from '@libp2p/ping'
import { preSharedKey } from '@libp2p/pnet'
import { tcp } from '@libp2p/tcp'
import { type UPnPNAT, uPnPNAT } from '@libp2p/upnp-nat'
import { webSockets } from '@libp2p/websockets'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import type { Datastore } from 'interface-datastore'
import { createLibp2p } from 'libp2p'
import { DHT_PROTOCOL, HEARTBEAT_TOPIC, MDNS_QUERY_INTERVAL_MS, VERSION } from '../constants.ts'
import { MAX_HEARTBEAT_BYTES } from '../discovery/heartbeat.ts'
import { addressOrder } from '../reachability/address-order.ts'
import { isRelayed, type ReachabilityService, reachability } from '../reachability/reachability.ts'
import { relayServerInit } from '../reachability/relay-server.ts'
import { withoutCloseKeepAlive } from './dht-tags.ts'
import type { ResolvedNodeOptions } from './options.ts'

/** The services of a Cord host: every host runs the first ones, the last three when configured. */
export type HostServices = {
  identify: ReturnType<ReturnType<typeof identify>>
  ping: Ping
  dht: KadDHT
  pubsub: GossipSub
  autonat: unknown
  dcutr: unknown
  reachability: ReachabilityService
  /** A relay server (`relay.server`). */
  relay?: CircuitRelayService
  /** LAN discovery (`discovery.mdns`, when the node listens beyond loopback). */
  mdns?: PeerDiscovery
  /** Port mapping on the LAN's router (`nat.upnp`). */
  upnp?: UPnPNAT
}

/** A Cord libp2p host. */
export type Host = Libp2p<HostServices>

/** What the host is built from. */
export interface HostInit {
  privateKey?: PrivateKey
  datastore?: Datastore
  listen: string[]
  alias: string
  /** Above this many connections libp2p closes the least valuable ones (gossip mesh and bootstrap peers are kept). */
  maxConnections: number
  /** The private network's key (swarm.key bytes): only nodes with the same key can connect. */
  psk?: Uint8Array
  /** Who may connect (allow and deny lists). */
  gater?: ConnectionGater
  relay: ResolvedNodeOptions['relay']
  nat: ResolvedNodeOptions['nat']
  /** The mDNS service name (see `mdnsServiceTag`); none: no mDNS. */
  mdnsServiceTag?: string
  /** libp2p's own metrics (observability/libp2p.ts); none: off. */
  metrics?: (components: { logger: ComponentLogger }) => Metrics
  /** Gossipsub's own metrics, which it reports apart from libp2p's (observability/gossipsub.ts). */
  gossipMetrics?: MetricsRegister
}

/** Gossipsub labels its metrics by topic: the heartbeat topic as `heartbeat`, agents' topics by their names. */
const GOSSIP_TOPIC_LABELS = new Map([[HEARTBEAT_TOPIC, 'heartbeat']])

/**
 * Many nodes on one host (tests, demos) dial each other from one IP: libp2p's default of 5 inbound
 * connections per second per IP would refuse them.
 */
const INBOUND_CONNECTION_THRESHOLD = 100

/** How often libp2p's connection monitor pings each connection (its default: 10 s). */
export const PING_INTERVAL_MS = 30_000

/** The shortest time libp2p's connection monitor lets a ping take before it aborts the connection. */
const PING_TIMEOUT_MS = 30_000

/** Ping streams allowed per connection each way: the connection monitor's, kad-dht's, and slack for closing ones. */
const PING_STREAMS = 8

/**
 * The gossip mesh's degree: each node forwards every message to D mesh peers and gets it from as
 * many, so a node's share of the mesh's heartbeats costs about 2·D message copies (each framed,
 * encrypted, decrypted, decoded); and every gossipsub heartbeat (1 s) it sends IHAVE lists of the
 * last few heartbeats' message IDs (46 bytes each) to D_lazy peers outside its mesh. Gossipsub's
 * defaults (D 6, up to 12 with many connections, D_lazy 6) are sized for public networks with
 * adversaries; at rest they were most of an idle node's CPU. A degree of 4 (3–6) still reaches a
 * 100-node mesh in a few hops (the IHAVE gossip repairs a missed copy), at about half the cost.
 */
export const GOSSIP_DEGREE = { D: 4, Dlo: 3, Dhi: 6, Dscore: 2, Dout: 2, Dlazy: 3 }

/** Creates (but does not start) the libp2p host. */
export async function createHost(init: HostInit): Promise<Host> {
  return createLibp2p({
    start: false,
    ...(init.privateKey != null ? { privateKey: init.privateKey } : {}),
    ...(init.datastore != null ? { datastore: init.datastore } : {}),
    addresses: { listen: init.listen, appendAnnounce: init.nat.announce },
    // TCP and WebSockets listen where `listen` says (a /ws address for WebSockets); the relay
    // transport dials /p2p-circuit addresses and listens on a relay when the node is private.
    transports: [tcp(), webSockets(), circuitRelayTransport()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    ...(init.psk != null ? { connectionProtector: preSharedKey({ psk: init.psk }) } : {}),
    ...(init.gater != null ? { connectionGater: init.gater } : {}),
    ...(init.metrics != null ? { metrics: init.metrics } : {}),
    connectionManager: {
      inboundConnectionThreshold: INBOUND_CONNECTION_THRESHOLD,
      maxConnections: init.maxConnections,
      addressSorter: addressOrder(),
    },
    // libp2p pings every connection every 10 s and aborts one whose ping takes longer than its
    // timeout (5 s at least by default), MCP sessions and calls in flight with it. A node whose event
    // loop is busy for a few seconds (a loaded host, a heavy hosted server) is slow, not gone: it
    // lost every connection at once, and the redials and handshakes that followed kept it busy.
    // Liveness is the heartbeats' job; a connection is judged dead only when a ping takes 30 s.
    //
    // Every 30 s, not 10: each ping opens a stream at both ends (multistream negotiation, and a peer
    // store update per stream, a LevelDB read), and with a dozen connections per node these pings were
    // a fifth of an idle node's CPU. The monitor keeps a connection's RTT (routing prefers near
    // providers) and finds dead connections; heartbeats find dead peers.
    connectionMonitor: { pingInterval: PING_INTERVAL_MS, pingTimeout: { minTimeout: PING_TIMEOUT_MS } },
    nodeInfo: { name: 'cord', version: VERSION, userAgent: agentVersion(init.alias) },
    services: {
      ...reachabilityServices(init),
      identify: identify(),
      // Two parts of libp2p ping on /ipfs/ping/1.0.0: the connection monitor (every connection, every
      // 10 s) and kad-dht (routing-table contacts). The default of one outbound stream per connection
      // made the later of two overlapping pings fail, and the monitor aborts a connection whose ping
      // fails, MCP sessions and all. Under load pings overlap, and closing streams linger.
      ping: ping({ maxOutboundStreams: PING_STREAMS, maxInboundStreams: PING_STREAMS }),
      // A private DHT: its own protocol ID, every node a server, and every address kept (loopback
      // and LAN addresses too; the default mapper keeps only public ones). See protocols/kad.md.
      // Its closest peers are not kept connected (see dht-tags.ts).
      dht: (components: Parameters<ReturnType<typeof kadDHT>>[0]) =>
        kadDHT({ protocol: DHT_PROTOCOL, clientMode: false, peerInfoMapper: passthroughMapper })(
          withoutCloseKeepAlive(components),
        ),
      pubsub: gossipsub({
        ...GOSSIP_DEGREE,
        globalSignaturePolicy: 'StrictSign',
        allowPublishToZeroTopicPeers: true,
        // A node's own heartbeats go to its gossip mesh (degree D), not to every subscriber it is
        // connected to: its traffic stays O(D) however many peers it has a session with.
        floodPublish: false,
        // Many nodes of one mesh may share a host (and an IP): do not score them down for it.
        scoreParams: { IPColocationFactorWeight: 0 },
        // Without it gossipsub verifies the signature of every copy of a message before it looks for
        // duplicates, and a node gets each heartbeat from several mesh peers: most of a mesh's CPU
        // went to verifying copies. The ID is only remembered once a copy has passed validation, so a
        // forged copy that arrives first cannot shadow the real one.
        fastMsgIdFn: fastMessageId,
        // Gossipsub 1.2 sends an IDONTWANT to every mesh peer for each new message of 512 bytes or
        // more: for heartbeats (about 700 bytes) that was one more frame per mesh peer per message,
        // to save one copy. Only messages larger than any heartbeat (catalog records) are worth it.
        idontwantMinDataSize: MAX_HEARTBEAT_BYTES + 1,
        // Gossip also flows over a relayed connection that the relay limits (see README, Across networks).
        runOnLimitedConnection: true,
        ...(init.gossipMetrics != null
          ? { metricsRegister: init.gossipMetrics, metricsTopicStrToLabel: GOSSIP_TOPIC_LABELS }
          : {}),
      }),
    },
  })
}

/**
 * Reachability: AutoNAT (peers dial this node's addresses back), DCUtR (a relayed connection is
 * upgraded to a direct one when a hole can be punched), the judge that listens on a relay when the
 * node is private, and the optional parts: a relay server, UPnP, mDNS.
 */
function reachabilityServices(init: HostInit) {
  return {
    autonat: autoNATv2(),
    dcutr: dcutr(),
    reachability: reachability({
      mode: init.nat.reachability,
      relays: init.relay.peers.length,
      autoRelay: !init.listen.some((a) => isRelayed(multiaddr(a))),
    }),
    ...(init.relay.server ? { relay: circuitRelayServer(relayServerInit(init.relay)) } : {}),
    ...(init.nat.upnp ? { upnp: uPnPNAT() } : {}),
    ...(init.mdnsServiceTag != null
      ? { mdns: mdns({ serviceTag: init.mdnsServiceTag, interval: MDNS_QUERY_INTERVAL_MS }) }
      : {}),
  }
}

/** A cheap ID of a received message, before validation: its signer and sequence number. */
export function fastMessageId(msg: { from?: Uint8Array; seqno?: Uint8Array; data?: Uint8Array }): string {
  if (msg.from == null || msg.seqno == null)
    return `h:${createHash('sha256')
      .update(msg.data ?? new Uint8Array())
      .digest('base64')}`
  return `${Buffer.from(msg.from).toString('base64')}:${Buffer.from(msg.seqno).toString('hex')}`
}

/** Identify's agent version: names the implementation and the node's alias. */
export function agentVersion(alias: string): string {
  return `cord/${VERSION} (alias ${alias})`
}

/** The alias in a peer's agent version, if it is a Cord node. */
export function aliasFromAgentVersion(agent: string | undefined): string | undefined {
  return agent?.match(/^cord\/\S+ \(alias ([^)]+)\)$/)?.[1]
}
