/**
 * The private network's pre-shared key, `<dir>/swarm.key`, in the format of libp2p and Kubo:
 *
 *     /key/swarm/psk/1.0.0/
 *     /base16/
 *     <64 hex digits>
 *
 * Nodes with the same key form one private network; nodes with another key or none cannot connect.
 */
import { createHash, randomBytes } from 'node:crypto'
import { readFile, writeFile } from 'node:fs/promises'
import { SwarmKeyError } from '../errors.ts'

const HEADER = '/key/swarm/psk/1.0.0/'
const CODEC = '/base16/'

/** The text of a new random swarm key. */
export function newSwarmKey(): string {
  return `${HEADER}\n${CODEC}\n${randomBytes(32).toString('hex')}\n`
}

/** Checks a swarm key's text; returns it as bytes for @libp2p/pnet, or throws naming what is wrong. */
export function parseSwarmKey(text: string, where: string): Uint8Array {
  const lines = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').split('\n')
  const fail = (line: number, what: string): never => {
    throw new SwarmKeyError(
      `${where}:${line}: ${what}; a swarm key is three lines: "${HEADER}", "${CODEC}", then 64 hex digits (create one with cord init --psk)`,
    )
  }
  if (lines.length !== 3) fail(Math.min(lines.length + 1, 4), `expected 3 lines, found ${lines.length}`)
  if (lines[0]!.trim() !== HEADER) fail(1, `expected "${HEADER}", found "${lines[0]!.slice(0, 40)}"`)
  if (lines[1]!.trim() !== CODEC)
    fail(2, `expected "${CODEC}" (the only encoding supported), found "${lines[1]!.slice(0, 40)}"`)
  const hex = lines[2]!.trim()
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) fail(3, `expected 64 hex digits, found ${hex.length} characters`)
  return new TextEncoder().encode(`${HEADER}\n${CODEC}\n${hex.toLowerCase()}`)
}

/** The swarm key at `path`, or undefined when there is no such file. */
export async function readSwarmKey(path: string): Promise<Uint8Array | undefined> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new SwarmKeyError(`cannot read the swarm key ${path}: ${(err as Error).message}`)
  }
  return parseSwarmKey(text, path)
}

/** Writes a new swarm key to `path` (mode 0600) unless one is there; says whether it wrote one. */
export async function createSwarmKey(path: string): Promise<boolean> {
  try {
    await writeFile(path, newSwarmKey(), { mode: 0o600, flag: 'wx' })
    return true
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') {
      await readSwarmKey(path) // an existing key must at least be valid
      return false
    }
    throw err
  }
}

/**
 * A short fingerprint of a swarm key (the first 8 bytes of the SHA-256 of its key line, in hex), for
 * `cord status`: two nodes with the same fingerprint hold the same key, and the key itself is not shown.
 */
export function swarmKeyFingerprint(psk: Uint8Array): string {
  const hex = new TextDecoder().decode(psk).split('\n')[2] ?? ''
  return createHash('sha256').update(hex).digest('hex').slice(0, 16)
}
