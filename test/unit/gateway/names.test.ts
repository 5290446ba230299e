import { describe, expect, it } from 'vitest'
import { searchTools } from '../../../src/gateway/meta-tools.ts'
import { fitName, nameItems, peerLabels } from '../../../src/gateway/names.ts'
import { canonicalJson } from '../../../src/util/canonical-json.ts'

const A = {
  peerId: '12D3KooWAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1',
  alias: 'alpha',
  state: 'alive',
}
const B = {
  peerId: '12D3KooWBbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb2',
  alias: 'beta',
  state: 'alive',
}
const C = {
  peerId: '12D3KooWCccccccccccccccccccccccccccccccccccccccccccccccc3',
  alias: 'beta',
  state: 'alive',
}
const schema = (props: Record<string, object>) => ({ type: 'object' as const, properties: props })
const tool = (name: string, inputSchema = schema({ text: { type: 'string' } })) => ({ name, inputSchema })

describe('gateway names', () => {
  it('shows a tool served with one definition by several peers once, routed among them all', () => {
    const labels = peerLabels([A, B])
    const named = nameItems(
      [
        { original: 'echo', item: tool('echo'), provider: B },
        { original: 'echo', item: tool('echo'), provider: A },
      ],
      (t) => canonicalJson(t.inputSchema),
      labels,
    )
    expect(named).toHaveLength(1)
    expect(named[0]).toMatchObject({ name: 'echo', original: 'echo' })
    expect(named[0]!.providers.map((p) => p.peerId)).toEqual([A.peerId, B.peerId])
  })

  it('tells different tools of one name apart by alias, or by peer ID suffix when the alias is shared', () => {
    const labels = peerLabels([A, B, C])
    expect(labels.get(A.peerId)).toBe('alpha')
    expect(labels.get(B.peerId)).toBe(B.peerId.slice(-8)) // B and C both say "beta"
    const named = nameItems(
      [
        { original: 'search', item: tool('search'), provider: A },
        { original: 'search', item: tool('search', schema({ q: { type: 'string' } })), provider: B },
        { original: 'search', item: tool('search', schema({ query: { type: 'string' } })), provider: C },
      ],
      (t) => canonicalJson(t.inputSchema),
      labels,
    )
    expect(named.map((n) => n.name).sort()).toEqual(
      ['search__alpha', `search__${B.peerId.slice(-8)}`, `search__${C.peerId.slice(-8)}`].sort(),
    )
    // the same input gives the same names, whatever the order
    const again = nameItems(
      [...named].reverse().map((n) => ({ original: 'search', item: n.item, provider: n.providers[0]! })),
      (t) => canonicalJson(t.inputSchema),
      labels,
    )
    expect(again.map((n) => n.name).sort()).toEqual(named.map((n) => n.name).sort())
  })

  it('keeps every name valid for clients: letters, digits, _ and -, at most 64 characters', () => {
    expect(fitName('plain_name-1')).toBe('plain_name-1')
    const long = fitName('x'.repeat(80), '__alpha')
    expect(long).toMatch(/^[A-Za-z0-9_-]{64}$/)
    expect(long.endsWith('__alpha')).toBe(true)
    expect(fitName('has.dot')).toMatch(/^has_dot_[0-9a-f]{6}$/)
    expect(fitName('has.dot')).not.toBe(fitName('has_dot'))
  })

  it('orders schema keys when comparing definitions', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }] })).toBe(canonicalJson({ a: [{ c: 3, d: 2 }], b: 1 }))
  })

  it('searches the catalog by keyword, name matches first', () => {
    const entries = ['memory__read_graph', 'fs__read_file', 'echo'].map((name) => ({
      name,
      original: name,
      item: { ...tool(name), description: name === 'echo' ? 'Returns text; can read aloud' : 'x' },
      providers: [A],
      items: new Map(),
    }))
    expect(searchTools(entries, 'read file').map((t) => t.name)).toEqual([
      'fs__read_file',
      'memory__read_graph',
      'echo',
    ])
    expect(() => searchTools(entries, '  ')).toThrow(/word/)
  })
})
