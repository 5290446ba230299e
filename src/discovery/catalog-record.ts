/**
 * Catalog records (see protocols/catalog.md): a node's tools as it shows them to every caller, signed
 * with the node's own libp2p key over canonical bytes, so that any node may hand a record on and none
 * can forge one. Built from the registry and the access rules; checked at receipt (size, JSON,
 * schema, signature by the peer the record names).
 */
import type { PrivateKey } from '@libp2p/interface'
import { peerIdFromString } from '@libp2p/peer-id'
import { type Tool, ToolSchema } from '@modelcontextprotocol/sdk/types.js'
import { z } from 'zod'
import type { AccessPolicy } from '../admission/acl.ts'
import { canonicalJson } from '../util/canonical-json.ts'

/** Largest catalog record accepted or published, in bytes of UTF-8 JSON. */
export const MAX_CATALOG_RECORD_BYTES = 256 * 1024

/** Most peers a record names as seeing more than its tools. */
export const MAX_RESTRICTED_FOR = 256

/** Prefix of the signed bytes: a signature over a record can never pass for one over anything else. */
const SIGNING_PREFIX = 'cord/catalog-record/1\n'

/** Every peer: each one pulls its own view from the provider (see `restrictedFor`). */
export const EVERY_PEER = '*'

/** A catalog record, as it travels. */
export const catalogRecordSchema = z.strictObject({
  v: z.literal(1),
  peerId: z.string().min(1).max(128),
  /** The digest the provider's heartbeats announce (of all its tools). */
  digest: z.string().regex(/^[0-9a-f]{32}$/),
  /** Grows with each record of the provider (ms since the epoch when it was made, at least last + 1). */
  seq: z.number().int().nonnegative(),
  /** The tools the provider shows to every caller. */
  tools: z.array(ToolSchema).max(4_096),
  /** Peers that may see tools beyond `tools` and pull their own list; `*`: every peer. */
  restrictedFor: z.array(z.string().min(1).max(128)).max(MAX_RESTRICTED_FOR).optional(),
  /** Ed25519 signature by `peerId`'s key, base64, over the prefix and the canonical JSON of the rest. */
  sig: z.string().max(200),
})

/** A catalog record. */
export type CatalogRecord = z.infer<typeof catalogRecordSchema>

/** Why a record was refused. */
export type RecordRejectReason = 'too-large' | 'not-json' | 'schema' | 'signature' | 'signer-mismatch'

const encoder = new TextEncoder()
const decoder = new TextDecoder('utf-8', { fatal: true })

/** The bytes a record's signature covers. */
export function signingBytes(record: Omit<CatalogRecord, 'sig'>): Uint8Array {
  const { sig: _sig, ...unsigned } = record as CatalogRecord
  return encoder.encode(SIGNING_PREFIX + canonicalJson(unsigned))
}

/** Signs a record with the node's key; the record and its wire bytes. */
export async function signRecord(
  unsigned: Omit<CatalogRecord, 'sig'>,
  key: PrivateKey,
): Promise<{ record: CatalogRecord; bytes: Uint8Array }> {
  const sig = Buffer.from(await key.sign(signingBytes(unsigned))).toString('base64')
  const record: CatalogRecord = { ...unsigned, sig }
  return { record, bytes: encoder.encode(JSON.stringify(record)) }
}

/** A decoded record, or why it is refused. */
export type DecodedRecord =
  | { ok: true; record: CatalogRecord }
  | { ok: false; reason: RecordRejectReason; detail: string }

/**
 * Decodes and verifies a record's bytes: its signature must be by the key of the peer it names
 * (`signer`, when given, must be that peer too: the gossip sender of a record is its provider).
 */
export async function decodeRecord(bytes: Uint8Array, signer?: string): Promise<DecodedRecord> {
  if (bytes.byteLength > MAX_CATALOG_RECORD_BYTES)
    return { ok: false, reason: 'too-large', detail: `${bytes.byteLength} bytes` }
  let value: unknown
  try {
    value = JSON.parse(decoder.decode(bytes))
  } catch (err) {
    return { ok: false, reason: 'not-json', detail: (err as Error).message }
  }
  const parsed = catalogRecordSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    return { ok: false, reason: 'schema', detail: `${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}` }
  }
  // The signature covers the record as sent: a schema that drops unknown keys must not change it.
  const record = value as CatalogRecord
  if (signer != null && signer !== record.peerId)
    return { ok: false, reason: 'signer-mismatch', detail: `sent by ${signer}, names ${record.peerId}` }
  if (!(await verifies(record)))
    return { ok: false, reason: 'signature', detail: `not signed by ${record.peerId}` }
  return { ok: true, record }
}

/** Whether the record's signature is by the key of the peer it names. */
async function verifies(record: CatalogRecord): Promise<boolean> {
  try {
    const key = peerIdFromString(record.peerId).publicKey
    if (key == null) return false // an RSA peer ID does not carry its key
    return await key.verify(signingBytes(record), Buffer.from(record.sig, 'base64'))
  } catch {
    return false
  }
}

/**
 * What of `tools` a shared record may carry under the access rules: the tools every caller may see,
 * and the peers that may see more (they pull their own list from the provider). When a tool is shown
 * to unnamed callers but not to every named one, no list of names covers those who see more: then
 * `restrictedFor` is `['*']` and every peer pulls its own list. Hidden tools are never in `tools`.
 */
export function shareable(
  tools: Tool[],
  policy: Pick<AccessPolicy, 'open' | 'allows' | 'namedPeers'>,
): { tools: Tool[]; restrictedFor?: string[] } {
  if (policy.open) return { tools }
  const named = policy.namedPeers()
  // A peer ID no rule names: '' is never one (the schema asks for non-empty IDs).
  const stranger = (t: Tool): boolean => policy.allows('', t.name)
  const everyone = (t: Tool): boolean => stranger(t) && named.every((p) => policy.allows(p, t.name))
  const shared = tools.filter(everyone)
  const rest = tools.filter((t) => !everyone(t))
  if (rest.length === 0) return { tools: shared }
  if (rest.some(stranger)) return { tools: shared, restrictedFor: [EVERY_PEER] }
  const more = named.filter((p) => rest.some((t) => policy.allows(p, t.name)))
  if (more.length === 0) return { tools: shared }
  return { tools: shared, restrictedFor: more.length > MAX_RESTRICTED_FOR ? [EVERY_PEER] : more }
}

/** Whether `peerId` is told by `record` to pull its own list from the provider. */
export function pullsOwnList(record: CatalogRecord, peerId: string): boolean {
  return record.restrictedFor?.some((p) => p === EVERY_PEER || p === peerId) ?? false
}
