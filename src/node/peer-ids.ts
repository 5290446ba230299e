import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { InvalidArgumentError } from '../errors.ts'

/** Parsed peer IDs: parsing (base58, multihash) is a visible part of a call's cost on a hot path. */
const peerIds = new Map<string, PeerId>()

export function parsePeerId(target: string): PeerId {
  const cached = peerIds.get(target)
  if (cached != null) return cached
  let peer: PeerId
  try {
    peer = peerIdFromString(target)
  } catch {
    throw new InvalidArgumentError(
      `not a peer ID: ${JSON.stringify(target)} (expected a base58 peer ID such as 12D3KooW…)`,
    )
  }
  if (peerIds.size >= 1_024) peerIds.clear()
  peerIds.set(target, peer)
  return peer
}
