/**
 * Who may publish to and subscribe to which topics: rules by peer ID with glob patterns on topic
 * names (picomatch: `*` stops at `/`, `**` does not). The first rule that matches the peer, the
 * topic and the operation decides; with none, the topic default does (allow, within the mesh).
 */
import picomatch from 'picomatch'
import type { TopicRule } from '../config/schema.ts'

/** What a peer does with a topic. */
export type TopicOperation = 'publish' | 'subscribe'

interface CompiledTopicRule {
  anyPeer: boolean
  peers: Set<string>
  operations: Set<TopicOperation>
  match: (topic: string) => boolean
  action: 'allow' | 'deny'
}

/** The topic access policy of a node. */
export class TopicPolicy {
  private readonly rules: CompiledTopicRule[]
  private readonly defaultAction: 'allow' | 'deny'

  constructor(rules: TopicRule[], defaultAction: 'allow' | 'deny') {
    this.defaultAction = defaultAction
    this.rules = rules.map((r) => ({
      anyPeer: r.peers.includes('*'),
      peers: new Set(r.peers),
      operations: new Set(r.operations),
      match: picomatch(r.topics, { dot: true }),
      action: r.action,
    }))
  }

  /** Whether `peer` (a peer ID) may `operation` topic `topic` (its name, without the gossipsub prefix). */
  allows(peer: string, operation: TopicOperation, topic: string): boolean {
    for (const rule of this.rules) {
      if ((rule.anyPeer || rule.peers.has(peer)) && rule.operations.has(operation) && rule.match(topic))
        return rule.action === 'allow'
    }
    return this.defaultAction === 'allow'
  }
}
