/**
 * Resources and prompts of the mesh, for one gateway session. They are not in heartbeats: each list
 * asks the live peers (in parallel, each within a bound). A resource's URI at the gateway is
 * `cord://<peer ID>/<its URI at the peer>`; prompts are named like tools (`<name>__<peer label>` when
 * peers serve different prompts of one name).
 */
import {
  type CompleteRequest,
  type CompleteResult,
  ErrorCode,
  type GetPromptResult,
  McpError,
  type Prompt,
  type ReadResourceResult,
  type Resource,
  type ResourceTemplate,
} from '@modelcontextprotocol/sdk/types.js'
import { toMcpError } from '../mcp/rpc-errors.ts'
import type { Provider } from '../node/mesh-catalog.ts'
import { canonicalJson } from '../util/canonical-json.ts'
import type { MeshClient } from './mesh.ts'
import { type Named, nameItems, peerLabels } from './names.ts'

const PREFIX = 'cord://'
/** How long one peer may take to list its resources or prompts. */
const LIST_TIMEOUT_MS = 5_000

/** The gateway URI of resource `uri` at `peerId`. */
export function meshUri(peerId: string, uri: string): string {
  return `${PREFIX}${peerId}/${uri}`
}

/** Peer and URI of a gateway URI, or undefined for another URI. */
export function parseMeshUri(uri: string): { peerId: string; uri: string } | undefined {
  if (!uri.startsWith(PREFIX)) return undefined
  const rest = uri.slice(PREFIX.length)
  const slash = rest.indexOf('/')
  if (slash <= 0) return undefined
  return { peerId: rest.slice(0, slash), uri: rest.slice(slash + 1) }
}

/** The mesh's resources and prompts, as one session sees them. */
export class MeshListings {
  private readonly mesh: MeshClient
  private readonly label: (peerId: string) => string
  private prompted: Array<Named<Prompt>> = []
  /** Which peers listed a (bare) resource URI last time. */
  private readonly owners = new Map<string, string[]>()

  /** `label` names a peer in descriptions. */
  constructor(mesh: MeshClient, label: (peerId: string) => string) {
    this.mesh = mesh
    this.label = label
  }

  async resources(): Promise<Resource[]> {
    const lists = await this.fromPeers((peer) =>
      this.mesh.listResources(peer.peerId, { timeout: LIST_TIMEOUT_MS }),
    )
    this.owners.clear()
    return lists.flatMap(({ peer, items }) =>
      items.map((r) => {
        this.owners.set(r.uri, [...(this.owners.get(r.uri) ?? []), peer.peerId])
        return { ...r, uri: meshUri(peer.peerId, r.uri), description: this.annotate(r.description, peer) }
      }),
    )
  }

  async templates(): Promise<ResourceTemplate[]> {
    const lists = await this.fromPeers((peer) =>
      this.mesh.listResourceTemplates(peer.peerId, { timeout: LIST_TIMEOUT_MS }),
    )
    return lists.flatMap(({ peer, items }) =>
      items.map((t) => ({
        ...t,
        uriTemplate: meshUri(peer.peerId, t.uriTemplate),
        description: this.annotate(t.description, peer),
      })),
    )
  }

  /** Reads a gateway URI, or a bare URI from a peer that has it. */
  async read(uri: string, signal: AbortSignal): Promise<ReadResourceResult> {
    const mesh = parseMeshUri(uri)
    return this.onResource(uri, signal, async (peerId, inner) => {
      const result = await this.mesh.readResource(peerId, inner, { signal })
      return {
        ...result,
        contents: result.contents.map((c) => ({ ...c, uri: mesh != null ? meshUri(peerId, c.uri) : c.uri })),
      }
    })
  }

  /**
   * Runs `fn` with the peer and the peer's URI of a gateway URI, or of a bare URI with each peer that
   * may have it (those that listed it, else every live peer) until one succeeds.
   */
  async onResource<T>(
    uri: string,
    signal: AbortSignal,
    fn: (peerId: string, inner: string) => Promise<T>,
  ): Promise<T> {
    const mesh = parseMeshUri(uri)
    const targets =
      mesh != null ? [mesh.peerId] : (this.owners.get(uri) ?? this.livePeers().map((p) => p.peerId))
    let lastError: unknown = new McpError(
      ErrorCode.InvalidParams,
      `no live peer of the mesh has resource ${uri}`,
    )
    for (const peerId of targets) {
      try {
        return await fn(peerId, mesh?.uri ?? uri)
      } catch (err) {
        lastError = err
        if (signal.aborted) break
      }
    }
    throw toMcpError(lastError)
  }

  /** Completions of an argument of a prompt (by its gateway name) or a resource template, from its peer. */
  async complete(params: CompleteRequest['params'], signal: AbortSignal): Promise<CompleteResult> {
    const ref = params.ref
    if (ref.type === 'ref/resource')
      return this.onResource(ref.uri, signal, (peerId, uri) =>
        this.mesh.complete(peerId, { ...params, ref: { ...ref, uri } }, { signal }),
      )
    return this.onPrompt(ref.name, signal, (peerId, name) =>
      this.mesh.complete(peerId, { ...params, ref: { ...ref, name } }, { signal }),
    )
  }

  async prompts(): Promise<Prompt[]> {
    const lists = await this.fromPeers((peer) =>
      this.mesh.listPrompts(peer.peerId, { timeout: LIST_TIMEOUT_MS }),
    )
    const items = lists.flatMap(({ peer, items }) =>
      items.map((p) => ({ original: p.name, item: p, provider: peer })),
    )
    const labels = peerLabels(items.map((i) => i.provider))
    this.prompted = nameItems(items, (p) => canonicalJson(p.arguments ?? []), labels)
    return this.prompted.map((n) => ({
      ...n.item,
      name: n.name,
      description: this.annotate(n.item.description, n.providers[0]!),
    }))
  }

  async getPrompt(name: string, args: Record<string, string>, signal: AbortSignal): Promise<GetPromptResult> {
    return this.onPrompt(name, signal, (peerId, original) =>
      this.mesh.getPrompt(peerId, original, args, { signal }),
    )
  }

  /** Runs `fn` with each provider of the prompt the client knows as `name` until one succeeds. */
  private async onPrompt<T>(
    name: string,
    signal: AbortSignal,
    fn: (peerId: string, original: string) => Promise<T>,
  ): Promise<T> {
    if (!this.prompted.some((p) => p.name === name)) await this.prompts()
    const entry = this.prompted.find((p) => p.name === name)
    if (entry == null)
      throw new McpError(
        ErrorCode.InvalidParams,
        `unknown prompt "${name}": no live node of the mesh serves it (prompts/list shows the mesh's prompts)`,
      )
    let lastError: unknown
    for (const provider of entry.providers) {
      try {
        return await fn(provider.peerId, entry.original)
      } catch (err) {
        lastError = err
        if (signal.aborted) break
      }
    }
    throw toMcpError(lastError)
  }

  private annotate(description: string | undefined, peer: Provider): string {
    const where = `served by ${this.label(peer.peerId)}`
    return description != null ? `${description}\n\n(${where})` : `(${where})`
  }

  private livePeers(): Provider[] {
    const peers = new Map<string, Provider>()
    for (const { provider } of this.mesh.meshTools()) peers.set(provider.peerId, provider)
    return [...peers.values()]
  }

  private async fromPeers<T>(
    list: (peer: Provider) => Promise<T[]>,
  ): Promise<Array<{ peer: Provider; items: T[] }>> {
    const peers = this.livePeers()
    const settled = await Promise.allSettled(peers.map(async (peer) => ({ peer, items: await list(peer) })))
    return settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  }
}
