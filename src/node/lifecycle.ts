/**
 * The order in which a node's parts start and stop: listening first (a taken port stops the start
 * before anything else has begun), serving before dialling, and on the way down, refusing new work
 * before draining what runs, then closing the host and stores last.
 */
import { ABORT_SETTLE_MS, UPSTREAM_START_WAIT_MS } from '../constants.ts'
import type { MetricsServer } from '../observability/server.ts'
import { listenError } from './errors.ts'
import type { NodeParts } from './parts.ts'

/** Starts every part. On a failure before the host listens, undoes what started and throws. */
export async function startParts(parts: NodeParts, metrics: MetricsServer | undefined): Promise<void> {
  const { host, mcp, hub, keepAlive, discovery, calls, datastore, topics, messenger } = parts
  try {
    // First: a metrics port that is taken stops the start before anything else has begun.
    await metrics?.start()
    // Before the host starts: mDNS asks the LAN as it starts, and the answers come at once.
    parts.lan?.start()
    parts.unidentified.start()
    await Promise.resolve(host.start()).catch((err: Error) => Promise.reject(listenError(err)))
  } catch (err) {
    parts.lan?.stop()
    parts.unidentified.stop()
    await metrics?.stop()
    await Promise.resolve(host.stop()).catch(() => {})
    await datastore?.close().catch(() => {})
    throw err
  }
  await mcp.start()
  await messenger.start()
  topics.start()
  await hub?.start(UPSTREAM_START_WAIT_MS)
  await keepAlive.start()
  discovery.start()
  parts.staleLinks.start()
  calls.open()
}

/** What stopping needs beside the parts. */
export interface StopInit {
  reason: Error
  /** How long calls in flight (both ways) may go on. */
  graceMs: number
  metrics: MetricsServer | undefined
  /** Runs once no call is in flight any more (the demo tools leave then). */
  drained: () => void
}

/** Stops every part: new work refused, work in flight drained (then failed), then all closed. */
export async function stopParts(parts: NodeParts, init: StopInit): Promise<void> {
  const { host, mcp, pool, hub, keepAlive, discovery, calls, registry, datastore, topics, messenger } = parts
  const { reason, graceMs } = init
  discovery.stop()
  topics.stop()
  await messenger.stop(reason)
  parts.staleLinks.stop()
  parts.unidentified.stop()
  parts.lan?.stop()
  calls.close()
  await mcp.stopAccepting()
  await Promise.all([registry.drain(graceMs, reason), calls.settle(graceMs)])
  calls.abort(reason)
  await calls.settle(ABORT_SETTLE_MS)
  await keepAlive.stop()
  await Promise.allSettled([mcp.closeSessions(), pool.closeAll(), hub?.stop()])
  init.drained()
  await init.metrics?.stop()
  await host.stop()
  await datastore?.close()
  // Last: the spans of the calls that stop() ended are sent too.
  await parts.tracing
    .shutdown()
    .catch((err: Error) => parts.log.warn({ err }, 'could not send the last spans'))
}
