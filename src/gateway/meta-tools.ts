/**
 * When the mesh catalog is larger than the gateway's `max_tools`, a client sees these three tools
 * instead of the whole catalog: search it by keyword, describe one tool, call one by its mesh name.
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js'
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js'
import type { Named } from './names.ts'

export const SEARCH_TOOL = 'cord_search_tools'
export const DESCRIBE_TOOL = 'cord_describe_tool'
export const CALL_TOOL = 'cord_call_tool'

/** The meta-tools, for a catalog of `size` tools. */
export function metaTools(size: number): Tool[] {
  return [
    {
      name: SEARCH_TOOL,
      description: `Search the ${size} tools of the Cord mesh by keywords (matched against tool names and descriptions). Returns the best matches with their mesh names; call one with ${CALL_TOOL}.`,
      inputSchema: {
        type: 'object',
        properties: {
          query: { type: 'string', description: 'Keywords, for example "read file" or "memory graph"' },
          limit: { type: 'integer', minimum: 1, maximum: 100, description: 'Most results to return (20)' },
        },
        required: ['query'],
      },
      annotations: { readOnlyHint: true },
    },
    {
      name: DESCRIBE_TOOL,
      description: 'The full definition of one tool of the Cord mesh: description, input schema, providers.',
      inputSchema: {
        type: 'object',
        properties: { name: { type: 'string', description: 'The tool’s mesh name' } },
        required: ['name'],
      },
      annotations: { readOnlyHint: true },
    },
    {
      name: CALL_TOOL,
      description: `Call a tool of the Cord mesh by its mesh name (from ${SEARCH_TOOL}), with its arguments.`,
      inputSchema: {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'The tool’s mesh name' },
          arguments: { type: 'object', description: 'The tool’s arguments', additionalProperties: true },
        },
        required: ['name'],
      },
    },
  ]
}

/** Tools whose name or description match the most words of `query`, best first. */
export function searchTools(tools: Array<Named<Tool>>, query: string, limit = 20): Array<Named<Tool>> {
  const words = query
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((w) => w.length > 0)
  if (words.length === 0) throw new McpError(ErrorCode.InvalidParams, 'query must contain a word')
  const scored = tools.map((t) => {
    const name = t.name.toLowerCase()
    const text = `${t.item.title ?? ''} ${t.item.description ?? ''}`.toLowerCase()
    const score = words.reduce((s, w) => s + (name.includes(w) ? 2 : 0) + (text.includes(w) ? 1 : 0), 0)
    return { t, score }
  })
  return scored
    .filter((s) => s.score > 0)
    .sort((a, b) => b.score - a.score || a.t.name.localeCompare(b.t.name))
    .slice(0, Math.min(Math.max(1, Math.floor(limit)), 100))
    .map((s) => s.t)
}

/** A JSON answer as a tool result: text for every client, structured content for those that read it. */
export function jsonResult(value: Record<string, unknown>): CallToolResult {
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], structuredContent: value }
}

/** The string argument `key` of a meta-tool call, or a clear error. */
export function stringArg(args: Record<string, unknown> | undefined, key: string, tool: string): string {
  const value = args?.[key]
  if (typeof value !== 'string' || value === '')
    throw new McpError(ErrorCode.InvalidParams, `${tool}: argument "${key}" must be a non-empty string`)
  return value
}
