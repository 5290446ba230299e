/**
 * The node's persistent Ed25519 identity: the same key, hence the same peer ID, after every restart.
 */
import { readFile, writeFile } from 'node:fs/promises'
import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { ConfigError } from '../errors.ts'

/** Loads the key at `path`, or creates one there (mode 0600) when there is none. */
export async function loadOrCreateIdentity(path: string): Promise<PrivateKey> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
    const key = await generateKeyPair('Ed25519')
    try {
      // 'wx': never overwrite a key that another process wrote meanwhile.
      await writeFile(path, privateKeyToProtobuf(key), { mode: 0o600, flag: 'wx' })
      return key
    } catch (writeErr) {
      if ((writeErr as NodeJS.ErrnoException).code !== 'EEXIST') throw writeErr
      bytes = await readFile(path)
    }
  }
  try {
    return privateKeyFromProtobuf(bytes)
  } catch (err) {
    throw new ConfigError(
      `identity key ${path} is corrupt (${(err as Error).message}); restore it from a backup, or delete it to take a new peer ID`,
    )
  }
}
