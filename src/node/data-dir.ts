/**
 * The data directory: `config.toml`, the identity key (0600), the peer store (LevelDB) and the control
 * file with the running daemon's control API address and token.
 */
import { existsSync } from 'node:fs'
import { chmod, mkdir, writeFile } from 'node:fs/promises'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { CORD_HOME_ENV } from '../constants.ts'

/** Paths of everything a node keeps in its data directory. */
export interface DataDirPaths {
  dir: string
  config: string
  identity: string
  datastore: string
  control: string
  /** The private network's pre-shared key, when the node is in one. */
  swarmKey: string
  /** Bearer token of the MCP gateway (0600), which its clients send. */
  gatewayToken: string
}

/** The data directory to use: `--dir`, else `$CORD_HOME`, else `~/.cord`. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[CORD_HOME_ENV]
  return resolve(fromEnv != null && fromEnv !== '' ? fromEnv : join(homedir(), '.cord'))
}

/** Paths inside a data directory. */
export function dataDirPaths(dir: string): DataDirPaths {
  const abs = resolve(dir)
  return {
    dir: abs,
    config: join(abs, 'config.toml'),
    identity: join(abs, 'identity.key'),
    datastore: join(abs, 'datastore'),
    control: join(abs, 'control.json'),
    gatewayToken: join(abs, 'gateway.token'),
    swarmKey: join(abs, 'swarm.key'),
  }
}

/** The `config.toml` written by `cord init`: every field commented out, so defaults apply. */
export function initialConfig(alias?: string): string {
  const aliasLine =
    alias != null ? `alias = "${alias}"` : '# alias = "my-host"            # default: this host name'
  return `# Cord node configuration. Every field and its default: config/default.toml in the cord-mesh package.
${aliasLine}
# listen = ["/ip4/0.0.0.0/tcp/4001"]
# bootstrap = ["/ip4/192.0.2.7/tcp/4001/p2p/12D3KooW..."]
# demo_tools = true
# [relay]
# server = false                  # serve as a relay for nodes behind NAT (cord start --relay)
# [nat]
# reachability = "auto"           # or "public" / "private"; behind NAT the node uses a relay by itself
`
}

/** Creates the data directory (mode 0700) and its `config.toml` when they are missing. Returns whether it created the config. */
export async function ensureDataDir(dir: string, options: { alias?: string } = {}): Promise<boolean> {
  const paths = dataDirPaths(dir)
  await mkdir(paths.dir, { recursive: true, mode: 0o700 })
  if (existsSync(paths.config)) return false
  await writeFile(paths.config, initialConfig(options.alias), { mode: 0o600, flag: 'wx' }).catch((err) => {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
  })
  await chmod(paths.config, 0o600)
  return true
}
