/**
 * `cord publish TOPIC JSON`, `cord subscribe TOPIC`, `cord send TARGET JSON` and `cord topics`:
 * topics and direct messages through the local daemon.
 */
import { readFileSync } from 'node:fs'
import { DEFAULT_SEND_TIMEOUT_MS } from '../../constants.ts'
import { InvalidArgumentError, NoDaemonError } from '../../errors.ts'
import type { TopicGap, TopicInfo, TopicMessage } from '../../topics/types.ts'
import { EXIT } from '../exit-codes.ts'
import { json, type Output, table } from '../output.ts'
import { type DirOption, daemon } from './daemon-client.ts'

interface JsonOption extends DirOption {
  json?: boolean
}

/** Parses a message's JSON argument (`-` reads it from stdin): any JSON value. */
export function parseDataJson(text: string): unknown {
  const source = text === '-' ? readFileSync(0, 'utf8') : text
  try {
    return JSON.parse(source)
  } catch (err) {
    throw new InvalidArgumentError(
      `JSON is not valid JSON: ${(err as Error).message} (expected a JSON value such as '{"task":42}', '"text"' or 7)`,
    )
  }
}

/** The last 8 characters of a peer ID, as the CLI shows peers in a stream. */
const short = (peer: string): string => peer.slice(-8)

/** `cord publish TOPIC JSON`: publishes on a topic through the daemon. */
export async function publishCommand(
  topic: string,
  data: string,
  options: JsonOption,
  io: Output,
): Promise<void> {
  const value = parseDataJson(data)
  const client = await daemon(options)
  const sent = await client.request<{ seq: number; recipients: number }>('POST', '/v1/publish', {
    topic,
    data: value,
  })
  if (options.json === true) return io.out(json(sent))
  io.out(
    `published to ${topic} (#${sent.seq}, sent to ${sent.recipients} peer${sent.recipients === 1 ? '' : 's'})`,
  )
}

/** `cord send TARGET JSON`: a direct message, acknowledged by the receiver. */
export async function sendCommand(
  target: string,
  data: string,
  options: JsonOption & { timeout?: number },
  io: Output,
): Promise<void> {
  const value = parseDataJson(data)
  const client = await daemon(options)
  const sent = await client.request<{ peer: string; seq: number }>(
    'POST',
    '/v1/send',
    { target, data: value, ...(options.timeout != null ? { timeout: options.timeout } : {}) },
    options.timeout ?? DEFAULT_SEND_TIMEOUT_MS,
  )
  if (options.json === true) return io.out(json(sent))
  io.out(`delivered to ${sent.peer} (#${sent.seq}, acknowledged)`)
}

/** `cord topics`: the topics of this node and its connected peers, with subscriber counts. */
export async function topicsCommand(options: JsonOption, io: Output): Promise<void> {
  const topics = await (await daemon(options)).request<TopicInfo[]>('GET', '/v1/topics')
  if (options.json === true) return io.out(json(topics))
  if (topics.length === 0) return io.out('(no topics: neither this node nor its peers subscribe to any)')
  io.out(
    table(
      ['TOPIC', 'SUBSCRIBERS', 'HERE', 'PEERS'],
      topics.map((t) => [
        t.topic,
        String(t.subscribers),
        t.subscribed ? 'yes' : 'no',
        t.peers.map(short).join(', '),
      ]),
    ),
  )
}

type StreamLine =
  | ({ type: 'message' } & Omit<TopicMessage, 'topic'>)
  | ({ type: 'gap' } & TopicGap)
  | { type: 'subscribed'; topic: string }
  | { type: 'listening'; peerId: string }

/** One line of `cord subscribe` or `cord messages` for a person. */
function humanLine(line: StreamLine): string | undefined {
  if (line.type === 'message') {
    const time = new Date(line.timestamp).toISOString().slice(11, 23)
    return `${time} ${short(line.from)} #${line.seq} ${JSON.stringify(line.data)}`
  }
  if (line.type === 'gap') {
    const n = line.last - line.first + 1
    return `-- missed ${n} message${n === 1 ? '' : 's'} from ${short(line.from)} (#${line.first}–#${line.last})`
  }
  return undefined
}

/**
 * `cord subscribe TOPIC`: one line per message (JSON lines with `--json`, gaps included) until
 * Ctrl+C (exit 0) or the daemon stops (exit 3).
 */
export async function subscribeCommand(topic: string, options: JsonOption, io: Output): Promise<number> {
  return follow(`/v1/subscribe?${new URLSearchParams({ topic })}`, options, io)
}

/**
 * `cord messages`: the direct messages sent to the daemon, one line each, until Ctrl+C. While it
 * runs the daemon takes direct messages (without a listener it refuses them).
 */
export async function messagesCommand(options: JsonOption, io: Output): Promise<number> {
  return follow('/v1/messages', options, io)
}

/** Prints a streaming endpoint's lines until Ctrl+C (exit 0) or the daemon ends it (NoDaemonError). */
async function follow(path: string, options: JsonOption, io: Output): Promise<number> {
  const client = await daemon(options)
  const stop = new AbortController()
  const onSignal = (): void => stop.abort()
  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
  try {
    await client.stream(
      path,
      (value) => {
        const line = value as StreamLine
        if (line.type === 'subscribed') return io.err(`subscribed to ${line.topic} (Ctrl+C to stop)`)
        if (line.type === 'listening')
          return io.err(`taking direct messages to ${line.peerId} (Ctrl+C to stop)`)
        const text = options.json === true ? JSON.stringify(line) : humanLine(line)
        if (text != null) io.out(text)
      },
      stop.signal,
    )
  } catch (err) {
    if (stop.signal.aborted) return EXIT.ok
    throw err
  } finally {
    process.off('SIGINT', onSignal)
    process.off('SIGTERM', onSignal)
  }
  throw new NoDaemonError(`the daemon for ${client.dir} ended the stream (it is stopping)`)
}
