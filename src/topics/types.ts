/** What topic subscribers and direct-message receivers get. */
import type { TopicGap } from './ordering.ts'

export type { TopicGap }

/** A message published on a topic, as a subscriber gets it. */
export interface TopicMessage {
  topic: string
  /** The publisher's peer ID (the signer of the gossipsub message). */
  from: string
  /** The publisher's sequence number on this topic: consecutive within one run of the publisher. */
  seq: number
  /** When the publisher sent it (ms since the epoch, the publisher's clock). */
  timestamp: number
  /** Any JSON value. */
  data: unknown
}

/** Gets the messages of a topic, in order per publisher. */
export type TopicHandler = (message: TopicMessage) => void

/** Options of `subscribe()`. */
export interface SubscribeOptions {
  /** Told when messages of a publisher were missed (a gap in its sequence). */
  onGap?: (gap: TopicGap) => void
}

/** Options of `publish()`. */
export interface PublishOptions {
  signal?: AbortSignal
}

/** What `publish()` resolves with. */
export interface PublishResult {
  /** The message's sequence number. */
  seq: number
  /** Peers the message was sent to directly (its gossip mesh); 0 when no peer subscribes yet. */
  recipients: number
}

/** A topic this node or one of its connected peers subscribes to. */
export interface TopicInfo {
  topic: string
  /** Whether this node subscribes to it. */
  subscribed: boolean
  /** Connected peers that subscribe to it. */
  peers: string[]
  /** Subscribers this node knows of: its connected peers, and itself. */
  subscribers: number
}

/** A direct message, as its receiver gets it. */
export interface DirectMessage {
  /** The sender's peer ID (the remote peer of the connection). */
  from: string
  /** The sender's sequence number of messages to this node, in one run of the sender. */
  seq: number
  /** When the sender sent it (ms since the epoch, the sender's clock). */
  timestamp: number
  data: unknown
}

/** Gets direct messages; may be async. When it throws, the sender gets `MessageRefusedError`. */
export type MessageHandler = (message: DirectMessage) => void | Promise<void>

/** Options of `send()`. */
export interface SendOptions {
  signal?: AbortSignal
  /** Deadline of delivery and acknowledgement in ms (default: `[topics] send_timeout_ms`, 10 s). */
  timeout?: number
}

/** Counters of topics and direct messages, in `status()`. */
export interface TopicsStatus {
  /** Topics this node subscribes to. */
  subscribed: number
  published: number
  delivered: number
  duplicates: number
  /** Messages missed (summed over gaps). */
  missed: number
  /** Messages rejected by the validator, by reason. */
  rejected: Record<'size' | 'json' | 'schema' | 'signer' | 'topic' | 'forbidden', number>
  /** Subscriptions seen from peers the topic rules do not let subscribe. */
  deniedSubscriptions: number
  /** Direct messages sent (acknowledged), received (delivered) and refused here. */
  messages: { sent: number; received: number; refused: number }
}
