/**
 * Pagination of the lists a node serves (tools, resources, templates, prompts): pages of
 * `PAGE_SIZE`, with an opaque cursor that is the offset of the next page.
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
