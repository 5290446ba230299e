/** `cord id`, `cord peers`, `cord tools`, `cord status`: read-only questions to the daemon. */
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import type { NodeStatus, PeerInfo } from '../../node/types.ts'
import { json, type Output, peersTable, statusText, toolsTable } from '../output.ts'
import { type DirOption, daemon } from './daemon-client.ts'

interface JsonOption extends DirOption {
  json?: boolean
}

/** `cord id`: peer ID, alias, listen addresses. */
export async function idCommand(options: JsonOption, io: Output): Promise<void> {
  const id = await (await daemon(options)).request<{ peerId: string; alias: string; addrs: string[] }>(
    'GET',
    '/v1/id',
  )
  if (options.json === true) return io.out(json(id))
  io.out(`peer ID  ${id.peerId}\nalias    ${id.alias}`)
  for (const addr of id.addrs) io.out(`listen   ${addr}`)
}

/** `cord peers`: the peers the node knows. */
export async function peersCommand(options: JsonOption, io: Output): Promise<void> {
  const peers = await (await daemon(options)).request<PeerInfo[]>('GET', '/v1/peers')
  io.out(options.json === true ? json(peers) : peersTable(peers))
}

/** `cord tools [PEER]`: the tools of a peer, or of the local node. */
export async function toolsCommand(
  peer: string | undefined,
  options: JsonOption & { timeout?: number },
  io: Output,
): Promise<void> {
  const query = new URLSearchParams()
  if (peer != null) query.set('peer', peer)
  if (options.timeout != null) query.set('timeout', String(options.timeout))
  const client = await daemon(options)
  const tools = await client.request<Tool[]>(
    'GET',
    `/v1/tools?${query}`,
    undefined,
    options.timeout ?? 30_000,
  )
  io.out(options.json === true ? json(tools) : toolsTable(tools))
}

/** `cord status`: the daemon's state and counters. */
export async function statusCommand(options: JsonOption, io: Output): Promise<void> {
  const status = await (await daemon(options)).request<NodeStatus & { control?: { url?: string } }>(
    'GET',
    '/v1/status',
  )
  io.out(options.json === true ? json(status) : statusText(status))
}
