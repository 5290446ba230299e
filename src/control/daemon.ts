/**
 * The daemon behind `cord start`: a node with its data directory, plus the control API for the CLI.
 * Writes the control file when ready; `stop()` drains calls, closes everything and removes it.
 */

import type { NodeSettings } from '../config/options.ts'
import { type GatewaySettings, isLoopbackListen } from '../config/schema.ts'
import { DaemonRunningError } from '../errors.ts'
import { Gateway } from '../gateway/gateway.ts'
import { GatewayHttpServer } from '../gateway/http.ts'
import type { Logger } from '../logger.ts'
import { createNode } from '../node/create.ts'
import { dataDirPaths, ensureDataDir } from '../node/data-dir.ts'
import type { CordNode } from '../node/node.ts'
import { ControlClient } from './client.ts'
import { newToken, readOrCreateToken, removeControlFile, writeControlFile } from './files.ts'
import { ControlServer } from './server.ts'

/** What a daemon is started with. */
export interface DaemonInit {
  dir: string
  node: NodeSettings
  controlListen: string
  /** The MCP gateway's HTTP endpoint; omit for none. */
  gateway?: GatewaySettings
  log: Logger
}

/** A running daemon. */
export interface Daemon {
  node: CordNode
  controlUrl: string
  /** The MCP gateway's Streamable HTTP URL, when it is on. */
  gatewayUrl?: string
  /** The bearer token the gateway needs, when it needs one (kept in `gatewayTokenFile`). */
  gatewayToken?: string
  gatewayTokenFile?: string
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
  // The gateway goes in before the node starts: the node's sessions declare what it relays.
  const settings = init.gateway
  const gateway =
    settings?.enabled === true
      ? new Gateway(
          node,
          {
            maxTools: settings.maxTools,
            topicHistory: settings.topicHistory,
            topicHistoryBytes: settings.topicHistoryBytes,
          },
          init.log.child({ part: 'gateway' }),
        )
      : undefined
  await node.start()
  if (gateway != null) node.metrics?.observeGateway(() => gateway.sessionCount)
  const token = newToken()
  let http: GatewayHttpServer | undefined
  // Off loopback the token is always needed (the config refuses require_token = false there).
  const needsToken = settings != null && (settings.requireToken || !isLoopbackListen(settings.listen))
  const gatewayTokenFile = gateway != null && needsToken ? paths.gatewayToken : undefined
  const control = new ControlServer(
    { node, log: init.log.child({ part: 'control' }) },
    {
      listen: init.controlListen,
      token,
      extra: () => ({
        gateway:
          http != null
            ? { url: http.url, sessions: http.sessionCount, tokenFile: gatewayTokenFile ?? null }
            : null,
      }),
    },
  )
  let controlUrl: string
  let gatewayUrl: string | undefined
  let gatewayToken: string | undefined
  try {
    if (gateway != null && settings != null) {
      if (gatewayTokenFile != null) gatewayToken = await readOrCreateToken(gatewayTokenFile)
      http = new GatewayHttpServer(
        gateway,
        {
          listen: settings.listen,
          ...(gatewayToken != null ? { token: gatewayToken, tokenFile: gatewayTokenFile } : {}),
          allowedHosts: settings.allowedHosts,
          allowedOrigins: settings.allowedOrigins,
          idleTimeoutMs: settings.idleTimeoutMs,
          maxSessions: settings.maxSessions,
          maxBodyBytes: node.options.mcp.maxFrameBytes,
          ...(node.metrics != null ? { observer: node.metrics } : {}),
        },
        init.log.child({ part: 'gateway' }),
      )
      gatewayUrl = await http.start()
    }
    controlUrl = await control.start()
    await writeControlFile(paths.control, {
      url: controlUrl,
      token,
      pid: process.pid,
      peerId: node.peerId,
      ...(gatewayUrl != null ? { gateway: gatewayUrl } : {}),
      ...(node.metricsUrl != null ? { metrics: node.metricsUrl } : {}),
    })
  } catch (err) {
    await http?.stop()
    await node.stop()
    throw err
  }
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      control.stopAccepting()
      await removeControlFile(paths.control)
      await http?.stop()
      await gateway?.close()
      await node.stop()
      await control.stop()
    })()
    return stopping
  }
  return {
    node,
    controlUrl,
    ...(gatewayUrl != null ? { gatewayUrl } : {}),
    ...(gatewayUrl != null && gatewayToken != null ? { gatewayToken, gatewayTokenFile } : {}),
    stop,
  }
}
