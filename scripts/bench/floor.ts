/**
 * The floor of the call benchmark: a raw length-prefixed echo on a plain libp2p host — TCP, Noise and
 * Yamux, nothing else (no identify, ping, DHT or pubsub) — in a process of its own, called from
 * another plain libp2p host in the benchmark's process over one long-lived stream, frames pipelined.
 * No MCP, JSON-RPC or admission: what any protocol on this stack pays at least.
 *
 * Run as a script it is the serving side: it prints `ready <multiaddr>` on stdout and runs until
 * SIGTERM.
 */
import { noise } from '@chainsafe/libp2p-noise'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { lpStream } from '@libp2p/utils'
import { yamux } from '@libp2p/yamux'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import type { Target } from './measure.ts'
import { PROFILE_ARGS, startChild, stopChild } from './procs.ts'

const ECHO_PROTOCOL = '/cord-bench/echo/1.0.0'

/** A host with the transport stack and nothing else. */
function plainHost(): Promise<Libp2p> {
  return createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    // The connection monitor pings every connection: a protocol, and not part of the floor.
    connectionMonitor: { enabled: false },
  })
}

async function serve(): Promise<void> {
  const host = await plainHost()
  await host.handle(
    ECHO_PROTOCOL,
    async (stream) => {
      const lp = lpStream(stream)
      try {
        for (;;) await lp.write(await lp.read())
      } catch {
        stream.abort(new Error('done'))
      }
    },
    { maxInboundStreams: 128 },
  )
  process.stdout.write(`ready ${host.getMultiaddrs()[0]!.toString()}\n`)
  process.once('SIGTERM', () => void Promise.resolve(host.stop()).then(() => process.exit(0)))
}

/** Starts the echo host in its own process; the target calls it from a plain host in this one. */
export async function floorTarget(payload: Uint8Array): Promise<Target> {
  const { proc, lines } = await startChild(
    [...PROFILE_ARGS, '--import', 'tsx', new URL(import.meta.url).pathname],
    {
      ready: (line) => line.startsWith('ready '),
    },
  )
  const addr = multiaddr(lines.at(-1)!.slice('ready '.length))
  const host = await plainHost()
  const stream = await host.dialProtocol(addr, ECHO_PROTOCOL)
  const lp = lpStream(stream)
  // Replies come back in order: a reader settles the oldest call with each.
  const waiting: Array<() => void> = []
  void (async () => {
    try {
      for (;;) {
        await lp.read()
        waiting.shift()?.()
      }
    } catch {
      // the stream closed at the end
    }
  })()
  return {
    name: 'floor',
    label: 'floor: raw echo, plain libp2p (TCP+Noise+Yamux), own process',
    call: () =>
      new Promise<void>((resolve, reject) => {
        waiting.push(resolve)
        lp.write(payload).catch(reject)
      }),
    close: async () => {
      stream.abort(new Error('done'))
      await host.stop()
      await stopChild(proc)
    },
    ...(proc.pid != null ? { servingPid: proc.pid } : {}),
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await serve()
