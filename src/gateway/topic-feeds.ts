/**
 * Topics as MCP resources. Each topic is the resource `cord://topics/<name>`: `resources/subscribe`
 * on it subscribes the gateway's node to the topic (once, however many clients want it), tells every
 * subscribed client of each message (`notifications/resources/updated`), and keeps the last messages
 * (bounded in count and bytes) for `resources/read`, which returns them as JSON. When the last client
 * lets go (unsubscribes or its session ends) the gateway removes its handler: the node leaves the
 * topic unless something else on it (the TypeScript API, the control API) still subscribes.
 */
import type { ReadResourceResult, Resource, ResourceTemplate } from '@modelcontextprotocol/sdk/types.js'
import { DEFAULT_GATEWAY_TOPIC_HISTORY, DEFAULT_GATEWAY_TOPIC_HISTORY_BYTES } from '../constants.ts'
import type { Logger } from '../logger.ts'
import { toMcpError } from '../mcp/rpc-errors.ts'
import { checkTopicName } from '../topics/names.ts'
import type { TopicGap, TopicMessage } from '../topics/types.ts'
import type { MeshClient } from './mesh.ts'
import type { Subscriber } from './subscriptions.ts'

const PREFIX = 'cord://topics/'
const MIME = 'application/json'

/** The resource URI of topic `name`. */
export function topicUri(name: string): string {
  return `${PREFIX}${name}`
}

/** The topic name of a topic resource URI (not yet checked), or undefined for another URI. */
export function parseTopicUri(uri: string): string | undefined {
  return uri.startsWith(PREFIX) ? uri.slice(PREFIX.length) : undefined
}

/** Bounds of the messages kept per topic. */
export interface TopicFeedsInit {
  /** Messages kept per topic (default 100). */
  maxMessages?: number
  /** Bytes of message data (as JSON) kept per topic (default 1 MiB); the newest is always kept. */
  maxBytes?: number
}

/** What `resources/read` of a topic returns (as JSON text). */
export interface TopicFeedSnapshot {
  topic: string
  /** Whether a client of this gateway subscribes to the topic (messages are kept only then). */
  subscribed: boolean
  /** The last messages, oldest first. */
  messages: TopicMessage[]
  /** Messages that arrived but were pushed out by the bounds. */
  dropped: number
  /** Messages the node missed (gaps in publishers' sequences), since the gateway subscribed. */
  missed: number
}

interface Entry {
  message: TopicMessage
  size: number
}

/** One topic the gateway's clients subscribe to. */
interface Feed {
  clients: Set<Subscriber>
  entries: Entry[]
  bytes: number
  dropped: number
  missed: number
  /** Removes the gateway's handler from the topic. */
  leave: () => void
}

/** The topic resources of one gateway. */
export class TopicFeeds {
  private readonly mesh: MeshClient
  private readonly log: Logger
  private readonly maxMessages: number
  private readonly maxBytes: number
  private readonly feeds = new Map<string, Feed>()

  constructor(mesh: MeshClient, init: TopicFeedsInit, log: Logger) {
    this.mesh = mesh
    this.log = log
    this.maxMessages = init.maxMessages ?? DEFAULT_GATEWAY_TOPIC_HISTORY
    this.maxBytes = init.maxBytes ?? DEFAULT_GATEWAY_TOPIC_HISTORY_BYTES
  }

  /** Subscribes `client` to topic `name`; a bad name or a refusal by the topic rules is an InvalidParams / access error. */
  subscribe(client: Subscriber, name: string): void {
    let feed = this.feeds.get(name)
    if (feed == null) {
      const created: Feed = {
        clients: new Set(),
        entries: [],
        bytes: 0,
        dropped: 0,
        missed: 0,
        leave: () => {},
      }
      try {
        checkTopicName(name)
        created.leave = this.mesh.subscribe(name, (m) => this.onMessage(name, created, m), {
          onGap: (gap) => this.onGap(name, created, gap),
        })
      } catch (err) {
        throw toMcpError(err)
      }
      feed = created
      this.feeds.set(name, feed)
      this.log.debug({ topic: name }, 'gateway subscribed to a topic')
    }
    feed.clients.add(client)
  }

  /** Ends `client`'s subscription to topic `name`; whether it had one. */
  unsubscribe(client: Subscriber, name: string): boolean {
    const feed = this.feeds.get(name)
    if (feed?.clients.delete(client) !== true) return false
    if (feed.clients.size === 0) this.close(name, feed)
    return true
  }

  /** Ends every topic subscription of `client` (its session ended). */
  drop(client: Subscriber): void {
    for (const [name, feed] of [...this.feeds]) if (feed.clients.has(client)) this.unsubscribe(client, name)
  }

  /** Topics the gateway subscribes to for its clients. */
  get size(): number {
    return this.feeds.size
  }

  /** The kept messages of topic `name`, as `resources/read` returns them. */
  read(uri: string, name: string): ReadResourceResult {
    try {
      checkTopicName(name)
    } catch (err) {
      throw toMcpError(err)
    }
    const feed = this.feeds.get(name)
    const snapshot: TopicFeedSnapshot = {
      topic: name,
      subscribed: feed != null,
      messages: feed?.entries.map((e) => e.message) ?? [],
      dropped: feed?.dropped ?? 0,
      missed: feed?.missed ?? 0,
    }
    return { contents: [{ uri, mimeType: MIME, text: JSON.stringify(snapshot) }] }
  }

  /** A resource for each topic this node or its connected peers subscribe to. */
  resources(): Resource[] {
    return this.mesh.topics().map((t) => ({
      uri: topicUri(t.topic),
      name: `topic ${t.topic}`,
      mimeType: MIME,
      description: `Messages on the Cord topic "${t.topic}" (${t.subscribers} subscriber${t.subscribers === 1 ? '' : 's'} known). Subscribe to hear of each message; read for the last ${this.maxMessages}.`,
    }))
  }

  /** The template of topic resources, for topics nobody subscribes to yet. */
  template(): ResourceTemplate {
    return {
      uriTemplate: `${PREFIX}{name}`,
      name: 'topic',
      mimeType: MIME,
      description: `A Cord topic (name: letters, digits, ".", "-", "_", "/"). resources/subscribe subscribes this gateway's node to it; resources/read returns the last ${this.maxMessages} messages as JSON.`,
    }
  }

  /** Unsubscribes from every topic. */
  closeAll(): void {
    for (const [name, feed] of [...this.feeds]) this.close(name, feed)
  }

  private close(name: string, feed: Feed): void {
    this.feeds.delete(name)
    feed.leave()
    this.log.debug({ topic: name }, 'gateway left a topic')
  }

  private onMessage(name: string, feed: Feed, message: TopicMessage): void {
    const size = Buffer.byteLength(JSON.stringify(message.data))
    feed.entries.push({ message, size })
    feed.bytes += size
    while (
      feed.entries.length > 1 &&
      (feed.entries.length > this.maxMessages || feed.bytes > this.maxBytes)
    ) {
      feed.bytes -= feed.entries.shift()!.size
      feed.dropped++
    }
    this.notify(name, feed)
  }

  private onGap(name: string, feed: Feed, gap: TopicGap): void {
    feed.missed += gap.last - gap.first + 1
    this.notify(name, feed)
  }

  private notify(name: string, feed: Feed): void {
    const uri = topicUri(name)
    for (const client of feed.clients) client.resourceUpdated(uri)
  }
}
