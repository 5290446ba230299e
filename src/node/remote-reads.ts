/**
 * The lists and reads of another peer's MCP servers: tools, resources, resource templates, prompts,
 * completions and resource subscriptions. Each is one request of the call engine (calls.ts): a read,
 * safe to repeat, under one deadline and the one retry policy.
 */
import type { RequestOptions } from '@modelcontextprotocol/sdk/shared/protocol.js'
import { listAll } from '../mcp/paging.ts'
import type { Session, SessionPool } from '../mcp/session-pool.ts'
import type { Calls } from './calls.ts'
import type {
  CallOptions,
  CompleteRequest,
  CompleteResult,
  GetPromptResult,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  Tool,
} from './types.ts'

/** What remote reads need. */
export interface RemoteReadsComponents {
  calls: Pick<Calls, 'read'>
  /** Keeps resource subscriptions on every new session to a peer. */
  pool: Pick<SessionPool, 'subscribed'>
}

/** Lists and reads of other peers' MCP servers. */
export class RemoteReads {
  private readonly components: RemoteReadsComponents

  constructor(components: RemoteReadsComponents) {
    this.components = components
  }

  /** The tools of `target`. */
  listTools(target: string, options: CallOptions): Promise<Tool[]> {
    return this.list(
      target,
      options,
      (s, cursor, o) => s.client.listTools({ cursor }, o),
      (p) => p.tools,
    )
  }

  /** The resources of `target`'s hosted MCP servers. */
  listResources(target: string, options: CallOptions): Promise<Resource[]> {
    return this.list(
      target,
      options,
      (s, cursor, o) => s.client.listResources({ cursor }, o),
      (p) => p.resources,
    )
  }

  /** The resource templates of `target`'s hosted MCP servers. */
  listResourceTemplates(target: string, options: CallOptions): Promise<ResourceTemplate[]> {
    return this.list(
      target,
      options,
      (s, cursor, o) => s.client.listResourceTemplates({ cursor }, o),
      (p) => p.resourceTemplates,
    )
  }

  /** The prompts of `target`'s hosted MCP servers. */
  listPrompts(target: string, options: CallOptions): Promise<Prompt[]> {
    return this.list(
      target,
      options,
      (s, cursor, o) => s.client.listPrompts({ cursor }, o),
      (p) => p.prompts,
    )
  }

  /** Reads resource `uri` from `target`. */
  async readResource(target: string, uri: string, options: CallOptions): Promise<ReadResourceResult> {
    return (await this.components.calls.read(target, options, (s, o) => s.client.readResource({ uri }, o)))
      .value
  }

  /** Gets prompt `name` from `target` with its arguments filled in. */
  async getPrompt(
    target: string,
    name: string,
    args: Record<string, string>,
    options: CallOptions,
  ): Promise<GetPromptResult> {
    const { calls } = this.components
    return (await calls.read(target, options, (s, o) => s.client.getPrompt({ name, arguments: args }, o)))
      .value
  }

  /** Completions of a prompt's or resource template's argument, from `target`. */
  async complete(
    target: string,
    params: CompleteRequest['params'],
    options: CallOptions,
  ): Promise<CompleteResult> {
    return (await this.components.calls.read(target, options, (s, o) => s.client.complete(params, o))).value
  }

  /**
   * Subscribes to resource `uri` of `target` (kept on every new session to it until unsubscribed);
   * the node then emits `resource-updated` when the resource changes. Resolves with the peer ID.
   */
  async subscribeResource(target: string, uri: string, options: CallOptions): Promise<string> {
    const { calls, pool } = this.components
    const { candidate } = await calls.read(target, options, (s, o) => s.client.subscribeResource({ uri }, o))
    pool.subscribed(candidate.peerId, uri, true)
    return candidate.peerId
  }

  /** Ends the subscription to resource `uri` of `target`. */
  async unsubscribeResource(target: string, uri: string, options: CallOptions): Promise<void> {
    const { calls, pool } = this.components
    const { candidate } = await calls.read(target, options, async (s, o) => {
      pool.subscribed(s.peer, uri, false)
      return s.client.unsubscribeResource({ uri }, o)
    })
    pool.subscribed(candidate.peerId, uri, false)
  }

  /** Every page of a list from `target`. */
  private async list<P extends { nextCursor?: string }, T>(
    target: string,
    options: CallOptions,
    page: (session: Session, cursor: string | undefined, o: RequestOptions) => Promise<P>,
    pick: (page: P) => T[],
  ): Promise<T[]> {
    const { calls } = this.components
    return (await calls.read(target, options, (s, o) => listAll((cursor) => page(s, cursor, o), pick))).value
  }
}
