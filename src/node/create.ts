/**
 * `createNode()`: validates the options, loads the identity and peer store of a data directory (or
 * none, for an ephemeral node), builds the libp2p host and the node.
 */
import type { PrivateKey } from '@libp2p/interface'
import { LevelDatastore } from 'datastore-level'
import { PeerFilter } from '../admission/gater.ts'
import { parseSwarmKey, readSwarmKey, swarmKeyFingerprint } from '../admission/swarm-key.ts'
import { validateNodeSettings } from '../config/load.ts'
import { ConfigError } from '../errors.ts'
import { createLogger, type Logger } from '../logger.ts'
import { dataDirPaths, ensureDataDir } from './data-dir.ts'
import { createHost } from './host.ts'
import { loadOrCreateIdentity } from './identity.ts'
import { CordNode } from './node.ts'
import type { NodeOptions, ResolvedNodeOptions } from './options.ts'

/**
 * Creates a node. With `dir`, the identity and peer store persist there (the same peer ID after a
 * restart); without, the node gets an ephemeral identity and in-memory stores.
 */
export async function createNode(options: NodeOptions = {}): Promise<CordNode> {
  if (typeof options !== 'object' || options == null || Array.isArray(options))
    throw new ConfigError('invalid node options: expected an object')
  const { dir, swarmKey, clientHandlers, logger, ...settings } = options
  for (const [name, value] of Object.entries({ dir, swarmKey }))
    if (value != null && (typeof value !== 'string' || value === ''))
      throw new ConfigError(`invalid node options\n  ${name}: expected a non-empty string`)
  const resolved: ResolvedNodeOptions = validateNodeSettings(settings)
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
    maxConnections: resolved.discovery.maxConnections,
    ...(psk != null ? { psk } : {}),
    gater: filter.gater(),
  })
  const node = log.child({ node: host.peerId.toString().slice(-8) })
  return new CordNode(resolved, host, node, {
    ...(datastore != null ? { datastore } : {}),
    filter,
    network: psk != null ? { private: true, keyFingerprint: swarmKeyFingerprint(psk) } : { private: false },
    ...(clientHandlers != null ? { clientHandlers } : {}),
  })
}
