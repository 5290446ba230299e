/**
 * A relay server's settings, from `[relay]`: how many clients it holds a reservation for, for how
 * long, and what one relayed connection may carry. libp2p's own defaults (2 min and 128 KiB per
 * connection) are meant for coordinating a hole punch only; a Cord relay carries MCP sessions
 * between nodes that cannot punch one, so by default it sets no limit on a relayed connection.
 * A limit, once set, makes each relayed connection "limited": libp2p opens only the protocols
 * that allow it on one (see README, Across networks), and the relay resets it at the limit.
 */
import type { CircuitRelayServerInit } from '@libp2p/circuit-relay-v2'
import type { ResolvedNodeSettings } from '../config/schema.ts'

/** The longest timer Node keeps (≈ 24.8 days): "no duration limit" when only a data limit is set. */
const NO_DURATION_LIMIT_MS = 2 ** 31 - 1
/** "No data limit" when only a duration limit is set. */
const NO_DATA_LIMIT = 2n ** 63n - 1n

/** The circuit relay server's init from `[relay]`. */
export function relayServerInit(relay: ResolvedNodeSettings['relay']): CircuitRelayServerInit {
  const limited = relay.maxDurationMs > 0 || relay.maxDataBytes > 0
  return {
    reservations: {
      maxReservations: relay.maxReservations,
      reservationTtl: relay.reservationTtlMs,
      applyDefaultLimit: limited,
      defaultDurationLimit: relay.maxDurationMs > 0 ? relay.maxDurationMs : NO_DURATION_LIMIT_MS,
      defaultDataLimit: relay.maxDataBytes > 0 ? BigInt(relay.maxDataBytes) : NO_DATA_LIMIT,
    },
  }
}
