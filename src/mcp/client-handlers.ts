/**
 * What a calling node answers when a remote tool asks something back: sampling (an LLM completion),
 * elicitation (input from the user) and roots. A node declares each capability only when it has a
 * handler for it; remote servers are told "not supported" otherwise.
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
  ListRootsRequestSchema,
  type Root,
} from '@modelcontextprotocol/sdk/types.js'

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
}

/** The capabilities that `handlers` let a client declare. */
export function capabilitiesOf(handlers: ClientHandlers | undefined): ClientCapabilities {
  return {
    ...(handlers?.sampling != null ? { sampling: {} } : {}),
    ...(handlers?.elicitation != null ? { elicitation: { form: {}, url: {} } } : {}),
    ...(handlers?.roots != null ? { roots: { listChanged: false } } : {}),
  }
}

/** Installs the handlers on an outgoing session's client. */
export function installClientHandlers(
  client: Client,
  handlers: ClientHandlers | undefined,
  peer: string,
): void {
  const { sampling, elicitation, roots } = handlers ?? {}
  if (sampling != null)
    client.setRequestHandler(CreateMessageRequestSchema, (req, extra) =>
      sampling(req.params, { signal: extra.signal, peer }),
    )
  if (elicitation != null)
    client.setRequestHandler(ElicitRequestSchema, (req, extra) =>
      elicitation(req.params, { signal: extra.signal, peer }),
    )
  if (roots != null)
    client.setRequestHandler(ListRootsRequestSchema, async (_req, extra) => ({
      roots: await roots({ signal: extra.signal, peer }),
    }))
}
