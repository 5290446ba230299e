/**
 * Field validators of the settings schema (schema.ts) and of CLI flags (cli/program.ts), so that a
 * value is checked the same way wherever it comes from.
 */
import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { z } from 'zod'
import { ALIAS_PATTERN, LOG_LEVELS } from '../constants.ts'

function isMultiaddr(value: string): boolean {
  try {
    multiaddr(value)
    return true
  } catch {
    return false
  }
}

/** A multiaddr a node can listen on, such as `/ip4/0.0.0.0/tcp/4001`. */
export const listenAddr = z
  .string()
  .refine(isMultiaddr, { message: 'expected a multiaddr such as /ip4/0.0.0.0/tcp/4001' })
  .refine((v) => !v.includes('/p2p/'), { message: 'a listen address must not contain /p2p/<peer ID>' })

/**
 * An address to announce besides the listen addresses: a multiaddr without `/p2p/`, such as
 * `/ip4/198.51.100.7/tcp/4001` or `/dns4/relay.example.com/tcp/4001`.
 */
export const announceAddr = z
  .string()
  .refine(isMultiaddr, { message: 'expected a multiaddr such as /ip4/198.51.100.7/tcp/4001' })
  .refine((v) => !v.includes('/p2p/') && !v.includes('/p2p-circuit'), {
    message: 'an announced address must not contain /p2p/ or /p2p-circuit (this node adds its peer ID)',
  })

/** A multiaddr of another node, ending in `/p2p/<peer ID>` so that it can be checked and kept. */
export const peerAddr = z
  .string()
  .refine(isMultiaddr, { message: 'expected a multiaddr such as /ip4/192.0.2.7/tcp/4001/p2p/12D3Koo…' })
  .refine(
    (v) =>
      multiaddr(v)
        .getComponents()
        .some((c) => c.name === 'p2p'),
    {
      message: 'expected the full address ending in /p2p/<peer ID> (as printed by `cord start` or `cord id`)',
    },
  )

/** A node's short human name. */
export const alias = z.string().regex(ALIAS_PATTERN, {
  message: 'expected 1–32 characters: letters, digits, ".", "_" or "-", starting with a letter or digit',
})

/** A duration or size: a whole number above zero. */
export const positiveInt = z.number().int().positive()

/** A limit where 0 means none: a whole number, zero or above. */
export const limitInt = z.number().int().nonnegative()

/** A log level name. */
export const logLevel = z.enum(LOG_LEVELS)

/** `host:port` of the control API; the host must be a loopback address. */
export const loopbackHostPort = z
  .string()
  .regex(/^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost):\d{1,5}$/, {
    message: 'expected a loopback host:port such as 127.0.0.1:0 (the control API never leaves this host)',
  })

/** `host:port` of a listener that may leave this host (the MCP gateway). */
export const hostPort = z.string().regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, {
  message: 'expected host:port such as 127.0.0.1:0 or 0.0.0.0:7411',
})

function isPeerId(value: string): boolean {
  try {
    peerIdFromString(value)
    return true
  } catch {
    return false
  }
}

/** A peer ID, such as `12D3KooW…`. */
export const peerIdField = z
  .string()
  .refine(isPeerId, { message: 'expected a peer ID such as 12D3KooW… (cord id prints it)' })

/** A peer ID, or `*` for every peer (in access rules). */
export const peerPattern = z.string().refine((v) => v === '*' || isPeerId(v), {
  message: 'expected a peer ID such as 12D3KooW…, or "*" for every peer',
})
