/**
 * Names of the gateway's catalog. A tool name served with one definition (same name, same input
 * schema) by one or more peers keeps its name and is routed among those peers. Definitions that
 * differ but share a name are told apart by a peer label: `<name>__<label>`, where the label is the
 * peer's alias when no other peer carries it, else the last 8 characters of its peer ID. Every name
 * is valid for common MCP clients (letters, digits, `_`, `-`, at most 64 characters); one that does
 * not fit is cut and made unique with a hash, as for upstream names.
 */
import { createHash } from 'node:crypto'
import { MAX_TOOL_NAME_LENGTH as MAX_LENGTH } from '../constants.ts'
import type { Provider } from '../node/mesh-catalog.ts'

const VALID = /^[A-Za-z0-9_-]+$/

/** A named thing of one definition, with the peers that serve it. */
export interface Named<T> {
  /** The name the gateway shows. */
  name: string
  /** The name at the serving peers. */
  original: string
  /** The definition (of the first provider, by peer ID). */
  item: T
  /** Peers serving it, sorted by peer ID. */
  providers: Provider[]
  /** Each provider's own definition (they agree on the key, not necessarily on everything else). */
  items: Map<string, T>
}

/** A short, stable label for each peer: its alias when unique and valid, else a peer ID suffix. */
export function peerLabels(providers: Provider[]): Map<string, string> {
  const aliasOwners = new Map<string, Set<string>>()
  for (const p of providers) {
    if (p.alias == null) continue
    const owners = aliasOwners.get(p.alias) ?? new Set()
    owners.add(p.peerId)
    aliasOwners.set(p.alias, owners)
  }
  const labels = new Map<string, string>()
  for (const p of providers) {
    const alias = p.alias
    const unique =
      alias != null && aliasOwners.get(alias)?.size === 1 && VALID.test(alias) && alias.length <= 24
    labels.set(p.peerId, unique ? alias : p.peerId.slice(-8))
  }
  return labels
}

/** `name` made valid and at most 64 characters, with `suffix` kept whole. */
export function fitName(name: string, suffix = ''): string {
  const full = `${name}${suffix}`
  const plain = name.replace(/[^A-Za-z0-9_-]/g, '_')
  if (plain === name && full.length <= MAX_LENGTH) return full
  const hash = createHash('sha256').update(name).digest('hex').slice(0, 6)
  return `${plain.slice(0, MAX_LENGTH - suffix.length - hash.length - 1)}_${hash}${suffix}`
}

/**
 * Names items of the mesh. `key` tells definitions apart (two items with the same name and key are
 * one, served by several peers).
 */
export function nameItems<T>(
  items: Array<{ original: string; item: T; provider: Provider }>,
  key: (item: T) => string,
  labels: Map<string, string>,
): Array<Named<T>> {
  const byName = new Map<string, Map<string, Named<T>>>()
  for (const { original, item, provider } of items) {
    const defs = byName.get(original) ?? new Map<string, Named<T>>()
    byName.set(original, defs)
    const k = key(item)
    const named = defs.get(k) ?? {
      name: original,
      original,
      item,
      providers: [],
      items: new Map<string, T>(),
    }
    if (!named.providers.some((p) => p.peerId === provider.peerId)) named.providers.push(provider)
    named.items.set(provider.peerId, item)
    defs.set(k, named)
  }
  const out: Array<Named<T>> = []
  const taken = new Set<string>()
  for (const [original, defs] of [...byName].sort(([a], [b]) => a.localeCompare(b))) {
    const groups = [...defs.values()]
    for (const g of groups) g.providers.sort((a, b) => a.peerId.localeCompare(b.peerId))
    groups.sort((a, b) => a.providers[0]!.peerId.localeCompare(b.providers[0]!.peerId))
    for (const g of groups) {
      const first = g.providers[0]!.peerId
      let name = groups.length === 1 ? fitName(original) : fitName(original, `__${labels.get(first)}`)
      if (taken.has(name)) name = fitName(original, `__${first.slice(-12)}`)
      taken.add(name)
      g.item = g.items.get(first) ?? g.item
      out.push({ ...g, name })
    }
  }
  return out
}

/** "served by a, b (+3 more)": the providers of an item, for descriptions. */
export function servedBy(providers: Provider[], labels: Map<string, string>): string {
  const shown = providers.slice(0, 3).map((p) => labels.get(p.peerId) ?? p.peerId)
  const more = providers.length > 3 ? ` (+${providers.length - 3} more)` : ''
  return `served by ${shown.join(', ')}${more}`
}
