import { describe, expect, it } from 'vitest'
import { TOOL_NAME_PATTERN } from '../../../src/constants.ts'
import { catalogName } from '../../../src/upstream/names.ts'

describe('catalog names of upstream tools', () => {
  it('is <server>__<tool> when that fits', () => {
    expect(catalogName('memory', 'read_graph')).toBe('memory__read_graph')
    expect(catalogName('everything', 'get-sum')).toBe('everything__get-sum')
  })

  it('replaces other characters, and a hash keeps look-alike names apart', () => {
    const dotted = catalogName('fs', 'read.file')
    const underscored = catalogName('fs', 'read_file')
    expect(dotted).toMatch(/^fs__read_file_[0-9a-f]{6}$/)
    expect(underscored).toBe('fs__read_file')
    expect(dotted).not.toBe(underscored)
  })

  it('cuts long names to 64 characters, unique and stable', () => {
    const a = catalogName('server', 'x'.repeat(80))
    const b = catalogName('server', `${'x'.repeat(79)}y`)
    expect(a).toHaveLength(64)
    expect(a).not.toBe(b)
    expect(catalogName('server', 'x'.repeat(80))).toBe(a)
    for (const name of [a, b, catalogName('s', 'ünïcode tool!')]) expect(name).toMatch(TOOL_NAME_PATTERN)
  })
})
