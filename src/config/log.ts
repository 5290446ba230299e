/**
 * `[log]` in config.toml: how the daemon writes its log (`log_level` beside the other top-level keys
 * says how much). On stderr, readable lines on a terminal and JSON lines otherwise; in
 * `<dir>/logs/`, JSON lines rotated by size, which `cord logs` reads.
 */
import { z } from 'zod'
import { DEFAULT_LOG_MAX_FILES, DEFAULT_LOG_MAX_SIZE, LOG_FORMATS } from '../constants.ts'

const UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 }

/** A size in bytes: a whole number, or a string such as "512k", "10m" or "1g" (powers of 1024). */
export const byteSize = z
  .union([
    z.number().int().positive(),
    z.string().regex(/^\d+(\.\d+)?\s*[bkmg]?$/i, {
      message: 'expected a size such as "512k", "10m" or "1g", or a number of bytes',
    }),
  ])
  .transform((v) => {
    if (typeof v === 'number') return v
    const [, n = '0', unit = ''] = /^([\d.]+)\s*([a-z]?)$/i.exec(v) ?? []
    return Math.round(Number(n) * (UNITS[unit.toLowerCase()] ?? 1))
  })
  .pipe(z.number().int().min(1024, { message: 'must be at least 1k' }))

/** The daemon's logging, as `[log]` holds it. */
export const logSchema = z
  .strictObject({
    format: z.enum(LOG_FORMATS).default('auto'),
    file: z.boolean().default(true),
    maxSize: byteSize.prefault(DEFAULT_LOG_MAX_SIZE),
    maxFiles: z.number().int().min(2).default(DEFAULT_LOG_MAX_FILES),
  })
  .prefault({} as never)

/** `[log]` in config.toml. */
export interface LogSettingsInput {
  /** stderr: "auto" (readable on a terminal, JSON lines otherwise), "pretty" or "json". @default 'auto' */
  format?: 'auto' | 'pretty' | 'json'
  /** Also write JSON lines to `<dir>/logs/cord.<n>.log`. @default true */
  file?: boolean
  /** Rotate the file at this size: bytes, or "512k", "10m", "1g". @default '10m' */
  maxSize?: number | string
  /** Files kept, the one being written included (at least 2). @default 5 */
  maxFiles?: number
}
