/** The snapshot `/ui/api/state` and `/ui/api/events` send (src/control/ui-state.ts on the daemon). */

export type PeerState = 'alive' | 'suspect' | 'dead'

export interface Peer {
  peerId: string
  alias?: string
  addrs: string[]
  connected: boolean
  connection?: 'direct' | 'relayed'
  rttMs?: number
  state?: PeerState
  lastHeartbeat?: string
  load?: { inflight: number; capacity: number }
  links?: string[]
}

export interface Tool {
  name: string
  description: string
  inputSchema: { type?: string; properties?: Record<string, { type?: string }>; required?: string[] }
  providers: Array<{ peerId: string; alias?: string; state: string }>
}

export interface Server {
  name: string
  kind: 'stdio' | 'http'
  target: string
  state: string
  restarts: number
  lastError?: string
  tools: number
}

export interface CallSecond {
  t: number
  in: number
  out: number
  errors: number
  p50?: number
  p90?: number
  p99?: number
}

export interface State {
  time: number
  node: {
    peerId: string
    alias: string
    version: string
    uptimeMs: number
    addrs: string[]
    connections: number
    reachability: string
    links: string[]
    activeCalls: { inbound: number; outbound: number }
    discovery: { periodMs: number; received: number; published: number }
  }
  peers: Peer[]
  catalog: Tool[]
  servers: Server[]
  calls: CallSecond[]
}
