/**
 * What a calling node answers when a remote tool asks something back while serving one of its calls:
 * sampling (an LLM completion), elicitation (input from the user) and roots. The peer names the call
 * (related.ts); a call made with a relay (`CallOptions.relay`, as the gateway makes them) gets the
 * request to that relay's caller, any other call to the node's own handlers; with neither, the remote
 * tool is told the capability is missing. Sessions declare all three: any call may carry a relay.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js'
import {
  type ClientCapabilities,
  type CreateMessageRequest,
  CreateMessageRequestSchema,
  type CreateMessageResult,
  type ElicitRequest,
  ElicitRequestSchema,
  type ElicitResult,
  ErrorCode,
  ListRootsRequestSchema,
  McpError,
  type Root,
} from '@modelcontextprotocol/sdk/types.js'
import { RELATED_META } from './related.ts'
import type { RelayKind, RelayTable } from './relay.ts'

/** Handlers for requests that remote tools send back to this node's calls. */
export interface ClientHandlers {
  /** Answers `sampling/createMessage`. */
  sampling?: (params: CreateMessageRequest['params'], options: RequestContext) => Promise<CreateMessageResult>
  /** Answers `elicitation/create`. */
  elicitation?: (params: ElicitRequest['params'], options: RequestContext) => Promise<ElicitResult>
  /** Answers `roots/list`. */
  roots?: (options: RequestContext) => Root[] | Promise<Root[]>
}

/** Where a request that a remote tool sends back comes from. */
export interface RequestContext {
  signal: AbortSignal
  /** The peer whose session carried the request. */
  peer: string
  /** The key of the call it belongs to in the node's relay table, when the peer named one. */
  related?: string
}

/** What every outgoing session declares. */
export const CLIENT_CAPABILITIES: ClientCapabilities = {
  sampling: {},
  elicitation: { form: {}, url: {} },
  roots: { listChanged: false },
}

/** Answers the requests of remote tools: to the call's relay, or to the node's handlers. */
export class BackRequests {
  /** The node's own handlers (`createNode({ clientHandlers })`, `node.setClientHandlers()`). */
  handlers?: ClientHandlers
  private readonly relays: RelayTable

  constructor(relays: RelayTable, handlers?: ClientHandlers) {
    this.relays = relays
    this.handlers = handlers
  }

  sampling(params: CreateMessageRequest['params'], ctx: RequestContext): Promise<CreateMessageResult> {
    if (ctx.related != null)
      return this.relays.route('sampling', ctx.related).createMessage(params, ctx.signal)
    return this.own('sampling').sampling!(params, ctx)
  }

  elicitation(params: ElicitRequest['params'], ctx: RequestContext): Promise<ElicitResult> {
    if (ctx.related != null)
      return this.relays.route('elicitation', ctx.related).elicitInput(params, ctx.signal)
    return this.own('elicitation').elicitation!(params, ctx)
  }

  async roots(ctx: RequestContext): Promise<Root[]> {
    if (ctx.related != null)
      return (await this.relays.route('roots', ctx.related).listRoots(ctx.signal)).roots
    return this.own('roots').roots!(ctx)
  }

  private own(kind: RelayKind): ClientHandlers {
    if (this.handlers?.[kind] == null)
      throw new McpError(ErrorCode.InvalidRequest, `cord: the caller did not declare the ${kind} capability`)
    return this.handlers
  }

  /** Installs the answers on an outgoing session's client. */
  install(client: Client, peer: string): void {
    const context = (extra: { signal: AbortSignal; _meta?: Record<string, unknown> }): RequestContext => {
      const related = extra._meta?.[RELATED_META]
      return { signal: extra.signal, peer, ...(typeof related === 'string' ? { related } : {}) }
    }
    client.setRequestHandler(CreateMessageRequestSchema, (req, extra) =>
      this.sampling(req.params, context(extra)),
    )
    client.setRequestHandler(ElicitRequestSchema, (req, extra) =>
      this.elicitation(req.params, context(extra)),
    )
    client.setRequestHandler(ListRootsRequestSchema, async (_req, extra) => ({
      roots: await this.roots(context(extra)),
    }))
  }
}
