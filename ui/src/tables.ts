/** The page's tables and facts: this node, its peers, hosted servers, the mesh catalog. */
import { badge, byId, duration, el, fillBody, row, shortId } from './dom.ts'
import type { State } from './types.ts'

/** This node's facts. */
export function renderSelf(state: State): void {
  const { node } = state
  byId('self-alias').textContent = `· ${node.alias}`
  const facts: Array<[string, string | HTMLElement]> = [
    ['Alias', node.alias],
    ['Peer ID', el('code', node.peerId)],
    ['Reachability', badge(node.reachability)],
    ['Uptime', duration(node.uptimeMs)],
    ['Connections', String(node.connections)],
    ['Calls in flight', `${node.activeCalls.inbound} served, ${node.activeCalls.outbound} made`],
    ['Heartbeat period', duration(node.discovery.periodMs)],
    ['Version', node.version],
  ]
  const addrs = el('ul', undefined, { class: 'addrs' })
  for (const a of node.addrs) addrs.append(el('li', a))
  facts.push(['Addresses', node.addrs.length > 0 ? addrs : '(none)'])
  const dl = byId('self')
  dl.replaceChildren(
    ...facts.flatMap(([k, v]) => {
      const dd = el('dd')
      dd.append(v)
      return [el('dt', k), dd]
    }),
  )
}

/** The peers table: one row per known peer, with its state in words. */
export function renderPeers(state: State): void {
  const rows = state.peers.map((p) => {
    const seen = p.lastHeartbeat != null ? `${duration(state.time - Date.parse(p.lastHeartbeat))} ago` : '—'
    const id = el('code', shortId(p.peerId), { title: p.peerId })
    const load = p.load != null ? `${p.load.inflight} / ${p.load.capacity}` : '—'
    const live = p.state ?? (p.connected ? 'connected' : 'unknown')
    return row(
      [
        p.alias ?? '—',
        id,
        badge(live),
        p.connection ?? (p.connected ? 'yes' : 'not connected'),
        p.rttMs != null ? `${Math.round(p.rttMs)} ms` : '—',
        load,
        seen,
      ],
      { 'data-peer': p.peerId, 'data-alias': p.alias ?? '', 'data-state': live },
    )
  })
  fillBody(byId('peers'), rows, 'No peers known yet.')
}

/** The hosted MCP servers. */
export function renderServers(state: State): void {
  const rows = state.servers.map((s) =>
    row(
      [
        el('span', s.name, { title: s.target }),
        s.kind,
        badge(s.state),
        String(s.restarts),
        String(s.tools),
        s.lastError ?? '—',
      ],
      {
        'data-server': s.name,
      },
    ),
  )
  fillBody(byId('servers'), rows, 'This node hosts no MCP server (see [[servers]] in config.toml).')
}

/** The mesh catalog: each tool with its providers. */
export function renderCatalog(state: State): void {
  const rows = state.catalog.map((t) => {
    const who = el('ul', undefined, { class: 'providers' })
    for (const p of t.providers) {
      const li = el('li', `${p.alias ?? shortId(p.peerId)} `, { title: p.peerId })
      li.append(badge(p.state))
      who.append(li)
    }
    return row([el('code', t.name), who, t.description.split('\n')[0] ?? ''], { 'data-tool': t.name })
  })
  fillBody(byId('catalog'), rows, 'No tools in the mesh yet.')
}
