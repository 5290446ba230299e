/**
 * Joining the mesh at run time: `node.connect()` (`cord connect`), `node.disconnect()` and
 * `node.waitForPeers()`.
 */
import { DIAL_TIMEOUT_MS } from '../constants.ts'
import type { PeerTable } from '../discovery/peer-table.ts'
import {
  CallTimeoutError,
  InvalidArgumentError,
  PeerUnreachableError,
  UnknownTargetError,
} from '../errors.ts'
import type { Logger } from '../logger.ts'
import { raceSignal } from '../util/async.ts'
import type { Host } from './host.ts'
import type { KeepAlive } from './keep-alive.ts'
import { isAddressTarget, parsePeerAddress, parsePeerId } from './peer-ids.ts'

/** What joining needs of the node. */
export interface JoiningParts {
  host: Host
  keepAlive: KeepAlive
  log: Logger
}

/** Dials `addr` (a full multiaddr); with `keep`, keeps the peer connected from now on. */
export async function connectTo(
  { host, keepAlive, log }: JoiningParts,
  addr: string,
  options: { keep?: boolean; signal?: AbortSignal; timeout?: number },
): Promise<{ peerId: string; keep: boolean }> {
  const { addr: target, peer } = parsePeerAddress(addr)
  if (peer.equals(host.peerId)) throw new InvalidArgumentError(`${addr} is this node's own address`)
  const timeout = options.timeout ?? DIAL_TIMEOUT_MS
  const signal = AbortSignal.any([
    AbortSignal.timeout(timeout),
    ...(options.signal != null ? [options.signal] : []),
  ])
  try {
    await host.dial(target, { signal })
  } catch (err) {
    if (options.signal?.aborted) throw options.signal.reason
    const why = signal.aborted ? `no connection within ${timeout} ms` : (err as Error).message
    throw new PeerUnreachableError(`cannot connect to ${addr}: ${why}`)
  }
  const keep = options.keep === true
  if (keep) await keepAlive.keep(target)
  log.info({ peer: peer.toString(), addr, keep }, 'connected on request')
  return { peerId: peer.toString(), keep }
}

/** Hangs up on `peer` (a peer ID or full multiaddr) and stops keeping it connected. */
export async function disconnectFrom(
  { host, keepAlive, log }: JoiningParts,
  peer: string,
): Promise<{ peerId: string; wasConnected: boolean; wasKept: boolean }> {
  const id = isAddressTarget(peer) ? parsePeerAddress(peer).peer : parsePeerId(peer)
  const wasConnected = host.getConnections(id).some((c) => c.status === 'open')
  const wasKept = await keepAlive.release(id)
  if (!wasConnected && !wasKept)
    throw new UnknownTargetError(`not connected to peer ${id.toString()}, and not keeping it connected`)
  await host.hangUp(id)
  log.info({ peer: id.toString(), wasKept }, 'disconnected on request')
  return { peerId: id.toString(), wasConnected, wasKept }
}

/** Resolves once `count` peers of `table` are alive; see `CordNode.waitForPeers`. */
export async function waitForAlive(
  table: PeerTable,
  count: number,
  options: { signal?: AbortSignal; timeout?: number; bootstrap: string[] },
): Promise<void> {
  if (!Number.isInteger(count) || count < 0)
    throw new InvalidArgumentError(`count must be a whole number of peers, got ${count}`)
  const alive = (): number => table.list().filter((p) => p.state === 'alive').length
  if (alive() >= count) return
  const { promise, resolve, reject } = Promise.withResolvers<void>()
  const check = (): void => {
    if (alive() >= count) resolve()
  }
  const { timeout, bootstrap } = options
  const timer =
    timeout != null
      ? setTimeout(() => {
          const from = bootstrap.length > 0 ? `bootstrap: ${bootstrap.join(', ')}` : 'no bootstrap peers'
          reject(
            new CallTimeoutError(`only ${alive()} of ${count} peers alive after ${timeout} ms (${from})`),
          )
        }, timeout)
      : undefined
  table.addEventListener('state', check)
  try {
    await raceSignal(promise, options.signal ?? new AbortController().signal)
  } finally {
    clearTimeout(timer)
    table.removeEventListener('state', check)
  }
}
