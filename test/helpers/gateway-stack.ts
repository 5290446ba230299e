/** A node of a harness with a gateway and its HTTP endpoint, for gateway integration tests. */
import { pino } from 'pino'
import type { Gateway } from '../../src/gateway/gateway.ts'
import type { GatewayHttpInit, GatewayHttpServer } from '../../src/gateway/http.ts'
import type { CordNode, NodeOptions } from '../../src/index.ts'
import type { Harness } from './harness.ts'

/** A gateway stack: `close()` stops the endpoint and the gateway (the harness stops the node). */
export interface GatewayStack {
  node: CordNode
  gateway: Gateway
  http: GatewayHttpServer
  url: URL
  close: () => Promise<void>
}

/** Starts a node of `h` with a gateway and an HTTP endpoint on 127.0.0.1 (4 sessions at most by default). */
export async function gatewayStack(
  h: Harness,
  http: Partial<GatewayHttpInit> = {},
  node: NodeOptions = {},
): Promise<GatewayStack> {
  const { Gateway } = await import('../../src/gateway/gateway.ts')
  const { GatewayHttpServer } = await import('../../src/gateway/http.ts')
  const started = await h.spawn(node)
  const gateway = new Gateway(started, { maxTools: 100 }, pino({ level: 'silent' }))
  const server = new GatewayHttpServer(
    gateway,
    {
      listen: '127.0.0.1:0',
      allowedHosts: [],
      allowedOrigins: [],
      idleTimeoutMs: 60_000,
      maxSessions: 4,
      maxBodyBytes: 1 << 20,
      ...http,
    },
    pino({ level: 'silent' }),
  )
  const url = new URL((await server.start()).replace('0.0.0.0', '127.0.0.1'))
  const close = async (): Promise<void> => {
    await server.stop()
    await gateway.close()
  }
  return { node: started, gateway, http: server, url, close }
}
