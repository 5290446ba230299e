/**
 * The control file `<dir>/control.json` (mode 0600): the address and bearer token of the running
 * daemon's control API. Written when the daemon is ready, removed when it stops.
 */
import { randomBytes } from 'node:crypto'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'

/** Contents of the control file. */
export interface ControlFile {
  /** The control API's base URL. */
  url: string
  /** Its bearer token. */
  token: string
  /** The daemon's process ID. */
  pid: number
  /** The daemon's peer ID. */
  peerId: string
  /** The MCP gateway's Streamable HTTP URL, when it is on. */
  gateway?: string
  /** The metrics listener's base URL (`/health`, `/ready`, `/metrics`), when it is on. */
  metrics?: string
}

/**
 * Checks a parsed control file by hand: every CLI command reads it, and a schema library would cost
 * each of them its load time (`cord id` should start about as fast as `node` itself).
 */
export function asControlFile(value: unknown): ControlFile | undefined {
  if (typeof value !== 'object' || value == null) return undefined
  const v = value as Record<string, unknown>
  const isUrl = (u: unknown): u is string => typeof u === 'string' && URL.canParse(u)
  if (!isUrl(v.url) || typeof v.token !== 'string' || v.token.length < 32) return undefined
  if (!Number.isInteger(v.pid) || typeof v.peerId !== 'string') return undefined
  if (v.gateway !== undefined && !isUrl(v.gateway)) return undefined
  if (v.metrics !== undefined && !isUrl(v.metrics)) return undefined
  return {
    url: v.url,
    token: v.token,
    pid: v.pid as number,
    peerId: v.peerId,
    ...(v.gateway !== undefined ? { gateway: v.gateway } : {}),
    ...(v.metrics !== undefined ? { metrics: v.metrics } : {}),
  }
}

/** A new random bearer token: 32 bytes, hex. */
export function newToken(): string {
  return randomBytes(32).toString('hex')
}

/** The token in file `path`, or a new one written there (mode 0600) when there is none. */
export async function readOrCreateToken(path: string): Promise<string> {
  try {
    const token = (await readFile(path, 'utf8')).trim()
    if (token.length >= 32) return token
  } catch {}
  const token = newToken()
  await writeFile(path, `${token}\n`, { mode: 0o600 })
  return token
}

/** Writes the control file atomically, readable by its owner only. */
export async function writeControlFile(path: string, contents: ControlFile): Promise<void> {
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, `${JSON.stringify(contents, null, 2)}\n`, { mode: 0o600 })
  await rename(tmp, path)
}

/** Reads the control file; `undefined` when there is none or it is unreadable. */
export async function readControlFile(path: string): Promise<ControlFile | undefined> {
  try {
    return asControlFile(JSON.parse(await readFile(path, 'utf8')))
  } catch {
    return undefined
  }
}

/** Removes the control file if it still belongs to this process. */
export async function removeControlFile(path: string, pid = process.pid): Promise<void> {
  const current = await readControlFile(path)
  if (current == null || current.pid === pid) await rm(path, { force: true })
}
