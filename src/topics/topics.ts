/**
 * Topics over gossipsub: subscribe, unsubscribe and publish JSON messages on `cord/topic/1/<name>`.
 * Every message is signed by gossipsub (StrictSign) and carries an envelope (envelope.ts); each node
 * checks it in gossipsub's topic validator before it forwards it, so an invalid message, or one from
 * a peer the topic rules do not let publish, goes no further than the first node that sees it.
 * Subscribers get each publisher's messages in order, once, and are told of gaps (ordering.ts).
 */
import { randomBytes } from 'node:crypto'
import { type GossipSub, type Message, TopicValidatorResult } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import type { TopicPolicy } from '../admission/topic-acl.ts'
import { MAX_REORDER_PENDING } from '../constants.ts'
import { AccessDeniedError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { decodeEnvelope, type Envelope, encodeData, encodeEnvelope, type RejectReason } from './envelope.ts'
import { checkTopicName, gossipTopic, topicName } from './names.ts'
import { Sequencer } from './ordering.ts'
import type {
  PublishOptions,
  PublishResult,
  SubscribeOptions,
  TopicHandler,
  TopicInfo,
  TopicMessage,
  TopicsStatus,
} from './types.ts'

/** Topic names of peers remembered before the ones nobody subscribes to any more are dropped. */
const MAX_SEEN_TOPICS = 4096

/** What the topics part needs. */
export interface TopicsComponents {
  peerId: PeerId
  pubsub: GossipSub
  policy: TopicPolicy
  log: Logger
}

/** Settings of the topics part. */
export interface TopicsInit {
  maxMessageBytes: number
  reorderWindowMs: number
}

interface LocalTopic {
  handlers: Map<TopicHandler, SubscribeOptions>
  sequencer: Sequencer
}

/** A node's topics. */
export class Topics {
  private readonly c: TopicsComponents
  private readonly init: TopicsInit
  private readonly self: string
  /** This run of the node: a subscriber restarts a publisher's sequence when it changes. */
  readonly session = randomBytes(8).toString('hex')
  private readonly local = new Map<string, LocalTopic>()
  private readonly seqs = new Map<string, number>()
  private readonly validated = new WeakMap<object, Envelope>()
  /** Topic names peers were seen subscribing to (counts come from gossipsub, which forgets peers that leave). */
  private readonly seen = new Set<string>()
  /** Gossipsub topics whose validator this part installed. */
  private readonly guarded = new Set<string>()
  private running = false
  private readonly counters = {
    published: 0,
    delivered: 0,
    duplicates: 0,
    missed: 0,
    deniedSubscriptions: 0,
    rejected: { size: 0, json: 0, schema: 0, signer: 0, topic: 0, forbidden: 0 } as Record<
      RejectReason,
      number
    >,
  }

  constructor(components: TopicsComponents, init: TopicsInit) {
    this.c = components
    this.init = init
    this.self = components.peerId.toString()
  }

  /** Starts listening to gossipsub. Safe to call twice. */
  start(): void {
    if (this.running) return
    this.running = true
    this.c.pubsub.addEventListener('message', this.onMessage)
    this.c.pubsub.addEventListener('subscription-change', this.onSubscriptionChange)
  }

  /** Unsubscribes from every topic and stops listening. Safe to call twice. */
  stop(): void {
    if (!this.running) return
    this.running = false
    for (const name of [...this.local.keys()]) this.unsubscribe(name)
    for (const gossip of this.guarded) this.c.pubsub.topicValidators.delete(gossip)
    this.guarded.clear()
    this.c.pubsub.removeEventListener('message', this.onMessage)
    this.c.pubsub.removeEventListener('subscription-change', this.onSubscriptionChange)
  }

  /** Adds `handler` to topic `name`; the first handler subscribes the node. Returns a function that removes it. */
  subscribe(name: string, handler: TopicHandler, options: SubscribeOptions = {}): () => void {
    checkTopicName(name)
    if (typeof handler !== 'function')
      throw new TypeError('subscribe(topic, handler): handler must be a function')
    if (!this.c.policy.allows(this.self, 'subscribe', name))
      throw new AccessDeniedError(
        `refused: the topic rules do not let this node (${this.self}) subscribe to "${name}"`,
      )
    let topic = this.local.get(name)
    if (topic == null) {
      const sequencer = new Sequencer(
        name,
        {
          deliver: (envelope) => this.deliver(name, envelope),
          gap: (gap) => {
            this.counters.missed += gap.last - gap.first + 1
            for (const options of this.local.get(name)?.handlers.values() ?? []) options.onGap?.(gap)
          },
          duplicate: () => void this.counters.duplicates++,
        },
        { reorderWindowMs: this.init.reorderWindowMs, maxPending: MAX_REORDER_PENDING },
      )
      topic = { handlers: new Map(), sequencer }
      this.local.set(name, topic)
      this.guard(name)
      this.c.pubsub.subscribe(gossipTopic(name))
    }
    topic.handlers.set(handler, options)
    return () => this.unsubscribe(name, handler)
  }

  /** Removes `handler` from topic `name`, or every handler when none is given; the last one unsubscribes the node. */
  unsubscribe(name: string, handler?: TopicHandler): void {
    const topic = this.local.get(name)
    if (topic == null) return
    if (handler != null) topic.handlers.delete(handler)
    else topic.handlers.clear()
    if (topic.handlers.size > 0) return
    this.local.delete(name)
    topic.sequencer.close()
    this.c.pubsub.unsubscribe(gossipTopic(name))
  }

  /**
   * Installs the validator of topic `name`, kept until the node stops: gossipsub validates what it
   * receives on a topic it has left or only publishes to as well, and such a node may still pass
   * messages on (its gossip of recent messages), so they must be checked too.
   */
  private guard(name: string): void {
    const gossip = gossipTopic(name)
    if (this.c.pubsub.topicValidators.has(gossip)) return
    this.guarded.add(gossip)
    this.c.pubsub.topicValidators.set(gossip, (_peer, message) => this.validate(name, message))
  }

  /**
   * Publishes `data` (any JSON value, at most `maxMessageBytes` as UTF-8 JSON) on topic `name`.
   * Subscribers on this node get it too. Throws `MessageTooLargeError` before anything is sent.
   */
  async publish(name: string, data: unknown, options: PublishOptions = {}): Promise<PublishResult> {
    checkTopicName(name)
    if (!this.c.policy.allows(this.self, 'publish', name))
      throw new AccessDeniedError(
        `refused: the topic rules do not let this node (${this.self}) publish to "${name}"`,
      )
    const json = encodeData(data, this.init.maxMessageBytes)
    options.signal?.throwIfAborted()
    this.guard(name)
    const seq = (this.seqs.get(name) ?? 0) + 1
    this.seqs.set(name, seq)
    const head = { v: 1 as const, topic: name, from: this.self, session: this.session, seq, ts: Date.now() }
    const sent = await this.c.pubsub.publish(gossipTopic(name), encodeEnvelope(head, json))
    this.counters.published++
    if (this.local.has(name)) this.deliver(name, { ...head, data: JSON.parse(json) })
    return { seq, recipients: sent.recipients.length }
  }

  /** Topics this node and its connected peers subscribe to, with subscriber counts. */
  list(): TopicInfo[] {
    const names = new Set([...this.local.keys(), ...this.seen])
    const topics: TopicInfo[] = []
    for (const name of [...names].sort()) {
      const peers = this.c.pubsub.getSubscribers(gossipTopic(name)).map((p) => p.toString())
      const subscribed = this.local.has(name)
      if (!subscribed && peers.length === 0) {
        this.seen.delete(name)
        continue
      }
      topics.push({ topic: name, subscribed, peers, subscribers: peers.length + (subscribed ? 1 : 0) })
    }
    return topics
  }

  /** Counters, for `status()`. */
  status(): Omit<TopicsStatus, 'messages'> {
    return { subscribed: this.local.size, ...this.counters, rejected: { ...this.counters.rejected } }
  }

  /** Gossipsub's validator of a topic: runs before the message is delivered or forwarded. */
  private validate(name: string, message: Message): TopicValidatorResult {
    const reject = (reason: RejectReason, detail: string): TopicValidatorResult => {
      this.counters.rejected[reason]++
      this.c.log.debug({ topic: name, reason, detail }, 'topic message rejected')
      return TopicValidatorResult.Reject
    }
    if (message.type !== 'signed') return reject('signer', 'unsigned message')
    const decoded = decodeEnvelope(message.data, this.init.maxMessageBytes)
    if (!decoded.ok) return reject(decoded.reason, decoded.detail)
    const { envelope } = decoded
    const signer = message.from.toString()
    if (envelope.from !== signer)
      return reject('signer', `envelope names ${envelope.from}, signed by ${signer}`)
    if (envelope.topic !== name) return reject('topic', `envelope names topic ${String(envelope.topic)}`)
    if (!this.c.policy.allows(signer, 'publish', name))
      return reject('forbidden', `${signer} may not publish`)
    this.validated.set(message, envelope)
    return TopicValidatorResult.Accept
  }

  private readonly onMessage = (evt: CustomEvent<Message>): void => {
    const name = topicName(evt.detail.topic)
    if (name == null) return
    const topic = this.local.get(name)
    const envelope = this.validated.get(evt.detail)
    if (topic == null || envelope == null || envelope.from === this.self) return
    topic.sequencer.push(envelope)
  }

  private readonly onSubscriptionChange = (
    evt: CustomEvent<{ peerId: PeerId; subscriptions: Array<{ topic: string; subscribe: boolean }> }>,
  ): void => {
    for (const { topic, subscribe } of evt.detail.subscriptions) {
      const name = topicName(topic)
      if (name == null || !subscribe) continue
      this.seen.add(name)
      // Pruned when listed; a node that is never asked still keeps the set bounded.
      if (this.seen.size > MAX_SEEN_TOPICS) this.list()
      const peer = evt.detail.peerId.toString()
      if (!this.c.policy.allows(peer, 'subscribe', name)) {
        this.counters.deniedSubscriptions++
        this.c.log.warn(
          { peer, topic: name },
          'a peer the topic rules do not let subscribe subscribed to a topic',
        )
      }
    }
  }

  private deliver(name: string, envelope: Envelope): void {
    const topic = this.local.get(name)
    if (topic == null) return
    this.counters.delivered++
    const message: TopicMessage = {
      topic: name,
      from: envelope.from,
      seq: envelope.seq,
      timestamp: envelope.ts,
      data: envelope.data,
    }
    for (const handler of [...topic.handlers.keys()]) {
      try {
        handler(message)
      } catch (err) {
        this.c.log.warn({ topic: name, err: (err as Error).message }, 'a topic handler threw')
      }
    }
  }
}
