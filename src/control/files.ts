/**
 * The control file `<dir>/control.json` (mode 0600): the address and bearer token of the running
 * daemon's control API. Written when the daemon is ready, removed when it stops.
 */
import { randomBytes } from 'node:crypto'
import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { z } from 'zod'

/** Contents of the control file. */
export const controlFileSchema = z.object({
  url: z.url(),
  token: z.string().min(32),
  pid: z.number().int(),
  peerId: z.string(),
  /** The MCP gateway's Streamable HTTP URL, when it is on. */
  gateway: z.url().optional(),
})

/** Contents of the control file. */
export type ControlFile = z.infer<typeof controlFileSchema>

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
    const parsed = controlFileSchema.safeParse(JSON.parse(await readFile(path, 'utf8')))
    return parsed.success ? parsed.data : undefined
  } catch {
    return undefined
  }
}

/** Removes the control file if it still belongs to this process. */
export async function removeControlFile(path: string, pid = process.pid): Promise<void> {
  const current = await readControlFile(path)
  if (current == null || current.pid === pid) await rm(path, { force: true })
}
