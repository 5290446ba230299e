/**
 * Resolves a call's target — a peer ID, an alias, or (no target) a tool name — to the peers to try,
 * best first. Whether a failed attempt goes on to the next is the retry policy's (policy.ts).
 */
import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js'
import { LOAD_CAPACITY } from '../constants.ts'
import type { MeshPeer, PeerTable } from '../discovery/peer-table.ts'
import { AmbiguousAliasError, NoProviderError, UnknownTargetError } from '../errors.ts'
import type { ToolRegistry } from '../registry/registry.ts'
import { readPeerId } from '../util/peer-ids.ts'

/** A peer to try, with what the router knows of the tool there. */
export interface Candidate {
  peerId: string
  alias?: string
  annotations?: ToolAnnotations
}

/** What the router needs from the node. */
export interface RouterComponents {
  self: { peerId: string; alias: string }
  table: PeerTable
  registry: ToolRegistry
  /** Providers of a tool from the DHT. */
  findProviders: (tool: string, signal: AbortSignal) => Promise<string[]>
  /** Round-trip time to a peer in ms, when a connection measured it. */
  rtt: (peerId: string) => number | undefined
}

/** RTT assumed for a peer without a measurement. */
const UNKNOWN_RTT_MS = 50

/** Routes calls over the mesh. */
export class Router {
  private readonly c: RouterComponents

  constructor(components: RouterComponents) {
    this.c = components
  }

  /** The peers to try for a call of `tool` at `target` (undefined: any provider), best first. */
  async candidates(target: string | undefined, tool: string, signal: AbortSignal): Promise<Candidate[]> {
    if (target != null && target !== '') return [this.resolveTarget(target, tool)]
    const local = this.c.registry.list().find((t) => t.name === tool)
    // Alive providers; with none, suspect ones (a missed heartbeat or two: busy, or the gossip path
    // changing) rather than nothing; never dead ones.
    const alive = this.c.table.providers(tool)
    const providers = alive.length > 0 || local != null ? alive : this.c.table.providers(tool, 'suspect')
    const found: Candidate[] = [
      ...(local != null ? [{ ...this.c.self, annotations: local.annotations }] : []),
      ...providers.map((p) => this.candidate(p, tool)),
    ]
    if (found.length === 0) {
      const fromDht = await this.c.findProviders(tool, signal).catch(() => [])
      for (const peerId of fromDht) {
        const known = this.c.table.get(peerId)
        if (known?.state === 'dead' || peerId === this.c.self.peerId) continue
        found.push(known != null ? this.candidate(known, tool) : { peerId })
      }
    }
    if (found.length === 0)
      throw new NoProviderError(`no live node of the mesh serves a tool named "${tool}"`)
    return found.sort((a, b) => this.cost(a) - this.cost(b))
  }

  private resolveTarget(target: string, tool: string): Candidate {
    if (readPeerId(target) != null) {
      const known = this.c.table.get(target)
      return known != null ? this.candidate(known, tool) : { peerId: target }
    }
    const matches: Candidate[] = this.c.table.byAlias(target).map((p) => this.candidate(p, tool))
    if (this.c.self.alias === target) matches.unshift({ ...this.c.self })
    if (matches.length === 1) return matches[0]!
    if (matches.length > 1) {
      const ids = matches.map((m) => m.peerId)
      throw new AmbiguousAliasError(
        `alias "${target}" is ambiguous: ${ids.length} peers carry it (${ids.join(', ')}); use a peer ID`,
        ids,
      )
    }
    const known = [
      ...new Set(
        this.c.table.list().flatMap((p) => (p.alias != null && p.state !== 'dead' ? [p.alias] : [])),
      ),
    ]
    throw new UnknownTargetError(
      `"${target}" is neither a peer ID nor the alias of a live peer${known.length > 0 ? ` (known aliases: ${known.join(', ')})` : ''}`,
    )
  }

  private candidate(peer: MeshPeer, tool: string): Candidate {
    const candidate: Candidate = { peerId: peer.peerId }
    if (peer.alias != null) candidate.alias = peer.alias
    const annotations = peer.tools?.find((t) => t.name === tool)?.annotations
    if (annotations != null) candidate.annotations = annotations
    return candidate
  }

  /** Lower is better: load (calls in flight over capacity) plus RTT in units of 50 ms. */
  private cost(candidate: Candidate): number {
    if (candidate.peerId === this.c.self.peerId) return this.c.registry.activeCalls / LOAD_CAPACITY
    const peer = this.c.table.get(candidate.peerId)
    const load = peer?.load != null ? peer.load.inflight / peer.load.capacity : 0.5
    return load + (this.c.rtt(candidate.peerId) ?? UNKNOWN_RTT_MS) / 50
  }
}
