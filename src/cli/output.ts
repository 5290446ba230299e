/**
 * How the CLI prints things: JSON for `--json`, short tables and plain text otherwise.
 */
import type { CallToolResult, Tool } from '@modelcontextprotocol/sdk/types.js'
import type { NodeStatus, PeerInfo } from '../node/types.ts'

/** Where the CLI writes; tests and `cord mcp` can swap it. */
export interface Output {
  out: (text: string) => void
  err: (text: string) => void
}

/** The process's stdout and stderr. */
export const stdio: Output = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
}

/** Pretty JSON. */
export function json(value: unknown): string {
  return JSON.stringify(value, null, 2)
}

/** A table with a header row; columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  return [line(header), ...rows.map(line)].join('\n')
}

/** The text a user wants from a tool result: its text items; other items summarised. */
export function resultText(result: CallToolResult): string {
  const parts = result.content.map((item) => {
    switch (item.type) {
      case 'text':
        return item.text
      case 'image':
      case 'audio':
        return `[${item.type} ${item.mimeType}, ${Math.floor((item.data.length * 3) / 4)} bytes]`
      case 'resource':
        return 'text' in item.resource ? item.resource.text : `[resource ${item.resource.uri}]`
      case 'resource_link':
        return `[resource link ${item.uri}]`
      default:
        return json(item)
    }
  })
  if (parts.length === 0 && result.structuredContent != null) return json(result.structuredContent)
  return parts.join('\n')
}

/** The tools of a peer, one line each. */
export function toolsTable(tools: Tool[]): string {
  if (tools.length === 0) return '(no tools)'
  return table(
    ['TOOL', 'DESCRIPTION'],
    tools.map((t) => [t.name, (t.description ?? '').split('\n')[0] ?? '']),
  )
}

/** Known peers. */
export function peersTable(peers: PeerInfo[]): string {
  if (peers.length === 0) return '(no known peers)'
  return table(
    ['PEER ID', 'ALIAS', 'STATE', 'CONNECTED', 'LAST HEARTBEAT', 'RTT', 'ADDRESS'],
    peers.map((p) => [
      p.peerId,
      p.alias ?? '-',
      p.state ?? '-',
      p.connection ?? (p.connected ? 'yes' : 'no'),
      p.lastHeartbeat != null
        ? `${((Date.now() - Date.parse(p.lastHeartbeat)) / 1000).toFixed(1)} s ago`
        : '-',
      p.rttMs != null ? `${p.rttMs} ms` : '-',
      p.addrs[0] ?? '-',
    ]),
  )
}

function meshLine(d: NodeStatus['discovery']): string {
  const rejected = Object.values(d.rejected).reduce((a, b) => a + b, 0)
  return `${d.peers} peers known; heartbeats ${d.published} sent, ${d.received} received, ${rejected} rejected`
}

/** How a client authenticates at the gateway: the header to send, or that none is needed. */
export function gatewayAuth(tokenFile: string | undefined): string {
  return tokenFile != null
    ? `clients send "Authorization: Bearer <token>", the token in ${tokenFile} (\`cord mcp\` does)`
    : 'no token needed (require_token = false): any local process may use it'
}

/** Topic and direct-message counters in one line. */
function topicsLine(t: NodeStatus['topics']): string {
  const rejected = Object.values(t.rejected).reduce((a, b) => a + b, 0)
  return (
    `${t.subscribed} subscribed; ${t.published} published, ${t.delivered} delivered, ${rejected} rejected, ` +
    `${t.missed} missed; direct ${t.messages.sent} sent, ${t.messages.received} received`
  )
}

function reachLine(status: NodeStatus): string {
  const r = status.reachability
  const how = r.mode === 'auto' ? '' : ` (forced: [nat] reachability = "${r.mode}")`
  const seen = r.observed != null ? `; peers see this node at ${r.observed} (NAT)` : ''
  return `${r.status}${how}${seen}${r.upnp ? '; UPnP on' : ''}; mDNS ${status.mdns.enabled ? 'on' : 'off'}`
}

function relayLine(relay: NodeStatus['relay']): string {
  const held =
    relay.reservations.length > 0
      ? `reservations on ${relay.reservations.map((r) => r.relay).join(', ')}`
      : 'no reservation'
  return `${held}${relay.server ? `; serving as a relay (${relay.clients} clients)` : ''}`
}

/** The daemon's status. */
export function statusText(
  status: NodeStatus & {
    control?: { url?: string }
    gateway?: { url?: string; sessions: number; tokenFile?: string | null } | null
  },
): string {
  const lines = [
    ['peer ID', status.peerId],
    ['alias', status.alias],
    ['state', status.state],
    ['version', status.version],
    ['uptime', `${Math.round(status.uptimeMs / 1000)} s`],
    ['data dir', status.dir ?? '-'],
    ['control', status.control?.url ?? '-'],
    [
      'gateway',
      status.gateway?.url != null ? `${status.gateway.url} (${status.gateway.sessions} sessions)` : 'off',
    ],
    ...(status.gateway?.url != null ? [['', gatewayAuth(status.gateway.tokenFile ?? undefined)]] : []),
    ['metrics', status.metrics?.url != null ? `${status.metrics.url}/metrics (also /health, /ready)` : 'off'],
    [
      'network',
      status.network.private
        ? `private (swarm key ${status.network.keyFingerprint})`
        : 'open (no swarm.key: any libp2p node may connect, subject to [access])',
    ],
    ['reach', reachLine(status)],
    ['relay', relayLine(status.relay)],
    ['connections', String(status.connections)],
    ['sessions', `${status.inboundSessions} in, ${status.outboundSessions} out`],
    ['calls', `${status.activeCalls.inbound} in, ${status.activeCalls.outbound} out`],
    ['tools', String(status.tools)],
    ['mesh', meshLine(status.discovery)],
    ...(status.topics != null ? [['topics', topicsLine(status.topics)]] : []),
    ...status.addrs.map((a, i) => [i === 0 ? 'listen' : '', a]),
  ]
  const text = lines.map(([k, v]) => `${(k ?? '').padEnd(12)}${v}`).join('\n')
  if (status.upstreams.length === 0) return text
  const servers = table(
    ['SERVER', 'KIND', 'STATE', 'RESTARTS', 'TOOLS', 'LAST ERROR'],
    status.upstreams.map((u) => [
      u.name,
      u.kind,
      u.state,
      String(u.restarts),
      String(u.tools),
      u.lastError ?? '-',
    ]),
  )
  return `${text}\n\n${servers}`
}
