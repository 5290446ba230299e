/**
 * The daemon's log files: `<dir>/logs/cord.1.log`, `cord.2.log`, … (see rotating-file.ts), the
 * highest being the one written now. A reader goes through them oldest first and, to follow, keeps
 * reading the newest one as it grows and moves on when a rotation starts the next.
 */
import { readdirSync } from 'node:fs'
import { open, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { StringDecoder } from 'node:string_decoder'

/** The folder of a data directory that holds its daemon's log files. */
export function logDir(dataDir: string): string {
  return join(dataDir, 'logs')
}

const LOG_FILE = /^cord\.(\d+)\.log$/

/** The numbers of the log files in `dir`, oldest first; none when the folder does not exist. */
export async function logFileNumbers(dir: string): Promise<number[]> {
  const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return []
    throw err
  })
  return numbersOf(names)
}

function numbersOf(names: string[]): number[] {
  return names
    .map((name) => LOG_FILE.exec(name)?.[1])
    .filter((n): n is string => n != null)
    .map(Number)
    .sort((a, b) => a - b)
}

/** `logFileNumbers`, synchronously: for the daemon opening its log before anything else runs. */
export function logFileNumbersSync(dir: string): number[] {
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return []
  }
  return numbersOf(names)
}

/** Largest piece read from a file at once. */
const CHUNK_BYTES = 1024 * 1024

/**
 * Reads the log files of one folder, oldest first, and then what was written since: each `read()`
 * returns the complete lines added since the last one, across rotations.
 */
export class LogReader {
  readonly dir: string
  private file: number | undefined
  private offset = 0
  private partial = ''
  private decoder = new StringDecoder('utf8')

  constructor(dir: string) {
    this.dir = dir
  }

  /** The complete lines written since the last read (all of them, the first time). */
  async read(): Promise<string[]> {
    const lines: string[] = []
    const numbers = await logFileNumbers(this.dir)
    // The current file too: it may have grown before the rotation that started the next.
    for (const n of numbers.filter((n) => this.file == null || n >= this.file)) {
      if (n !== this.file) this.moveTo(n)
      await this.readRest(join(this.dir, `cord.${n}.log`), lines)
      if (n !== numbers.at(-1) && this.partial !== '') {
        // a rotated file is complete: a last line without its newline is still a line
        lines.push(this.partial)
        this.partial = ''
      }
    }
    return lines
  }

  private moveTo(n: number): void {
    this.file = n
    this.offset = 0
    this.partial = ''
    this.decoder = new StringDecoder('utf8')
  }

  /** Appends the complete lines from `offset` to the end of `path` (gone since: nothing). */
  private async readRest(path: string, lines: string[]): Promise<void> {
    const handle = await open(path, 'r').catch(() => undefined)
    if (handle == null) return
    try {
      const buffer = Buffer.alloc(CHUNK_BYTES)
      for (;;) {
        const { bytesRead } = await handle.read(buffer, 0, CHUNK_BYTES, this.offset)
        if (bytesRead === 0) return
        this.offset += bytesRead
        const parts = (this.partial + this.decoder.write(buffer.subarray(0, bytesRead))).split('\n')
        this.partial = parts.pop() ?? ''
        for (const line of parts) if (line !== '') lines.push(line)
      }
    } finally {
      await handle.close()
    }
  }
}
