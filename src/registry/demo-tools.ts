/**
 * Built-in demo tools, on by default (`demo_tools = false` turns them off): enough to try a mesh
 * with nothing else installed, and to test it.
 */
import { setTimeout as sleep } from 'node:timers/promises'
import type { ToolRegistry } from './registry.ts'

/** What `node_info` reports: supplied by the node, read at call time. */
export type NodeInfoSource = () => {
  peerId: string
  alias: string
  version: string
  uptimeMs: number
  addrs: string[]
  connections: number
  tools: number
}

/** Longest wait `sleep` accepts. */
const MAX_SLEEP_MS = 600_000

function text(value: string): { content: Array<{ type: 'text'; text: string }> } {
  return { content: [{ type: 'text', text: value }] }
}

/** The demo tools' names: every node with the default configuration serves them. */
export const DEMO_TOOL_NAMES: readonly string[] = ['echo', 'add', 'sleep', 'node_info']

/** Registers `echo`, `add`, `sleep` and `node_info`; returns a function that removes them. */
export function registerDemoTools(registry: ToolRegistry, nodeInfo: NodeInfoSource): () => void {
  const removers = [
    registry.register(
      'echo',
      {
        description: 'Returns the given text unchanged.',
        inputSchema: {
          type: 'object',
          properties: { text: { type: 'string' } },
          required: ['text'],
          additionalProperties: false,
        },
        annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      },
      (args) => text(args.text as string),
    ),
    registry.register(
      'add',
      {
        description: 'Adds two numbers and returns the sum.',
        inputSchema: {
          type: 'object',
          properties: { a: { type: 'number' }, b: { type: 'number' } },
          required: ['a', 'b'],
          additionalProperties: false,
        },
        outputSchema: { type: 'object', properties: { sum: { type: 'number' } }, required: ['sum'] },
        annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      },
      (args) => {
        const sum = (args.a as number) + (args.b as number)
        return { ...text(String(sum)), structuredContent: { sum } }
      },
    ),
    registry.register(
      'sleep',
      {
        description: `Waits the given number of milliseconds (at most ${MAX_SLEEP_MS}), then returns; stops early when the call is cancelled. Useful to try timeouts and cancellation.`,
        inputSchema: {
          type: 'object',
          properties: { ms: { type: 'integer', minimum: 0, maximum: MAX_SLEEP_MS } },
          required: ['ms'],
          additionalProperties: false,
        },
        annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      },
      async (args, { signal }) => {
        await sleep(args.ms as number, undefined, { signal })
        return text(`slept ${args.ms} ms`)
      },
    ),
    registry.register(
      'node_info',
      {
        description:
          'Describes the serving node: peer ID, alias, version, uptime, listen addresses, connections and tools.',
        inputSchema: { type: 'object', properties: {}, additionalProperties: false },
        annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      },
      () => {
        const { peerId, alias, version, uptimeMs, addrs, connections, tools } = nodeInfo()
        const info = { peerId, alias, version, uptimeMs, addrs, connections, tools }
        return { ...text(JSON.stringify(info, null, 2)), structuredContent: info }
      },
    ),
  ]
  return () => {
    for (const remove of removers) remove()
  }
}
