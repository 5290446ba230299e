/**
 * The daemon behind `cord start`: a node with its data directory, plus the control API for the CLI.
 * Writes the control file when ready; `stop()` drains calls, closes everything and removes it.
 */

import type { NodeOptions } from '../config/schema.ts'
import { CordError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { createNode } from '../node/create.ts'
import { dataDirPaths, ensureDataDir } from '../node/data-dir.ts'
import type { CordNode } from '../node/node.ts'
import { ControlClient } from './client.ts'
import { newToken, removeControlFile, writeControlFile } from './files.ts'
import { ControlServer } from './server.ts'

/** A daemon is already running for the data directory. */
export class DaemonRunningError extends CordError {
  static override name = 'DaemonRunningError'
  override name = 'DaemonRunningError'
  override readonly kind = 'config'
}

/** What a daemon is started with. */
export interface DaemonInit {
  dir: string
  node: NodeOptions
  controlListen: string
  log: Logger
}

/** A running daemon. */
export interface Daemon {
  node: CordNode
  controlUrl: string
  /** Stops the control API and the node (gracefully), and removes the control file. Safe to call twice. */
  stop(): Promise<void>
}

async function assertNoDaemon(dir: string): Promise<void> {
  let client: ControlClient
  try {
    client = await ControlClient.open(dir)
  } catch {
    return
  }
  const alive = await client.request('GET', '/v1/id', undefined, 2_000).then(
    () => true,
    () => false,
  )
  if (alive) throw new DaemonRunningError(`a cord daemon (pid ${client.pid}) is already running for ${dir}`)
}

/** Starts a node for `dir` and its control API. */
export async function startDaemon(init: DaemonInit): Promise<Daemon> {
  const paths = dataDirPaths(init.dir)
  await ensureDataDir(paths.dir)
  await assertNoDaemon(paths.dir)
  const node = await createNode({ ...init.node, dir: paths.dir, logger: init.log })
  await node.start()
  const token = newToken()
  const control = new ControlServer(
    { node, log: init.log.child({ part: 'control' }) },
    { listen: init.controlListen, token },
  )
  let controlUrl: string
  try {
    controlUrl = await control.start()
    await writeControlFile(paths.control, { url: controlUrl, token, pid: process.pid, peerId: node.peerId })
  } catch (err) {
    await node.stop()
    throw err
  }
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      control.stopAccepting()
      await removeControlFile(paths.control)
      await node.stop()
      await control.stop()
    })()
    return stopping
  }
  return { node, controlUrl, stop }
}
