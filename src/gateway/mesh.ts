/**
 * What the gateway asks of the node it serves: the mesh's catalog, calls, reads and log messages, and
 * its topics and direct messages.
 */
import type { TypedEventTarget } from '@libp2p/interface'
import type { LoggingLevel } from '@modelcontextprotocol/sdk/types.js'
import type { MeshTool } from '../node/mesh-catalog.ts'
import type {
  CallOptions,
  CallToolResult,
  CompleteRequest,
  CompleteResult,
  CordNodeEvents,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
} from '../node/types.ts'
import type { Tracing } from '../observability/tracing.ts'
import type { SendResult } from '../topics/direct.ts'
import type {
  PublishOptions,
  PublishResult,
  SendOptions,
  SubscribeOptions,
  TopicHandler,
  TopicInfo,
} from '../topics/types.ts'

/** The node as the gateway uses it (a `CordNode` is one). */
export interface MeshClient
  extends TypedEventTarget<
    Pick<CordNodeEvents, 'catalog' | 'log-message' | 'resource-updated' | 'list-changed'>
  > {
  readonly alias: string
  /** The node's tracing: the gateway's spans are the first of each call's trace. */
  readonly tracing?: Tracing
  /** Every tool of the mesh with the peer that serves it. */
  meshTools(): MeshTool[]
  callTool(
    target: string | undefined,
    name: string,
    args: Record<string, unknown>,
    options: CallOptions,
  ): Promise<CallToolResult>
  listResources(target: string, options: CallOptions): Promise<Resource[]>
  listResourceTemplates(target: string, options: CallOptions): Promise<ResourceTemplate[]>
  readResource(target: string, uri: string, options: CallOptions): Promise<ReadResourceResult>
  listPrompts(target: string, options: CallOptions): Promise<Prompt[]>
  getPrompt(
    target: string,
    name: string,
    args: Record<string, string>,
    options: CallOptions,
  ): Promise<GetPromptResult>
  complete(target: string, params: CompleteRequest['params'], options: CallOptions): Promise<CompleteResult>
  /** Subscribes to a resource of `target` (`resource-updated` events); resolves with the peer ID. */
  subscribeResource(target: string, uri: string, options: CallOptions): Promise<string>
  unsubscribeResource(target: string, uri: string, options: CallOptions): Promise<void>
  /** Asks the peers for their logging messages at `level` and above (`log-message` events). */
  setRemoteLogLevel(level: LoggingLevel | undefined): void
  /** Adds a handler to a topic (the first subscribes the node); returns a function that removes it. */
  subscribe(name: string, handler: TopicHandler, options?: SubscribeOptions): () => void
  publish(name: string, data: unknown, options?: PublishOptions): Promise<PublishResult>
  /** The topics this node and its connected peers subscribe to. */
  topics(): TopicInfo[]
  /** Sends a direct message to a peer (peer ID or alias), acknowledged. */
  send(target: string, data: unknown, options?: SendOptions): Promise<SendResult>
}
