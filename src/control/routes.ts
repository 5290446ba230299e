/**
 * The control API's routes: what the CLI asks of the running daemon. Each route validates its input
 * with zod and answers JSON; errors become `{ error: { name, kind, message } }`.
 */
import { z } from 'zod'
import { definitionHash } from '../admission/pin.ts'
import { formatIssues } from '../config/load.ts'
import { DEFINITION_HASH_PATTERN } from '../constants.ts'
import { InvalidArgumentError } from '../errors.ts'
import type { CordNode } from '../node/node.ts'

/** A route handler: gets the query and the parsed JSON body, returns what to answer. */
export type RouteHandler = (query: URLSearchParams, body: unknown) => Promise<unknown>

/**
 * A streaming route: checks the query (throwing answers with an error, as a route does), then calls
 * `emit` with each value to send as one line of JSON, until the returned function is called (the
 * client hung up, or the server stops).
 */
export type StreamRoute = (query: URLSearchParams, emit: (value: unknown) => void) => () => void

const callBody = z.strictObject({
  target: z.string().min(1).optional(),
  tool: z.string().min(1),
  args: z.record(z.string(), z.unknown()).optional(),
  timeout: z.number().int().positive().optional(),
  pin: z.string().regex(DEFINITION_HASH_PATTERN, 'expected a definition hash: 64 hex digits').optional(),
})

const connectBody = z.strictObject({
  addr: z.string().min(1),
  keep: z.boolean().optional(),
  timeout: z.number().int().positive().optional(),
})

const disconnectBody = z.strictObject({ peer: z.string().min(1) })

const publishBody = z.strictObject({ topic: z.string().min(1), data: z.json() })

const sendBody = z.strictObject({
  target: z.string().min(1),
  data: z.json(),
  timeout: z.number().int().positive().optional(),
})

function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body)
  if (!result.success)
    throw new InvalidArgumentError(`invalid request body\n${formatIssues(result.error.issues)}`)
  return result.data
}

/** The routes, keyed by `METHOD /path`. */
/** `_meta` key of a listed tool's definition hash. */
const PIN_HASH = 'cord/definitionHash'

export function routes(node: CordNode, extra: () => Record<string, unknown>): Map<string, RouteHandler> {
  return new Map<string, RouteHandler>([
    ['GET /v1/id', async () => ({ peerId: node.peerId, alias: node.alias, addrs: node.multiaddrs })],
    ['GET /v1/status', async () => ({ ...node.status(), ...extra() })],
    ['GET /v1/peers', async () => node.peers()],
    [
      'GET /v1/tools',
      async (query) => {
        const peer = query.get('peer') ?? undefined
        const timeout = query.has('timeout') ? Number(query.get('timeout')) : undefined
        // Each tool with its definition hash, for `cord call --pin`.
        const tools = await node.listTools(peer, timeout != null ? { timeout } : {})
        return tools.map((t) => ({ ...t, _meta: { ...t._meta, [PIN_HASH]: definitionHash(t) } }))
      },
    ],
    ['GET /v1/catalog', async () => node.catalog()],
    [
      'GET /v1/find',
      async (query) => {
        const tool = query.get('tool')
        if (tool == null || tool === '') throw new InvalidArgumentError('missing query parameter "tool"')
        const timeout = query.has('timeout') ? Number(query.get('timeout')) : undefined
        return node.findTool(tool, timeout != null ? { timeout } : {})
      },
    ],
    [
      'POST /v1/call',
      async (_query, body) => {
        const call = parseBody(callBody, body)
        return node.callTool(call.target, call.tool, call.args ?? {}, {
          ...(call.timeout != null ? { timeout: call.timeout } : {}),
          ...(call.pin != null ? { pin: call.pin } : {}),
        })
      },
    ],
    [
      'POST /v1/connect',
      async (_query, body) => {
        const { addr, keep, timeout } = parseBody(connectBody, body)
        return node.connect(addr, {
          ...(keep != null ? { keep } : {}),
          ...(timeout != null ? { timeout } : {}),
        })
      },
    ],
    ['POST /v1/disconnect', async (_query, body) => node.disconnect(parseBody(disconnectBody, body).peer)],
    ['GET /v1/topics', async () => node.topics()],
    [
      'POST /v1/publish',
      async (_query, body) => {
        const { topic, data } = parseBody(publishBody, body)
        return node.publish(topic, data)
      },
    ],
    [
      'POST /v1/send',
      async (_query, body) => {
        const { target, data, timeout } = parseBody(sendBody, body)
        return node.send(target, data, timeout != null ? { timeout } : {})
      },
    ],
  ])
}

/** The streaming routes: newline-delimited JSON over one long response. */
export function streamRoutes(node: CordNode): Map<string, StreamRoute> {
  return new Map<string, StreamRoute>([
    [
      'GET /v1/subscribe',
      (query, emit) => {
        const topic = query.get('topic') ?? ''
        const off = node.subscribe(topic, (m) => emit({ type: 'message', ...m }), {
          onGap: (gap) => emit({ type: 'gap', ...gap }),
        })
        emit({ type: 'subscribed', topic })
        return off
      },
    ],
    [
      'GET /v1/messages',
      (_query, emit) => {
        // While a client listens the node takes direct messages; they are acknowledged once written here.
        const off = node.onMessage((m) => emit({ type: 'message', ...m }))
        emit({ type: 'listening', peerId: node.peerId })
        return off
      },
    ],
  ])
}
