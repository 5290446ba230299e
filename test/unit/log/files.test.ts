import { appendFile, mkdir, mkdtemp, rm, unlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { LogReader, logFileNumbers } from '../../../src/log/files.ts'

describe('LogReader', () => {
  let dir: string
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'cord-logs-')), 'logs')
    await mkdir(dir)
  })
  afterEach(() => rm(join(dir, '..'), { recursive: true, force: true }))

  const file = (n: number): string => join(dir, `cord.${n}.log`)

  it('lists log files by number, not by name, and ignores other files', async () => {
    for (const n of [10, 2, 1]) await writeFile(file(n), '')
    await writeFile(join(dir, 'other.txt'), '')
    expect(await logFileNumbers(dir)).toEqual([1, 2, 10])
    expect(await logFileNumbers(join(dir, 'missing'))).toEqual([])
  })

  it('reads the files oldest first, then only what was added, across a rotation', async () => {
    await writeFile(file(1), 'a\nb\n')
    await writeFile(file(2), 'c\nd')
    const reader = new LogReader(dir)
    expect(await reader.read()).toEqual(['a', 'b', 'c']) // "d" has no newline yet
    expect(await reader.read()).toEqual([])
    await appendFile(file(2), '\ne\n')
    expect(await reader.read()).toEqual(['d', 'e'])
    // the writer adds a last line to 2, then rotates to 3
    await appendFile(file(2), 'f\n')
    await writeFile(file(3), 'g\n')
    expect(await reader.read()).toEqual(['f', 'g'])
  })

  it('goes on when the file it was reading is deleted (the rotation limit)', async () => {
    await writeFile(file(1), 'a\n')
    const reader = new LogReader(dir)
    expect(await reader.read()).toEqual(['a'])
    await writeFile(file(2), 'b\n')
    await writeFile(file(3), 'c\n')
    await unlink(file(1))
    expect(await reader.read()).toEqual(['b', 'c'])
  })

  it('keeps a character split across two reads whole', async () => {
    const bytes = Buffer.from('é\n')
    await writeFile(file(1), bytes.subarray(0, 1))
    const reader = new LogReader(dir)
    expect(await reader.read()).toEqual([])
    await appendFile(file(1), bytes.subarray(1))
    expect(await reader.read()).toEqual(['é'])
  })
})
