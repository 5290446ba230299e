/** Starting the node's HTTP listeners (control API, MCP gateway) on a `host:port`. */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** `host:port` → its parts (an IPv6 host in brackets loses them). */
export function splitHostPort(listen: string): { host: string; port: number } {
  const i = listen.lastIndexOf(':')
  return { host: listen.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(listen.slice(i + 1)) }
}

/** Listens on `listen`; rejects with the listen error (address in use, …). */
export async function listenOn(server: Server, listen: string): Promise<void> {
  const { host, port } = splitHostPort(listen)
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
}

/** Whether `host` (an IP or name, IPv6 without brackets) is a loopback address. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/** The base URL (`http://host:port`) a server listens on; none before it listens. */
export function baseUrl(server: Server | undefined): string | undefined {
  const address = server?.address() as AddressInfo | null | undefined
  if (address == null) return undefined
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `http://${host}:${address.port}`
}
