/**
 * Parsed peer IDs, remembered: parsing one (base58, multihash, the Ed25519 key inside) took a tenth
 * of a mesh call's CPU time when every call parsed its target again.
 */
import type { PeerId } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'

/** Most strings remembered; past it the memory starts over (targets are few: the peers a node calls). */
const MAX_REMEMBERED = 1_024

const parsed = new Map<string, PeerId | null>()

/** The peer ID written as `text`, or undefined when it is not one (an alias, say). */
export function readPeerId(text: string): PeerId | undefined {
  let peer = parsed.get(text)
  if (peer === undefined) {
    try {
      peer = peerIdFromString(text)
    } catch {
      peer = null
    }
    if (parsed.size >= MAX_REMEMBERED) parsed.clear()
    parsed.set(text, peer)
  }
  return peer ?? undefined
}
