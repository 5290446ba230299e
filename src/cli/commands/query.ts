/** `cord id`, `cord peers`, `cord tools`, `cord status`: read-only questions to the daemon. */
import type { Tool } from '@modelcontextprotocol/sdk/types.js'
import { DEFAULT_CALL_TIMEOUT_MS, FIND_TIMEOUT_MS } from '../../constants.ts'
import type { NodeStatus, PeerInfo } from '../../node/types.ts'
import { json, type Output, peersTable, statusText, table, toolsTable } from '../output.ts'
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

/** A tool of the mesh catalog, with the peers that serve it. */
type CatalogEntry = Tool & { providers: Array<{ peerId: string; alias?: string; state: string }> }

/** `cord find TOOL`: providers of a tool, from the DHT. */
export async function findCommand(
  tool: string,
  options: JsonOption & { timeout?: number },
  io: Output,
): Promise<void> {
  const query = new URLSearchParams({
    tool,
    ...(options.timeout != null ? { timeout: String(options.timeout) } : {}),
  })
  const client = await daemon(options)
  const found = await client.request<Array<{ peerId: string; alias?: string; state?: string }>>(
    'GET',
    `/v1/find?${query}`,
    undefined,
    options.timeout ?? FIND_TIMEOUT_MS,
  )
  if (options.json === true) return io.out(json(found))
  if (found.length === 0) return io.out(`(no provider of "${tool}" found)`)
  io.out(
    table(
      ['PEER ID', 'ALIAS', 'STATE'],
      found.map((p) => [p.peerId, p.alias ?? '-', p.state ?? 'unknown']),
    ),
  )
}

/** `cord tools [PEER]`: the tools of a peer, or the mesh catalog. */
export async function toolsCommand(
  peer: string | undefined,
  options: JsonOption & { timeout?: number },
  io: Output,
): Promise<void> {
  const client = await daemon(options)
  if (peer == null) {
    const catalog = await client.request<CatalogEntry[]>('GET', '/v1/catalog')
    if (options.json === true) return io.out(json(catalog))
    if (catalog.length === 0) return io.out('(no tools in the mesh)')
    const who = (e: CatalogEntry): string => e.providers.map((p) => p.alias ?? p.peerId.slice(-8)).join(', ')
    return io.out(
      table(
        ['TOOL', 'PROVIDERS', 'DESCRIPTION'],
        catalog.map((e) => [e.name, who(e), (e.description ?? '').split('\n')[0] ?? '']),
      ),
    )
  }
  const query = new URLSearchParams({ peer })
  if (options.timeout != null) query.set('timeout', String(options.timeout))
  const tools = await client.request<Tool[]>(
    'GET',
    `/v1/tools?${query}`,
    undefined,
    options.timeout ?? DEFAULT_CALL_TIMEOUT_MS,
  )
  io.out(options.json === true ? json(tools) : toolsTable(tools))
}

/** `cord status`: the daemon's state and counters. */
export async function statusCommand(options: JsonOption, io: Output): Promise<void> {
  const status = await (await daemon(options)).request<
    NodeStatus & { control?: { url?: string }; gateway?: { url?: string; sessions: number } | null }
  >('GET', '/v1/status')
  io.out(options.json === true ? json(status) : statusText(status))
}
