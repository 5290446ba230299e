import type { PeerId } from '@libp2p/interface'
import { type Multiaddr, multiaddr } from '@multiformats/multiaddr'
import { InvalidArgumentError } from '../errors.ts'
import { readPeerId } from '../util/peer-ids.ts'

/** The peer ID written as `target`, or an error that says what was expected. */
export function parsePeerId(target: string): PeerId {
  const peer = readPeerId(target)
  if (peer == null)
    throw new InvalidArgumentError(
      `not a peer ID: ${JSON.stringify(target)} (expected a base58 peer ID such as 12D3KooW…)`,
    )
  return peer
}

/** A full peer address: a multiaddr that ends in /p2p/<peer ID>. */
export interface PeerAddress {
  addr: Multiaddr
  peer: PeerId
}

/** Whether `target` is written as a multiaddr (it starts with a slash) rather than a peer ID or alias. */
export function isAddressTarget(target: string): boolean {
  return target.startsWith('/')
}

/** Parses a full peer address, or throws an error that says what is wrong with it. */
export function parsePeerAddress(text: string): PeerAddress {
  let addr: Multiaddr
  try {
    addr = multiaddr(text)
  } catch (err) {
    throw new InvalidArgumentError(
      `not a multiaddr: ${JSON.stringify(text)} (${(err as Error).message}; expected e.g. /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW…)`,
    )
  }
  const last = addr.getComponents().at(-1)
  if (last?.name !== 'p2p' || last.value == null)
    throw new InvalidArgumentError(
      `the address ${text} does not say which peer it reaches: expected it to end in /p2p/<peer ID> (as printed by \`cord id\`)`,
    )
  return { addr, peer: parsePeerId(last.value) }
}
