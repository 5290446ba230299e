/**
 * The mesh's tools under the gateway's names (names.ts), as every client session sees them: how each
 * is shown (its description says who serves it), the definition hashes calls are pinned to, and
 * whether clients get the meta-tools instead because the catalog is larger than `maxTools`.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import { definitionHash } from '../admission/pin.ts'
import { canonicalJson } from '../util/canonical-json.ts'
import type { MeshClient } from './mesh.ts'
import { type Named, nameItems, peerLabels, servedBy } from './names.ts'

/** The definition hash of each provider's tool. */
export function pinsOf(entry: Named<Tool>): Record<string, string> {
  return Object.fromEntries([...entry.items].map(([peer, tool]) => [peer, definitionHash(tool)]))
}

/** The gateway's view of the mesh catalog; `change` when what clients see changed. */
export class GatewayCatalog extends TypedEventEmitter<{ change: CustomEvent<void> }> {
  private readonly mesh: MeshClient
  private readonly maxTools: number
  private named: Array<Named<Tool>> = []
  private byName = new Map<string, Named<Tool>>()
  private labels = new Map<string, string>()
  private fingerprint = ''

  constructor(mesh: MeshClient, maxTools: number) {
    super()
    this.mesh = mesh
    this.maxTools = maxTools
    this.refresh()
  }

  /** Every tool under its gateway name. */
  tools(): Array<Named<Tool>> {
    return this.named
  }

  /** The tool a client knows as `name`; a name not seen yet may be newer than the last refresh. */
  get(name: string): Named<Tool> | undefined {
    const entry = this.byName.get(name)
    if (entry != null) return entry
    this.refresh()
    return this.byName.get(name)
  }

  /** Whether clients get the meta-tools rather than the catalog. */
  get metaMode(): boolean {
    return this.named.length > this.maxTools
  }

  /** The label of a peer in names and descriptions. */
  label(peerId: string): string {
    return this.labels.get(peerId) ?? peerId.slice(-8)
  }

  /** The tool definition a client sees for `entry`. */
  shown(entry: Named<Tool>): Tool {
    const where = servedBy(entry.providers, this.labels)
    const description =
      entry.item.description != null ? `${entry.item.description}\n\n(${where})` : `(${where})`
    return {
      ...entry.item,
      name: entry.name,
      description,
      _meta: {
        ...entry.item._meta,
        'cord/tool': entry.original,
        'cord/providers': entry.providers.map((p) => p.peerId),
      },
    }
  }

  /** Recomputes the names. */
  refresh(): void {
    const tools = this.mesh.meshTools()
    this.labels = peerLabels(tools.map((t) => t.provider))
    this.named = nameItems(
      tools.map((t) => ({ original: t.tool.name, item: t.tool, provider: t.provider })),
      (tool) => canonicalJson(tool.inputSchema),
      this.labels,
    )
    this.byName = new Map(this.named.map((n) => [n.name, n]))
    const fingerprint = this.metaMode
      ? `meta:${this.named.length}`
      : canonicalJson(this.named.map((n) => this.shown(n)))
    const changed = this.fingerprint !== '' && fingerprint !== this.fingerprint
    this.fingerprint = fingerprint
    if (changed) this.safeDispatchEvent('change')
  }
}
