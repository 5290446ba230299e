/**
 * Tool-definition pinning: a tool's definition hash is the SHA-256 (hex) of its name, description
 * and input schema as canonical JSON (object keys sorted). A caller that sends a hash with a call
 * (`_meta["cord/pin"]`) has it refused when the provider's definition no longer matches.
 */
import { createHash } from 'node:crypto'
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import { canonicalJson } from '../util/canonical-json.ts'

/** `_meta` key of a call request that carries the pinned definition hash. */
export const PIN_META = 'cord/pin'

/** The definition hash of `tool`. */
export function definitionHash(tool: Pick<Tool, 'name' | 'description' | 'inputSchema'>): string {
  const canonical = canonicalJson({
    name: tool.name,
    description: tool.description ?? '',
    inputSchema: tool.inputSchema,
  })
  return createHash('sha256').update(canonical).digest('hex')
}

/** The pinned hash for a call served by `peerId`: one hash for every provider, or one per provider. */
export function pinFor(pin: string | Record<string, string> | undefined, peerId: string): string | undefined {
  return typeof pin === 'string' ? pin : pin?.[peerId]
}
