/**
 * `createNode()`: validates the options, loads the identity and peer store of a data directory (or
 * none, for an ephemeral node), builds the libp2p host and the node.
 */
import { hostname } from 'node:os'
import type { PrivateKey } from '@libp2p/interface'
import { LevelDatastore } from 'datastore-level'
import { PeerFilter } from '../admission/gater.ts'
import { parseSwarmKey, readSwarmKey, swarmKeyFingerprint } from '../admission/swarm-key.ts'
import { ConfigError } from '../config/errors.ts'
import { validateNodeOptions } from '../config/load.ts'
import { type NodeOptions, resolveNodeOptions } from '../config/schema.ts'
import { ALIAS_PATTERN } from '../constants.ts'
import { createLogger, type Logger } from '../logger.ts'
import type { ClientHandlers } from '../mcp/client-handlers.ts'
import { dataDirPaths, ensureDataDir } from './data-dir.ts'
import { createHost } from './host.ts'
import { loadOrCreateIdentity } from './identity.ts'
import { CordNode } from './node.ts'

/** A usable default alias: this host's name, trimmed to what aliases allow. */
export function defaultAlias(): string {
  const name =
    hostname()
      .split('.')[0]
      ?.replace(/[^A-Za-z0-9._-]/g, '-')
      .slice(0, 32) ?? ''
  return ALIAS_PATTERN.test(name) ? name : 'cord'
}

/**
 * Creates a node. With `dir`, the identity and peer store persist there (the same peer ID after a
 * restart); without, the node gets an ephemeral identity and in-memory stores.
 */
export async function createNode(options: NodeOptions = {}): Promise<CordNode> {
  const validated = validateNodeOptions(options)
  const resolved = resolveNodeOptions(validated, defaultAlias())
  const log: Logger = (validated.logger as Logger | undefined) ?? createLogger(validated.logLevel ?? 'warn')
  let privateKey: PrivateKey | undefined
  let datastore: LevelDatastore | undefined
  let psk = resolved.swarmKey != null ? parseSwarmKey(resolved.swarmKey, 'swarmKey option') : undefined
  if (resolved.dir != null) {
    const paths = dataDirPaths(resolved.dir)
    resolved.dir = paths.dir
    await ensureDataDir(paths.dir)
    psk ??= await readSwarmKey(paths.swarmKey)
    privateKey = await loadOrCreateIdentity(paths.identity)
    datastore = new LevelDatastore(paths.datastore)
    try {
      await datastore.open()
    } catch (err) {
      throw new ConfigError(
        `cannot open the peer store in ${paths.datastore}: ${(err as Error).message}${(err as { cause?: Error }).cause != null ? ` (${(err as { cause: Error }).cause.message})` : ''}; is another cord node running with --dir ${paths.dir}?`,
      )
    }
  }
  const filter = new PeerFilter(resolved.access.allowPeers, resolved.access.denyPeers)
  const host = await createHost({
    privateKey,
    datastore,
    listen: resolved.listen,
    alias: resolved.alias,
    maxConnections: resolved.maxConnections,
    ...(psk != null ? { psk } : {}),
    gater: filter.gater(),
  })
  const node = log.child({ node: host.peerId.toString().slice(-8) })
  return new CordNode(resolved, host, node, {
    ...(datastore != null ? { datastore } : {}),
    filter,
    network: psk != null ? { private: true, keyFingerprint: swarmKeyFingerprint(psk) } : { private: false },
    ...(validated.clientHandlers != null
      ? { clientHandlers: validated.clientHandlers as ClientHandlers }
      : {}),
  })
}
