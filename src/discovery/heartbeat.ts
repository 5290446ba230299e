/**
 * Heartbeats on gossipsub topic `cord/heartbeat/1` (see protocols/heartbeat.md): small, signed
 * (StrictSign) JSON messages that say who a node is, where it listens, how loaded it is, and a digest
 * of its tool catalog. Validated with a zod schema at receipt; one whose claimed peer is not its
 * signer is rejected.
 */
import { createHash } from 'node:crypto'
import type { Message } from '@libp2p/gossipsub'
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import { ALIAS_PATTERN } from '../constants.ts'

/** Largest heartbeat accepted, in bytes. */
export const MAX_HEARTBEAT_BYTES = 4_096

/** Most addresses a heartbeat carries, and most of them relayed. */
export const MAX_HEARTBEAT_ADDRS = 16
const MAX_RELAYED_ADDRS = 4
/** Most peers a heartbeat names as connected to its sender (`links`, for the mesh graph). */
export const MAX_HEARTBEAT_LINKS = 8

/** The heartbeat payload. */
export const heartbeatSchema = z.strictObject({
  v: z.literal(1),
  peerId: z.string().min(1).max(128),
  alias: z.string().regex(ALIAS_PATTERN),
  addrs: z.array(z.string().max(256)).max(MAX_HEARTBEAT_ADDRS),
  seq: z.number().int().nonnegative(),
  load: z.strictObject({ inflight: z.number().int().nonnegative(), capacity: z.number().int().positive() }),
  uptimeMs: z.number().int().nonnegative(),
  version: z.string().max(32),
  tools: z.number().int().nonnegative(),
  digest: z.string().regex(/^[0-9a-f]{32}$/),
  /** How often this node publishes now, in ms (it stretches in large meshes); judged by it. */
  periodMs: z.number().int().positive().max(3_600_000).optional(),
  /** Cord peers this node has a connection to now (at most 8): edges of the mesh graph. */
  links: z.array(z.string().min(1).max(128)).max(MAX_HEARTBEAT_LINKS).optional(),
})

/** A heartbeat. */
export type Heartbeat = z.infer<typeof heartbeatSchema>

/** Why a heartbeat was refused. */
export type RejectReason = 'too-large' | 'not-json' | 'schema' | 'unsigned' | 'signer-mismatch'

/**
 * The addresses a heartbeat announces: the node's direct addresses, then its relayed ones
 * (`…/p2p/<relay>/p2p-circuit/p2p/<self>`). A host with many interfaces can have more than fit;
 * the relayed ones are kept (up to 4), since a node behind NAT is reachable only through them.
 */
export function heartbeatAddrs(addrs: string[]): string[] {
  // A relay's loopback address is of use only on the relay's own host: its other addresses first.
  const loopback = (a: string): boolean => a.startsWith('/ip4/127.') || a.startsWith('/ip6/::1/')
  const relayed = addrs
    .filter((a) => a.includes('/p2p-circuit'))
    .sort((a, b) => Number(loopback(a)) - Number(loopback(b)))
    .slice(0, MAX_RELAYED_ADDRS)
  const direct = addrs.filter((a) => !a.includes('/p2p-circuit'))
  return [...direct.slice(0, MAX_HEARTBEAT_ADDRS - relayed.length), ...relayed]
}

/** The `links` of a heartbeat: connected peers that are known Cord nodes, each once, at most 8. */
export function heartbeatLinks(connected: string[], known: (peerId: string) => boolean): string[] {
  return [...new Set(connected)].filter(known).sort().slice(0, MAX_HEARTBEAT_LINKS)
}

/** Encodes a heartbeat. */
export function encodeHeartbeat(heartbeat: Heartbeat): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(heartbeat))
}

/** Decodes and checks a received heartbeat message; the reason when it must be rejected. */
export function decodeHeartbeat(
  message: Message,
): { ok: true; heartbeat: Heartbeat } | { ok: false; reason: RejectReason } {
  if (message.type !== 'signed') return { ok: false, reason: 'unsigned' }
  if (message.data.byteLength > MAX_HEARTBEAT_BYTES) return { ok: false, reason: 'too-large' }
  let value: unknown
  try {
    value = JSON.parse(new TextDecoder().decode(message.data))
  } catch {
    return { ok: false, reason: 'not-json' }
  }
  const parsed = heartbeatSchema.safeParse(value)
  if (!parsed.success) return { ok: false, reason: 'schema' }
  if (parsed.data.peerId !== message.from.toString()) return { ok: false, reason: 'signer-mismatch' }
  return { ok: true, heartbeat: parsed.data }
}

/** A digest of a tool catalog: changes whenever a tool is added, removed or redefined. */
export function catalogDigest(tools: Tool[]): string {
  const hash = createHash('sha256')
  for (const tool of [...tools].sort((a, b) => a.name.localeCompare(b.name))) {
    hash.update(
      JSON.stringify([tool.name, tool.description ?? '', tool.inputSchema, tool.annotations ?? null]),
    )
    hash.update('\n')
  }
  return hash.digest('hex').slice(0, 32)
}
