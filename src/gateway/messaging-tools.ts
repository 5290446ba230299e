/**
 * Tools of the gateway itself, beside the mesh catalog: `cord_publish` publishes on a topic and
 * `cord_send` sends a direct message, both signed by the gateway's node. Errors follow the gateway's
 * rule (failures.ts): arguments the client got wrong (a missing argument, a bad topic name, data
 * over the size limit, an unknown target) are JSON-RPC InvalidParams errors; a failure of the mesh
 * (refused by the topic rules or by the receiver, an unreachable peer, a timeout) is an `isError`
 * result that says what went wrong.
 */
import { type CallToolResult, ErrorCode, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js'
import { callFailure } from './failures.ts'
import type { MeshClient } from './mesh.ts'
import { jsonResult, stringArg } from './meta-tools.ts'

export const PUBLISH_TOOL = 'cord_publish'
export const SEND_TOOL = 'cord_send'

const DATA_SCHEMA = {
  description:
    'The message: any JSON value (object, array, string, number, boolean or null), at most the mesh’s [topics] max_message_bytes as JSON (64 KiB by default)',
}

/** The definitions of the messaging tools. */
export function messagingTools(): Tool[] {
  return [
    {
      name: PUBLISH_TOOL,
      description:
        'Publish a JSON message on a topic of the Cord mesh: every node subscribed to the topic gets it, signed by this gateway’s node. Read a topic’s messages as the resource cord://topics/<name> (subscribe to it to hear of each one).',
      inputSchema: {
        type: 'object',
        properties: {
          topic: {
            type: 'string',
            pattern: '^[A-Za-z0-9._/-]{1,128}$',
            description: 'The topic name: 1–128 letters, digits, ".", "-", "_" or "/", e.g. "leads/new"',
          },
          data: DATA_SCHEMA,
        },
        required: ['topic', 'data'],
      },
    },
    {
      name: SEND_TOOL,
      description:
        'Send a JSON message directly to one node of the Cord mesh (by peer ID or alias) and wait for its acknowledgement.',
      inputSchema: {
        type: 'object',
        properties: {
          target: { type: 'string', description: 'The receiving node: its peer ID or its alias' },
          data: DATA_SCHEMA,
        },
        required: ['target', 'data'],
      },
    },
  ]
}

/** Whether `name` is a messaging tool. */
export function isMessagingTool(name: string): boolean {
  return name === PUBLISH_TOOL || name === SEND_TOOL
}

/** Runs messaging tool `name` on `mesh`. */
export async function callMessagingTool(
  mesh: MeshClient,
  name: string,
  args: Record<string, unknown>,
  signal: AbortSignal,
): Promise<CallToolResult> {
  const data = dataArg(args, name)
  try {
    if (name === PUBLISH_TOOL) {
      const topic = stringArg(args, 'topic', PUBLISH_TOOL)
      const { seq, recipients } = await mesh.publish(topic, data, { signal })
      return jsonResult({ topic, seq, recipients })
    }
    const target = stringArg(args, 'target', SEND_TOOL)
    const { peer, seq } = await mesh.send(target, data, { signal })
    return jsonResult({ delivered: true, peer, seq })
  } catch (err) {
    if (err instanceof McpError || signal.aborted) throw err
    return callFailure(err)
  }
}

/** The `data` argument: required, any JSON value (its size is checked by the node). */
function dataArg(args: Record<string, unknown>, tool: string): unknown {
  if (!Object.hasOwn(args, 'data') || args.data === undefined)
    throw new McpError(ErrorCode.InvalidParams, `${tool}: argument "data" is required (any JSON value)`)
  return args.data
}
