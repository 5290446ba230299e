import type {
  CallToolResult,
  ClientCapabilities,
  CreateMessageRequest,
  CreateMessageResult,
  ElicitRequest,
  ElicitResult,
  ListRootsResult,
  Tool,
  ToolAnnotations,
} from '@modelcontextprotocol/sdk/types.js'
import type { z } from 'zod'

export type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js'

/** A JSON Schema object, as MCP tools declare their input. */
export type JsonSchemaObject = Record<string, unknown> & { type?: 'object' }

/** A progress update, as MCP `notifications/progress` carries it. */
export interface ProgressUpdate {
  progress: number
  total?: number
  message?: string
}

/**
 * The caller of one call, for the requests a tool sends back while serving it: sampling (an LLM
 * completion), elicitation (input from the user) and roots.
 */
export interface CallerRelay {
  /** What the caller declared it can answer. */
  readonly capabilities: ClientCapabilities | undefined
  /**
   * Who the caller is, as far as this node can tell: its peer and, behind a gateway, the client
   * session. A hosted server's requests that name no call go to a caller only when every call in
   * flight on that server has one origin.
   */
  readonly origin: string
  createMessage(params: CreateMessageRequest['params'], signal: AbortSignal): Promise<CreateMessageResult>
  elicitInput(params: ElicitRequest['params'], signal: AbortSignal): Promise<ElicitResult>
  listRoots(signal: AbortSignal): Promise<ListRootsResult>
}

/** What a tool handler gets besides its arguments. */
export interface ToolContext {
  /** Aborted when the caller cancels, the call's deadline passes, or the node stops. */
  signal: AbortSignal
  /** Peer ID of the caller, or `'local'` for a call from this node itself. */
  caller: string
  /** Reports progress to the caller; present when the caller asked for progress (a `progressToken`). */
  progress?: (update: ProgressUpdate) => void
  /** Reaches the caller for sampling, elicitation and roots requests (hosted servers relay them). */
  relay?: CallerRelay
  /**
   * The call's ID and trace context, as `_meta` entries (`cord/callId`, `traceparent`, `tracestate`):
   * a tool that calls on passes them as `CallOptions.meta`, so its calls join the same trace.
   */
  meta?: Record<string, unknown>
}

/** A tool's implementation: returns an MCP `CallToolResult`; a thrown error becomes `isError: true`. */
export type ToolHandler = (
  args: Record<string, unknown>,
  context: ToolContext,
) => CallToolResult | Promise<CallToolResult>

/** How a tool describes itself. `inputSchema` is a JSON Schema object or a zod object schema. */
export interface ToolSpec {
  title?: string
  description?: string
  inputSchema?: JsonSchemaObject | z.ZodType
  outputSchema?: JsonSchemaObject | z.ZodType
  annotations?: ToolAnnotations
}

/** A registered tool: its MCP definition and handler. */
export interface RegisteredTool {
  definition: Tool
  handler: ToolHandler
  validate: (args: unknown) => string | undefined
}
