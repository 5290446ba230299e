/**
 * Pagination of MCP lists (tools, resources, templates, prompts), both ways: the pages a node serves
 * (`PAGE_SIZE` items, an opaque cursor that is the offset of the next page), and following another
 * server's `nextCursor` to the end of its list.
 */
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js'

/** Items per page of a list a node serves. */
export const PAGE_SIZE = 100

/** One page of `items` from `cursor`, with `nextCursor` when more follow. */
export function page<T>(items: T[], cursor: string | undefined): { page: T[]; nextCursor?: string } {
  let offset = 0
  if (cursor != null) {
    const decoded = Number(Buffer.from(cursor, 'base64url').toString('utf8'))
    if (!Number.isInteger(decoded) || decoded < 0)
      throw new McpError(ErrorCode.InvalidParams, `invalid cursor: ${cursor}`)
    offset = decoded
  }
  const next = offset + PAGE_SIZE
  return {
    page: items.slice(offset, next),
    ...(next < items.length ? { nextCursor: Buffer.from(String(next)).toString('base64url') } : {}),
  }
}

/** At most this many pages: a server that never stops paginating is cut off. */
const MAX_PAGES = 1_000

/** Collects every item of a paginated MCP listing. */
export async function listAll<P extends { nextCursor?: string }, T>(
  page: (cursor: string | undefined) => Promise<P>,
  items: (page: P) => T[],
): Promise<T[]> {
  const all: T[] = []
  let cursor: string | undefined
  for (let i = 0; i < MAX_PAGES; i++) {
    const result = await page(cursor)
    all.push(...items(result))
    cursor = result.nextCursor
    if (cursor == null) break
  }
  return all
}
