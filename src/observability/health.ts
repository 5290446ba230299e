/**
 * Liveness and readiness, as `/health` and `/ready` answer them. Liveness: the process serves.
 * Readiness: the node listens, it has a peer (or was given no bootstrap peer to wait for), and no
 * hosted server has failed for good.
 */

/** What readiness is judged from. */
export interface ReadinessInput {
  /** The node is running and its libp2p host listens on at least one address. */
  listening: boolean
  /** Its addresses, for the reason. */
  addrs: number
  /** Bootstrap peers configured. */
  bootstrap: number
  /** Peers connected now. */
  connectedPeers: number
  /** Hosted servers in state `failed`. */
  failedServers: string[]
}

/** One check of readiness. */
export interface ReadinessCheck {
  name: 'listening' | 'peers' | 'servers'
  ok: boolean
  reason: string
}

/** The answer of `/ready`. */
export interface ReadinessReport {
  ready: boolean
  checks: ReadinessCheck[]
}

/** Judges readiness; each check says why it passes or fails. */
export function readiness(input: ReadinessInput): ReadinessReport {
  const checks: ReadinessCheck[] = [
    {
      name: 'listening',
      ok: input.listening,
      reason: input.listening
        ? `listening on ${input.addrs} addresses`
        : 'the node is not running or has no address',
    },
    peersCheck(input),
    {
      name: 'servers',
      ok: input.failedServers.length === 0,
      reason:
        input.failedServers.length === 0
          ? 'no hosted server has failed'
          : `hosted servers failed: ${input.failedServers.join(', ')}`,
    },
  ]
  return { ready: checks.every((c) => c.ok), checks }
}

function peersCheck(input: ReadinessInput): ReadinessCheck {
  if (input.connectedPeers > 0)
    return { name: 'peers', ok: true, reason: `${input.connectedPeers} peers connected` }
  if (input.bootstrap === 0)
    return { name: 'peers', ok: true, reason: 'no peer connected, and no bootstrap peer configured' }
  return {
    name: 'peers',
    ok: false,
    reason: `no peer connected yet (${input.bootstrap} bootstrap peers configured)`,
  }
}
