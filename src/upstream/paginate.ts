/** Follows MCP pagination (`nextCursor`) to the end of a listing. */

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
