/** `cord init`: creates a data directory with its config and identity. */
import { peerIdFromPrivateKey } from '@libp2p/peer-id'
import { createSwarmKey } from '../../admission/swarm-key.ts'
import { dataDirPaths, defaultDataDir, ensureDataDir } from '../../node/data-dir.ts'
import { loadOrCreateIdentity } from '../../node/identity.ts'
import { json, type Output } from '../output.ts'

/** Options of `cord init`. */
export interface InitOptions {
  dir?: string
  alias?: string
  /** Also create `<dir>/swarm.key`, a private network key. */
  psk?: boolean
  json?: boolean
}

/** Creates the data directory (idempotent: an existing one is kept as it is). */
export async function initCommand(options: InitOptions, io: Output): Promise<void> {
  const paths = dataDirPaths(options.dir ?? defaultDataDir())
  const created = await ensureDataDir(paths.dir, { alias: options.alias })
  const peerId = peerIdFromPrivateKey(await loadOrCreateIdentity(paths.identity)).toString()
  const psk = options.psk === true ? await createSwarmKey(paths.swarmKey) : undefined
  if (options.json === true) {
    return io.out(
      json({
        dir: paths.dir,
        peerId,
        created,
        ...(psk != null ? { swarmKey: paths.swarmKey, swarmKeyCreated: psk } : {}),
      }),
    )
  }
  io.out(created ? `initialised ${paths.dir}` : `${paths.dir} already exists; kept as it is`)
  io.out(`peer ID  ${peerId}\nconfig   ${paths.config}`)
  if (psk === true)
    io.out(
      `swarm key ${paths.swarmKey} (private network: copy this file to the data dir of every node that may join)`,
    )
  if (psk === false) io.out(`swarm key ${paths.swarmKey} already exists; kept as it is`)
  if (!created && options.alias != null) io.out(`note: --alias was not applied; set alias in ${paths.config}`)
}
