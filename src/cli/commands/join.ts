/** `cord connect ADDR` and `cord disconnect PEER`: join a running daemon to a node, or hang up. */
import { DIAL_TIMEOUT_MS } from '../../constants.ts'
import { json, type Output } from '../output.ts'
import { type DirOption, daemon } from './daemon-client.ts'

/** Options of `cord connect`. */
export interface ConnectOptions extends DirOption {
  keep?: boolean
  timeout?: number
  json?: boolean
}

/** `cord connect ADDR`: the daemon dials ADDR (a full multiaddr ending in /p2p/<peer ID>). */
export async function connectCommand(addr: string, options: ConnectOptions, io: Output): Promise<void> {
  const client = await daemon(options)
  const joined = await client.request<{ peerId: string; keep: boolean }>(
    'POST',
    '/v1/connect',
    { addr, keep: options.keep === true, ...(options.timeout != null ? { timeout: options.timeout } : {}) },
    options.timeout ?? DIAL_TIMEOUT_MS,
  )
  if (options.json === true) return io.out(json(joined))
  io.out(
    `connected to ${joined.peerId}` +
      (joined.keep ? ', kept connected (redialled whenever the connection drops)' : ''),
  )
}

/** `cord disconnect PEER`: hangs up on PEER and stops keeping it connected. */
export async function disconnectCommand(
  peer: string,
  options: DirOption & { json?: boolean },
  io: Output,
): Promise<void> {
  const left = await (await daemon(options)).request<{
    peerId: string
    wasConnected: boolean
    wasKept: boolean
  }>('POST', '/v1/disconnect', { peer })
  if (options.json === true) return io.out(json(left))
  const what = [
    left.wasConnected ? 'hung up' : 'was not connected',
    ...(left.wasKept ? ['no longer kept'] : []),
  ]
  io.out(`disconnected from ${left.peerId} (${what.join('; ')})`)
}
