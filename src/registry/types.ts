import type { CallToolResult, Tool, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js'
import type { z } from 'zod'
import type { CallerRelay } from '../upstream/relay.ts'

export type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js'

/** A JSON Schema object, as MCP tools declare their input. */
export type JsonSchemaObject = Record<string, unknown> & { type?: 'object' }

/** A progress update, as MCP `notifications/progress` carries it. */
export interface ProgressUpdate {
  progress: number
  total?: number
  message?: string
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
