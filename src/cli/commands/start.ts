/** `cord start`: runs a node in the foreground until SIGINT or SIGTERM, then stops it cleanly. */
import { loadConfigFile } from '../../config/load.ts'
import type { NodeSettings } from '../../config/options.ts'
import { startDaemon } from '../../control/daemon.ts'
import { createDaemonLogger, type LogFormat, type Logger, type LogLevel } from '../../logger.ts'
import { dataDirPaths, defaultDataDir, ensureDataDir } from '../../node/data-dir.ts'
import { gatewayAuth, type Output } from '../output.ts'

/** Options of `cord start`. */
export interface StartOptions {
  dir?: string
  config?: string
  listen?: string[]
  bootstrap?: string[]
  alias?: string
  /** Serve as a circuit relay. */
  relay?: boolean
  logLevel?: LogLevel
  /** stderr's log format; overrides `[log] format`. */
  logFormat?: LogFormat
  json?: boolean
}

/** Past this, a stop that hangs is cut short: the process exits anyway. */
const STOP_DEADLINE_SLACK_MS = 10_000

/** Flags override the file, field by field. */
function mergeFlags(file: NodeSettings, options: StartOptions): NodeSettings {
  return {
    ...file,
    ...(options.listen != null && options.listen.length > 0 ? { listen: options.listen } : {}),
    ...(options.bootstrap != null && options.bootstrap.length > 0 ? { bootstrap: options.bootstrap } : {}),
    ...(options.alias != null ? { alias: options.alias } : {}),
    ...(options.relay === true ? { relay: { ...file.relay, server: true } } : {}),
  }
}

/** Runs the daemon; resolves with the exit code once it has stopped. */
export async function startCommand(options: StartOptions, io: Output): Promise<number> {
  const paths = dataDirPaths(options.dir ?? defaultDataDir())
  await ensureDataDir(paths.dir, { alias: options.alias })
  const config = await loadConfigFile(options.config ?? paths.config, { optional: options.config == null })
  const { control, gateway, log: logging, ...settings } = config
  const { log, flush } = createDaemonLogger({
    level: options.logLevel ?? settings.logLevel,
    format: options.logFormat ?? logging.format,
    ...(logging.file
      ? { file: { dataDir: paths.dir, maxSize: logging.maxSize, maxFiles: logging.maxFiles } }
      : {}),
  })
  // Signal handlers go in before anything starts: a supervisor may send SIGTERM the moment it sees
  // the ready line, and without a handler that would kill the process without a clean stop.
  const signalled = onStopSignals(log, flush)
  // A stray error in one connection or handler must not take the whole node down.
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection'))
  process.on('uncaughtException', (err) => log.error({ err }, 'uncaught exception'))
  const daemon = await startDaemon({
    dir: paths.dir,
    node: mergeFlags(settings, options),
    controlListen: control.listen,
    gateway,
    log,
  })
  const { node } = daemon
  if (options.json === true) {
    const ready = {
      peerId: node.peerId,
      alias: node.alias,
      addrs: node.multiaddrs,
      control: daemon.controlUrl,
      gateway: daemon.gatewayUrl ?? null,
      gatewayTokenFile: daemon.gatewayTokenFile ?? null,
      metrics: node.metricsUrl ?? null,
      dir: paths.dir,
    }
    io.out(JSON.stringify(ready))
  } else {
    io.out(`cord node started\npeer ID  ${node.peerId}\nalias    ${node.alias}`)
    for (const addr of node.multiaddrs) io.out(`listen   ${addr}`)
    io.out(
      `control  ${daemon.controlUrl} (token in ${paths.control})\ngateway  ${daemon.gatewayUrl ?? 'off'} (MCP Streamable HTTP; \`cord mcp\` for stdio)${daemon.gatewayUrl != null ? `\n         ${gatewayAuth(daemon.gatewayTokenFile)}` : ''}\nmetrics  ${metricsLine(node.metricsUrl)}\ndata dir ${paths.dir}\nPress Ctrl+C to stop.`,
    )
  }
  const signal = await signalled
  log.info(
    '%s received: stopping (in-flight calls get %d ms to finish)',
    signal,
    node.options.shutdownGraceMs,
  )
  const deadline = setTimeout(() => {
    log.error('stop did not finish in time: exiting')
    flush()
    process.exit(1)
  }, node.options.shutdownGraceMs + STOP_DEADLINE_SLACK_MS)
  deadline.unref()
  try {
    await daemon.stop()
    return 0
  } catch (err) {
    log.error({ err }, 'stop failed')
    return 1
  } finally {
    flush()
  }
}

/** The metrics listener's line of the banner. */
function metricsLine(url: string | undefined): string {
  return url != null ? `${url}/metrics (also /health, /ready)` : 'off'
}

/** Resolves with the first SIGINT or SIGTERM; a second one exits at once. */
function onStopSignals(log: Logger, flush: () => void): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    let signals = 0
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++
      if (signals > 1) {
        log.warn('second %s: exiting without waiting', signal)
        flush()
        process.exit(130)
      }
      resolve(signal)
    }
    process.on('SIGINT', onSignal)
    process.on('SIGTERM', onSignal)
  })
}
