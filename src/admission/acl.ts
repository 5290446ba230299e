/**
 * Who may call what: rules by caller peer ID, with glob patterns on tool names (picomatch: `*`, `?`,
 * `[abc]`, `{a,b}`). The first rule that matches the caller and the tool decides; with none, the
 * default policy does. A rule's `servers` cover every tool (`<server>__*`), resource and prompt of
 * those hosted servers. This node itself (calls it makes to itself) is always allowed.
 */
import picomatch from 'picomatch'
import type { AccessRule } from '../config/schema.ts'

interface CompiledRule {
  anyPeer: boolean
  peers: Set<string>
  match: (tool: string) => boolean
  action: 'allow' | 'deny'
}

/** The access policy of a node. */
export class AccessPolicy {
  private readonly rules: CompiledRule[]
  private readonly defaultAction: 'allow' | 'deny'

  constructor(rules: AccessRule[], defaultAction: 'allow' | 'deny') {
    this.defaultAction = defaultAction
    // A rule's `servers` cover every tool of those hosted servers: `<server>__*`.
    this.rules = rules.map((r) => ({
      anyPeer: r.peers.includes('*'),
      peers: new Set(r.peers),
      match: picomatch([...(r.tools ?? []), ...(r.servers ?? []).map((s) => `${s}__*`)], { dot: true }),
      action: r.action,
    }))
    this.open = defaultAction === 'allow' && this.rules.every((r) => r.action === 'allow')
  }

  /** Whether the policy refuses nobody (then every check is skipped): worked out once, not per call. */
  readonly open: boolean

  /** Whether `caller` (a peer ID, or `local` for this node) may call tool `tool`. */
  allows(caller: string, tool: string): boolean {
    if (this.open || caller === 'local') return true
    for (const rule of this.rules) {
      if ((rule.anyPeer || rule.peers.has(caller)) && rule.match(tool)) return rule.action === 'allow'
    }
    return this.defaultAction === 'allow'
  }

  /** The peer IDs the rules name (not `*`): each may see more, or less, than a peer no rule names. */
  namedPeers(): string[] {
    return [...new Set(this.rules.flatMap((r) => [...r.peers].filter((p) => p !== '*')))]
  }

  /** Whether `caller` may use the resources and prompts of hosted server `server`. */
  allowsServer(caller: string, server: string): boolean {
    return this.allows(caller, `${server}__`)
  }
}
