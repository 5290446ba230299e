/**
 * `createNode()`, the composition root: validates the options, loads the identity and peer store of
 * a data directory (or none, for an ephemeral node), builds the libp2p host and every part of the
 * node, and wires them together.
 */
import { generateKeyPair } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { LevelDatastore } from 'datastore-level'
import { Admission } from '../admission/admission.ts'
import { PeerFilter } from '../admission/gater.ts'
import { parseSwarmKey, readSwarmKey, swarmKeyFingerprint } from '../admission/swarm-key.ts'
import { TopicPolicy } from '../admission/topic-acl.ts'
import { validateNodeSettings } from '../config/load.ts'
import {
  DIAL_TIMEOUT_MS,
  IDENTIFY_AGAIN_AFTER_MS,
  IDENTIFY_AGAIN_ATTEMPTS,
  IDENTIFY_AGAIN_TIMEOUT_MS,
  LOAD_CAPACITY,
  STALE_PING_TIMEOUT_MS,
  VERSION,
} from '../constants.ts'
import { findProviders } from '../discovery/dht.ts'
import { Discovery } from '../discovery/discovery.ts'
import { LanDiscovery, listensOnLan, mdnsServiceTag } from '../discovery/lan.ts'
import { ConfigError, PeerUnreachableError } from '../errors.ts'
import { createLogger, type Logger } from '../logger.ts'
import { BackRequests, type ClientHandlers } from '../mcp/client-handlers.ts'
import { RelayTable } from '../mcp/relay.ts'
import { McpService } from '../mcp/server.ts'
import { SessionPool } from '../mcp/session-pool.ts'
import { gossipsubRegister } from '../observability/gossipsub.ts'
import { libp2pMetrics } from '../observability/libp2p.ts'
import { CordMetrics } from '../observability/metrics.ts'
import { createTracing, type TracingInit } from '../observability/tracing.ts'
import { ToolRegistry } from '../registry/registry.ts'
import { type Link, Router } from '../router/router.ts'
import { Messenger } from '../topics/direct.ts'
import { Topics } from '../topics/topics.ts'
import { UpstreamHub } from '../upstream/hub.ts'
import { Calls } from './calls.ts'
import { dataDirPaths, ensureDataDir } from './data-dir.ts'
import { createHost, type Host } from './host.ts'
import { loadOrCreateIdentity } from './identity.ts'
import { KeepAlive } from './keep-alive.ts'
import { CordNode } from './node.ts'
import type { NodeOptions, ResolvedNodeOptions } from './options.ts'
import type { NodeParts } from './parts.ts'
import { isAddressTarget, parsePeerAddress, parsePeerId } from './peer-ids.ts'
import { RemoteReads } from './remote-reads.ts'
import { StaleLinks } from './stale-links.ts'
import { Unidentified } from './unidentified.ts'

/**
 * LevelDB's memory for the peer store: a block cache of 8 MiB and a write buffer of 4 MiB (two may
 * be held) by default, sized for databases far larger than a peer store of a few hundred peers. The
 * write buffer fills with the peer store's tag updates and stayed resident in every node.
 */
const PEER_STORE_LEVEL = { cacheSize: 512 * 1024, writeBufferSize: 256 * 1024 }

/**
 * Creates a node. With `dir`, the identity and peer store persist there (the same peer ID after a
 * restart); without, the node gets an ephemeral identity and in-memory stores.
 */
export async function createNode(options: NodeOptions = {}): Promise<CordNode> {
  if (typeof options !== 'object' || options == null || Array.isArray(options))
    throw new ConfigError('invalid node options: expected an object')
  const { dir, swarmKey, clientHandlers, logger, tracing, ...settings } = options
  for (const [name, value] of Object.entries({ dir, swarmKey }))
    if (value != null && (typeof value !== 'string' || value === ''))
      throw new ConfigError(`invalid node options\n  ${name}: expected a non-empty string`)
  const { spanProcessors, ...tracingSettings } = tracingOption(tracing)
  const resolved: ResolvedNodeOptions = validateNodeSettings(
    tracing != null ? { ...settings, tracing: tracingSettings } : settings,
  )
  const log: Logger = logger ?? createLogger(resolved.logLevel)
  let privateKey: PrivateKey | undefined
  let datastore: LevelDatastore | undefined
  let psk = swarmKey != null ? parseSwarmKey(swarmKey, 'swarmKey option') : undefined
  if (dir != null) {
    const paths = dataDirPaths(dir)
    resolved.dir = paths.dir
    await ensureDataDir(paths.dir)
    psk ??= await readSwarmKey(paths.swarmKey)
    privateKey = await loadOrCreateIdentity(paths.identity)
    datastore = new LevelDatastore(paths.datastore, PEER_STORE_LEVEL)
    try {
      await datastore.open()
    } catch (err) {
      throw new ConfigError(
        `cannot open the peer store in ${paths.datastore}: ${(err as Error).message}${(err as { cause?: Error }).cause != null ? ` (${(err as { cause: Error }).cause.message})` : ''}; is another cord node running with --dir ${paths.dir}?`,
      )
    }
  }
  // An ephemeral node gets its key here rather than from libp2p: it also signs catalog records.
  privateKey ??= await generateKeyPair('Ed25519')
  const filter = new PeerFilter(resolved.access.allowPeers, resolved.access.denyPeers)
  const fingerprint = psk != null ? swarmKeyFingerprint(psk) : undefined
  const metrics = resolved.metrics.enabled
    ? new CordMetrics({
        peerLabels: resolved.metrics.peerLabels,
        info: { version: VERSION, alias: resolved.alias },
      })
    : undefined
  const host = await createHost({
    privateKey,
    datastore,
    listen: resolved.listen,
    alias: resolved.alias,
    maxConnections: resolved.discovery.maxConnections,
    ...(psk != null ? { psk } : {}),
    gater: filter.gater(),
    relay: resolved.relay,
    nat: resolved.nat,
    ...(resolved.discovery.mdns && listensOnLan(resolved.listen)
      ? { mdnsServiceTag: mdnsServiceTag(fingerprint) }
      : {}),
    ...(metrics != null && resolved.metrics.libp2p
      ? { metrics: libp2pMetrics(metrics.registry), gossipMetrics: gossipsubRegister(metrics.registry) }
      : {}),
  })
  const traces = await createTracing({ ...resolved.tracing, spanProcessors }, host.peerId.toString())
  return new CordNode(
    assemble(resolved, host, log.child({ node: host.peerId.toString().slice(-8) }), {
      filter,
      privateKey,
      tracing: traces,
      ...(datastore != null ? { datastore } : {}),
      ...(clientHandlers != null ? { clientHandlers } : {}),
      ...(metrics != null ? { metrics } : {}),
      network: fingerprint != null ? { private: true, keyFingerprint: fingerprint } : { private: false },
    }),
  )
}

/** Builds the parts of a node around its host and wires them together. */
function assemble(
  options: ResolvedNodeOptions,
  host: Host,
  log: Logger,
  extra: Pick<NodeParts, 'datastore' | 'network' | 'tracing' | 'metrics'> & {
    filter: PeerFilter
    privateKey: PrivateKey
    clientHandlers?: ClientHandlers
  },
): NodeParts {
  const { tracing } = extra
  const part = (name: string): Logger => log.child({ part: name })
  const { alias, mcp: mcpSettings, limits, discovery: settings } = options
  const registry = new ToolRegistry()
  const admission = Admission.fromOptions(options, part('admission'))
  const enabled = options.servers.filter((s) => s.enabled)
  const hub =
    enabled.length > 0 ? new UpstreamHub({ registry, log: part('upstream'), tracing }, enabled) : undefined
  const mcp = new McpService(
    {
      libp2p: host,
      registry,
      ...(hub != null ? { hub } : {}),
      admission,
      tracing,
      log: part('mcp-server'),
      ...(extra.metrics != null ? { observer: extra.metrics } : {}),
    },
    {
      alias,
      maxFrameBytes: mcpSettings.maxFrameBytes,
      maxInboundStreams: mcpSettings.maxInboundStreams,
      maxSessions: limits.maxSessions,
      maxQueuedBytes: limits.maxQueuedBytes,
    },
  )
  const relays = new RelayTable()
  const answers = new BackRequests(relays, extra.clientHandlers)
  const keepAlive = new KeepAlive(
    { libp2p: host, log: part('keep-alive'), isolated: (): boolean => discovery.table.liveCount === 0 },
    // Configured relays are kept connected like bootstrap peers: a node behind NAT needs one at hand.
    {
      peers: [...new Set([...options.bootstrap, ...options.relay.peers])],
      minMs: options.redial.minMs,
      maxMs: options.redial.maxMs,
    },
  )
  const pool = new SessionPool(
    {
      libp2p: host,
      log: part('sessions'),
      serveLocal: (t) => mcp.serveLocal(t),
      joining: () => keepAlive.firstDials(),
    },
    { alias, maxFrameBytes: mcpSettings.maxFrameBytes, answers },
  )
  const discovery = new Discovery(
    {
      peerId: host.peerId,
      pubsub: host.services.pubsub,
      peerStore: host.peerStore,
      contentRouting: host.contentRouting,
      network: host,
      registry,
      log: part('discovery'),
      pullCatalog: (peerId, signal, timeoutMs) => pool.pullTools(parsePeerId(peerId), signal, timeoutMs),
      load: () => ({ inflight: registry.activeCalls, capacity: LOAD_CAPACITY }),
      admits: (peer) => extra.filter.admits(peer),
      privateKey: extra.privateKey,
      policy: admission.policy,
    },
    { alias, intervalMs: settings.heartbeatIntervalMs, ...settings },
  )
  pool.addEventListener('tools-changed', (evt) => discovery.pullNow(evt.detail))
  const staleLinks = new StaleLinks(
    {
      table: discovery.table,
      libp2p: host,
      isKept: (peer) => keepAlive.has(peer),
      isRelayClient: (peer) => host.services.relay?.reservations.has(peer) ?? false,
      ping: (peer, opts) => host.services.ping.ping(peer, opts),
      log: part('stale-links'),
    },
    {
      graceMs: settings.heartbeatIntervalMs,
      pingTimeoutMs: Math.max(STALE_PING_TIMEOUT_MS, settings.heartbeatIntervalMs),
    },
  )
  const mdns = host.services.mdns
  const lan =
    mdns != null
      ? new LanDiscovery(
          { mdns, network: host, log: part('lan'), admits: (peer) => extra.filter.admits(peer) },
          { targetConnections: settings.targetConnections, dialTimeoutMs: DIAL_TIMEOUT_MS },
        )
      : undefined
  const router = new Router({
    self: { peerId: host.peerId.toString(), alias },
    table: discovery.table,
    registry,
    findProviders: (tool, signal) => findProviders(host, tool, { signal }),
    rtt: (peerId) => host.getConnections(parsePeerId(peerId)).find((c) => c.rtt != null)?.rtt,
    link: (peerId): Link =>
      pool.isOpen(peerId)
        ? 'session'
        : host.getConnections(parsePeerId(peerId)).some((c) => c.status === 'open')
          ? 'connection'
          : 'none',
    inflight: (peerId): number => calls.inflightTo(peerId),
  })
  // A provider whose last connection closed (reset by a dead process, or closed), or whose session
  // died under this node, leaves routing at once; a new connection, or its next heartbeat, brings
  // it back (router/down.ts).
  host.addEventListener('peer:disconnect', (evt) => router.disconnected(evt.detail.toString()))
  host.addEventListener('peer:connect', (evt) => router.connected(evt.detail.toString()))
  pool.addEventListener('session-lost', (evt) => router.failed(evt.detail))
  const calls = new Calls(
    {
      pool,
      router,
      relays,
      tracing,
      dial: (addr, signal) => host.dial(addr, { signal }),
      log: part('calls'),
      ...(extra.metrics != null ? { observer: extra.metrics } : {}),
    },
    { callTimeoutMs: mcpSettings.callTimeoutMs },
  )
  const topics = new Topics(
    {
      peerId: host.peerId,
      pubsub: host.services.pubsub,
      policy: new TopicPolicy(options.access.topicRules, options.access.topicDefault),
      log: part('topics'),
    },
    options.topics,
  )
  const messenger = new Messenger(
    {
      libp2p: host,
      log: part('messages'),
      resolve: async (target, signal) => {
        if (!isAddressTarget(target))
          return parsePeerId((await router.candidates(target, '', signal))[0]!.peerId)
        const { addr, peer } = parsePeerAddress(target)
        await host.dial(addr, { signal }).catch((err: Error) => {
          if (signal.aborted) throw err
          throw new PeerUnreachableError(`cannot reach ${target}: ${err.message}`)
        })
        return peer
      },
    },
    { ...options.topics, session: topics.session },
  )
  return {
    options,
    host,
    topics,
    messenger,
    log,
    ...(extra.datastore != null ? { datastore: extra.datastore } : {}),
    registry,
    mcp,
    pool,
    calls,
    reads: new RemoteReads({ calls, pool }),
    answers,
    keepAlive,
    discovery,
    staleLinks,
    unidentified: new Unidentified(
      { events: host, identify: (c, o) => host.services.identify.identify(c, o), log: part('identify') },
      {
        afterMs: IDENTIFY_AGAIN_AFTER_MS,
        timeoutMs: IDENTIFY_AGAIN_TIMEOUT_MS,
        attempts: IDENTIFY_AGAIN_ATTEMPTS,
      },
    ),
    ...(lan != null ? { lan } : {}),
    ...(hub != null ? { hub } : {}),
    ...(extra.metrics != null ? { metrics: extra.metrics } : {}),
    admission,
    network: extra.network,
    tracing,
  }
}

/** The `tracing` option, checked: its settings go through the schema, its span processors are checked here. */
function tracingOption(tracing: NodeOptions['tracing']): TracingInit {
  if (tracing == null) return {}
  if (typeof tracing !== 'object' || Array.isArray(tracing))
    throw new ConfigError('invalid node options\n  tracing: expected an object')
  const { spanProcessors } = tracing
  if (
    spanProcessors != null &&
    (!Array.isArray(spanProcessors) ||
      !spanProcessors.every((p) => typeof p?.onEnd === 'function' && typeof p?.shutdown === 'function'))
  )
    throw new ConfigError(
      'invalid node options\n  tracing.spanProcessors: expected an array of OpenTelemetry span processors (onStart, onEnd, forceFlush, shutdown)',
    )
  return tracing
}
