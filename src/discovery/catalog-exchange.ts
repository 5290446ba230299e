/**
 * `/cord/catalog/1.0.0` (see protocols/catalog.md): a node asks a neighbour for catalog records,
 * named by provider and digest or all it holds, in one request frame; the neighbour answers with one
 * frame per record (the bytes as the provider signed them) and an empty frame, and both close. The
 * asker verifies every record itself: a neighbour can withhold records, never forge them.
 */
import type { Libp2p, PeerId, Stream } from '@libp2p/interface'
import { lpStream } from '@libp2p/utils'
import { z } from 'zod'
import { CATALOG_PROTOCOL } from '../constants.ts'
import { PeerUnreachableError } from '../errors.ts'
import type { Logger } from '../logger.ts'
import { callDeadline } from '../util/deadline.ts'
import { MAX_CATALOG_RECORD_BYTES } from './catalog-record.ts'
import type { CatalogStore } from './catalog-store.ts'

/** Largest request frame. */
const MAX_REQUEST_BYTES = 64 * 1024

/** Most records one request may name, and one answer may carry. */
export const MAX_WANTED = 512
const MAX_RECORDS_PER_ANSWER = 4_096

/** Most bytes of records in one answer (the rest: ask again). */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024

/** Inbound streams of this protocol per connection, and requests served at once by the node. */
const MAX_INBOUND_STREAMS = 2
const MAX_SERVING = 8

/** How long one exchange may take, either side. */
export const EXCHANGE_TIMEOUT_MS = 10_000

/** A request: the records of these providers for these digests, or (`all`) every record held. */
export const catalogRequestSchema = z.strictObject({
  v: z.literal(1),
  want: z
    .array(z.strictObject({ peerId: z.string().min(1).max(128), digest: z.string().regex(/^[0-9a-f]{32}$/) }))
    .max(MAX_WANTED)
    .optional(),
  all: z.literal(true).optional(),
})

/** A request. */
export type CatalogRequest = z.infer<typeof catalogRequestSchema>

/** What the exchange needs. */
export interface CatalogExchangeComponents {
  libp2p: Pick<Libp2p, 'handle' | 'unhandle' | 'dialProtocol'>
  store: CatalogStore
  log: Logger
}

const encoder = new TextEncoder()
const decoder = new TextDecoder()

/** Both sides of `/cord/catalog/1.0.0`. */
export class CatalogExchange {
  /** Requests served and records sent; requests refused (too many at once, or malformed). */
  readonly stats = { served: 0, servedRecords: 0, servedBytes: 0, refused: 0 }
  private readonly c: CatalogExchangeComponents
  private serving = 0
  private stopping = new AbortController()
  private running = false

  constructor(components: CatalogExchangeComponents) {
    this.c = components
  }

  async start(): Promise<void> {
    if (this.running) return
    this.running = true
    this.stopping = new AbortController()
    await this.c.libp2p.handle(CATALOG_PROTOCOL, (stream) => this.serve(stream), {
      maxInboundStreams: MAX_INBOUND_STREAMS,
    })
  }

  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    this.stopping.abort()
    await this.c.libp2p.unhandle(CATALOG_PROTOCOL)
  }

  /** Asks `peer` for records; the frames it answered with, unverified. */
  async request(peer: PeerId, request: CatalogRequest, signal: AbortSignal): Promise<Uint8Array[]> {
    const deadline = callDeadline(EXCHANGE_TIMEOUT_MS, [signal, this.stopping.signal])
    let stream: Stream
    try {
      stream = await this.c.libp2p.dialProtocol(peer, CATALOG_PROTOCOL, { signal: deadline.signal })
    } catch (err) {
      deadline.dispose()
      throw new PeerUnreachableError(`cannot ask peer ${peer} for catalogs: ${(err as Error).message}`)
    }
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_CATALOG_RECORD_BYTES })
      await lp.write(encoder.encode(JSON.stringify(request)), { signal: deadline.signal })
      const frames: Uint8Array[] = []
      for (;;) {
        const frame = (await lp.read({ signal: deadline.signal })).subarray()
        if (frame.byteLength === 0) break
        if (frames.length >= MAX_RECORDS_PER_ANSWER) throw new Error('too many records in one answer')
        frames.push(frame)
      }
      await stream.close({ signal: deadline.signal }).catch(() => {})
      return frames
    } catch (err) {
      stream.abort(err as Error)
      throw new PeerUnreachableError(`peer ${peer} broke off the catalog exchange: ${(err as Error).message}`)
    } finally {
      deadline.dispose()
    }
  }

  private async serve(stream: Stream): Promise<void> {
    if (this.serving >= MAX_SERVING) {
      this.stats.refused++
      stream.abort(new Error('too many catalog requests at once'))
      return
    }
    this.serving++
    const deadline = callDeadline(EXCHANGE_TIMEOUT_MS, [this.stopping.signal])
    const { signal } = deadline
    try {
      const lp = lpStream(stream, { maxDataLength: MAX_REQUEST_BYTES })
      const parsed = catalogRequestSchema.safeParse(parseJson((await lp.read({ signal })).subarray()))
      if (!parsed.success) {
        this.stats.refused++
        throw new Error(`malformed catalog request: ${parsed.error.issues[0]?.message ?? ''}`)
      }
      let bytes = 0
      let count = 0
      for (const held of this.answer(parsed.data)) {
        if (bytes + held.bytes.byteLength > MAX_ANSWER_BYTES || count >= MAX_RECORDS_PER_ANSWER) break
        await lp.write(held.bytes, { signal })
        bytes += held.bytes.byteLength
        count++
      }
      await lp.write(new Uint8Array(), { signal })
      await stream.close({ signal })
      this.stats.served++
      this.stats.servedRecords += count
      this.stats.servedBytes += bytes
    } catch (err) {
      this.c.log.debug({ err: (err as Error).message }, 'catalog request not served')
      stream.abort(err as Error)
    } finally {
      this.serving--
      deadline.dispose()
    }
  }

  private answer(request: CatalogRequest): ReturnType<CatalogStore['all']> {
    if (request.all === true) return this.c.store.all()
    return (request.want ?? []).flatMap((w) => this.c.store.get(w.peerId, w.digest) ?? [])
  }
}

function parseJson(bytes: Uint8Array): unknown {
  try {
    return JSON.parse(decoder.decode(bytes))
  } catch {
    return undefined
  }
}
