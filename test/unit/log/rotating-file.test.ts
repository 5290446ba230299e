import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { rotatingFile } from '../../../src/log/rotating-file.ts'

describe('rotatingFile', () => {
  let dir: string
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'cord-roll-')), 'logs')
  })
  afterEach(() => rm(join(dir, '..'), { recursive: true, force: true }))

  const line = (i: number): string => `${JSON.stringify({ i, pad: 'x'.repeat(83) })}\n` // 100 bytes
  const files = async (): Promise<string[]> => (await readdir(dir)).sort()

  it('starts a new file at max size, keeps max files, and loses no line', async () => {
    const file = rotatingFile(dir, { maxSize: 300, maxFiles: 3 })
    for (let i = 0; i < 10; i++) file.write(line(i)) // 100 bytes each: 3 a file
    expect(await files()).toEqual(['cord.2.log', 'cord.3.log', 'cord.4.log'])
    expect(file.path).toBe(join(dir, 'cord.4.log'))
    const kept = (
      await Promise.all(['cord.2.log', 'cord.3.log', 'cord.4.log'].map((f) => readFile(join(dir, f), 'utf8')))
    ).join('')
    expect(kept).toBe([3, 4, 5, 6, 7, 8, 9].map(line).join(''))
  })

  it('appends to the newest file after a restart, counting what it holds', async () => {
    const first = rotatingFile(dir, { maxSize: 300, maxFiles: 5 })
    for (let i = 0; i < 4; i++) first.write(line(i))
    const again = rotatingFile(dir, { maxSize: 300, maxFiles: 5 })
    expect(again.path).toBe(join(dir, 'cord.2.log'))
    for (let i = 4; i < 6; i++) again.write(line(i))
    expect(await readFile(join(dir, 'cord.2.log'), 'utf8')).toBe([3, 4, 5].map(line).join(''))
    expect(await files()).toEqual(['cord.1.log', 'cord.2.log', 'cord.3.log'])
  })
})
