/**
 * Catalog names of upstream tools and prompts: `<server>__<name>`, valid for common MCP clients
 * (letters, digits, `_`, `-`; at most 64 characters). A name that does not fit as it is (another
 * character, or too long) has its other characters replaced by `_`, is cut to 57 characters, and
 * gets `_` plus the first 6 hex digits of the SHA-256 of `<server>__<name>`: unique (two names that
 * differ only in a replaced character still differ) and the same across restarts.
 */
import { createHash } from 'node:crypto'

/** Separator between the server name and the upstream's own name. */
export const SEPARATOR = '__'

import { MAX_TOOL_NAME_LENGTH as MAX_LENGTH } from '../constants.ts'

const HASH_LENGTH = 6

/** The catalog name of `name` from server `server`. */
export function catalogName(server: string, name: string): string {
  const full = `${server}${SEPARATOR}${name}`
  const plain = full.replace(/[^A-Za-z0-9_-]/g, '_')
  if (plain === full && plain.length <= MAX_LENGTH) return plain
  const hash = createHash('sha256').update(full).digest('hex').slice(0, HASH_LENGTH)
  return `${plain.slice(0, MAX_LENGTH - HASH_LENGTH - 1)}_${hash}`
}
