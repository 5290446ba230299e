/**
 * Resource subscriptions of the gateway's clients. A client subscribes to a resource by the URI it
 * knows (a gateway URI `cord://<peer>/<uri>`, or a bare URI); the gateway subscribes once at the
 * serving peer, however many of its clients want that resource, tells each subscribed client when
 * the peer says the resource changed (`notifications/resources/updated`, with the client's URI), and
 * unsubscribes at the peer when the last client unsubscribes or its session ends.
 */
import type { Logger } from '../logger.ts'
import type { MeshClient } from './mesh.ts'

/** A gateway client, as subscriptions see it. */
export interface Subscriber {
  /** Tells the client that the resource it knows as `uri` changed. */
  resourceUpdated(uri: string): void
}

/** One resource of one peer, subscribed to at the peer. */
interface Subscription {
  peer: string
  uri: string
  /** Settles when the peer has taken the subscription. */
  ready: Promise<void>
  /** Each client and the URIs it subscribed to this resource by. */
  clients: Map<Subscriber, Set<string>>
}

const key = (peer: string, uri: string): string => `${peer}\n${uri}`

/** The subscriptions of every client of one gateway. */
export class GatewaySubscriptions {
  private readonly mesh: MeshClient
  private readonly log: Logger
  private readonly byResource = new Map<string, Subscription>()

  constructor(mesh: MeshClient, log: Logger) {
    this.mesh = mesh
    this.log = log
    mesh.addEventListener('resource-updated', this.onUpdated)
  }

  /**
   * Subscribes `client` to resource `uri` of `peer`, which the client knows as `clientUri`. Rejects
   * as the peer does (an unknown resource, a server without subscriptions).
   */
  async subscribe(
    client: Subscriber,
    clientUri: string,
    peer: string,
    uri: string,
    signal: AbortSignal,
  ): Promise<void> {
    const k = key(peer, uri)
    let sub = this.byResource.get(k)
    if (sub == null) {
      const ready = this.mesh.subscribeResource(peer, uri, { signal }).then(() => {})
      const created: Subscription = { peer, uri, ready, clients: new Map() }
      sub = created
      this.byResource.set(k, created)
      ready.catch(() => {
        if (this.byResource.get(k) === created) this.byResource.delete(k)
      })
    }
    await sub.ready
    const uris = sub.clients.get(client) ?? new Set<string>()
    uris.add(clientUri)
    sub.clients.set(client, uris)
    // The client's session may have ended meanwhile (it aborts its requests): let go again.
    if (signal.aborted) this.unsubscribe(client, clientUri)
  }

  /** Ends `client`'s subscription to the resource it knows as `clientUri`; whether it had one. */
  unsubscribe(client: Subscriber, clientUri: string): boolean {
    let had = false
    for (const sub of [...this.byResource.values()]) {
      const uris = sub.clients.get(client)
      if (uris?.delete(clientUri) !== true) continue
      had = true
      if (uris.size === 0) this.leave(sub, client)
    }
    return had
  }

  /** Ends every subscription of `client` (its session ended). */
  drop(client: Subscriber): void {
    for (const sub of [...this.byResource.values()]) if (sub.clients.has(client)) this.leave(sub, client)
  }

  /** Resources subscribed to at peers. */
  get size(): number {
    return this.byResource.size
  }

  /** Stops listening to the node. */
  close(): void {
    this.mesh.removeEventListener('resource-updated', this.onUpdated)
  }

  private leave(sub: Subscription, client: Subscriber): void {
    sub.clients.delete(client)
    if (sub.clients.size > 0) return
    this.byResource.delete(key(sub.peer, sub.uri))
    void this.mesh.unsubscribeResource(sub.peer, sub.uri, {}).catch((err: Error) => {
      this.log.debug({ peer: sub.peer, uri: sub.uri, err: err.message }, 'unsubscribe at the peer failed')
    })
  }

  private readonly onUpdated = (evt: CustomEvent<{ peer: string; uri: string }>): void => {
    const sub = this.byResource.get(key(evt.detail.peer, evt.detail.uri))
    for (const [client, uris] of sub?.clients ?? []) for (const uri of uris) client.resourceUpdated(uri)
  }
}
