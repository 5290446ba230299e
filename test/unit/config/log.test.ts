import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/config/load.ts'

const parse = (text: string) => parseConfig(text, 'config.toml')

describe('[log]', () => {
  it('defaults: auto format, files of 10 MiB, five kept', () => {
    expect(parse('').log).toEqual({ format: 'auto', file: true, maxSize: 10 * 1024 * 1024, maxFiles: 5 })
  })

  it('reads sizes with units, and in bytes', () => {
    expect(parse('[log]\nmax_size = "512k"\n').log.maxSize).toBe(512 * 1024)
    expect(parse('[log]\nmax_size = "1.5m"\n').log.maxSize).toBe(1.5 * 1024 * 1024)
    expect(parse('[log]\nmax_size = 4096\n').log.maxSize).toBe(4096)
  })

  it('refuses a bad format, size or count, naming the field', () => {
    expect(() => parse('[log]\nformat = "xml"\n')).toThrow(/line 2: log\.format/)
    expect(() => parse('[log]\nmax_size = "ten megs"\n')).toThrow(/line 2: log\.max_size: .*"10m"/)
    expect(() => parse('[log]\nmax_size = "12"\n')).toThrow(/log\.max_size: must be at least 1k/)
    expect(() => parse('[log]\nmax_files = 1\n')).toThrow(/line 2: log\.max_files/)
  })
})
