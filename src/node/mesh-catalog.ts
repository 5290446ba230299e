/** The mesh catalog: the tools of this node and of the live peers, merged by name; and the DHT's providers of a tool. */
import { FIND_TIMEOUT_MS } from '../constants.ts'
import { describeProviders, type FoundProvider, findProviders } from '../discovery/dht.ts'
import type { PeerTable } from '../discovery/peer-table.ts'
import type { NodeParts } from './parts.ts'
import type { CallOptions, Tool } from './types.ts'

/** A peer that serves a tool. */
export interface Provider {
  peerId: string
  alias?: string
  state: string
}

/** One tool of one peer. */
export interface MeshTool {
  tool: Tool
  provider: Provider
}

/** A tool name of the mesh with every peer that serves a tool of that name. */
export type MeshCatalogEntry = Tool & { providers: Provider[] }

/** Merges the tools of the mesh by name (the first definition stands for all), sorted by name. */
export function mergeCatalog(tools: MeshTool[]): MeshCatalogEntry[] {
  const byName = new Map<string, MeshCatalogEntry>()
  for (const { tool, provider } of tools) {
    const entry = byName.get(tool.name) ?? { ...tool, providers: [] }
    entry.providers.push(provider)
    byName.set(tool.name, entry)
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name))
}

/** The tools of this node (`own`) and of every peer of `table` that is not dead. */
export function collectMeshTools(
  self: { peerId: string; alias: string },
  own: Tool[],
  table: PeerTable,
): MeshTool[] {
  const tools: MeshTool[] = own.map((tool) => ({ tool, provider: { ...self, state: 'alive' } }))
  for (const peer of table.list()) {
    if (peer.state === 'dead') continue
    const provider = {
      peerId: peer.peerId,
      ...(peer.alias != null ? { alias: peer.alias } : {}),
      state: peer.state,
    }
    for (const tool of peer.tools ?? []) tools.push({ tool, provider })
  }
  return tools
}

/** Providers of tool `name` from the DHT (this node first when it serves the tool), with what the peer table knows of them. */
export async function findToolProviders(
  parts: Pick<NodeParts, 'host' | 'registry' | 'discovery'>,
  self: { peerId: string; alias: string },
  name: string,
  options: CallOptions,
): Promise<FoundProvider[]> {
  const signal = options.signal ?? AbortSignal.timeout(options.timeout ?? FIND_TIMEOUT_MS)
  const ids = await findProviders(parts.host, name, { signal })
  if (parts.registry.has(name) && !ids.includes(self.peerId)) ids.unshift(self.peerId)
  return describeProviders(ids, self, parts.discovery.table)
}
