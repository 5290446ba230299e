/** Small DOM helpers: every text goes in as text (peers' aliases and tool descriptions are not trusted). */

/** The element with `id`, which the page must have. */
export function byId<T extends HTMLElement>(id: string): T {
  const el = document.getElementById(id)
  if (el == null) throw new Error(`the page has no #${id}`)
  return el as T
}

/** A new element with text content and attributes. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attrs: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  if (text != null) node.textContent = text
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v)
  return node
}

/** A table row of cells (strings, or elements). */
export function row(
  cells: Array<string | HTMLElement>,
  attrs: Record<string, string> = {},
): HTMLTableRowElement {
  const tr = el('tr', undefined, attrs)
  for (const cell of cells) {
    const td = el('td')
    if (typeof cell === 'string') td.textContent = cell
    else td.append(cell)
    tr.append(td)
  }
  return tr
}

/** Replaces a table body's rows; a single row saying `empty` when there are none. */
export function fillBody(table: HTMLTableElement, rows: HTMLTableRowElement[], empty: string): void {
  const body = table.tBodies[0]!
  if (rows.length === 0) {
    const td = el('td', empty, { colspan: String(table.tHead?.rows[0]?.cells.length ?? 1), class: 'empty' })
    const tr = el('tr')
    tr.append(td)
    body.replaceChildren(tr)
  } else body.replaceChildren(...rows)
}

/** `12D3KooW…abcdef`: a peer ID short enough for a table (the whole one in its title). */
export function shortId(peerId: string): string {
  return peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-6)}` : peerId
}

/** A duration, readably: `850 ms`, `4.2 s`, `3 min`, `2 h 5 min`. */
export function duration(ms: number): string {
  if (ms < 1_000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min`
  return `${Math.floor(ms / 3_600_000)} h ${Math.floor((ms % 3_600_000) / 60_000)} min`
}

/** A state badge: the word, with a colour that repeats it (never colour alone). */
export function badge(state: string): HTMLElement {
  return el('span', state, { class: `badge ${state}` })
}
