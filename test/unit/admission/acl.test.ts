/** Access rules: the first rule that matches the caller and the tool decides; otherwise the default. */
import { describe, expect, it } from 'vitest'
import { AccessPolicy } from '../../../src/admission/acl.ts'

const A = '12D3KooWEyoppNCUx8Yx66oV9fJnriXwCcXwDDUA2kj6vnc6iDEp'
const B = '12D3KooWRBhwfeP2Y4TCx1SM6s9rUoHhR5STiGwxBhgFRcw3UERE'

describe('AccessPolicy', () => {
  it('allows everything by default, and says so', () => {
    const p = new AccessPolicy([], 'allow')
    expect(p.open).toBe(true)
    expect(p.allows(A, 'anything')).toBe(true)
  })

  it('takes the first matching rule, with glob patterns on tool names', () => {
    const p = new AccessPolicy(
      [
        { peers: [A], tools: ['db__query', 'db__list_*'], action: 'allow' },
        { peers: ['*'], tools: ['db__*'], action: 'deny' },
        { peers: [B], tools: ['db__drop'], action: 'allow' }, // never reached for db__drop
      ],
      'allow',
    )
    expect(p.open).toBe(false)
    expect(p.allows(A, 'db__query')).toBe(true)
    expect(p.allows(A, 'db__list_tables')).toBe(true)
    expect(p.allows(A, 'db__drop')).toBe(false)
    expect(p.allows(B, 'db__drop')).toBe(false)
    expect(p.allows(B, 'echo')).toBe(true) // no rule matches: the default
  })

  it('denies by default when told to, and never refuses this node itself', () => {
    const p = new AccessPolicy([{ peers: [A], tools: ['echo'], action: 'allow' }], 'deny')
    expect(p.allows(A, 'echo')).toBe(true)
    expect(p.allows(A, 'add')).toBe(false)
    expect(p.allows(B, 'echo')).toBe(false)
    expect(p.allows('local', 'add')).toBe(true)
  })

  it('turns servers into their tools, resources and prompts', () => {
    const p = new AccessPolicy([{ peers: [B], servers: ['notes'], action: 'deny' }], 'allow')
    expect(p.allows(B, 'notes__read')).toBe(false)
    expect(p.allowsServer(B, 'notes')).toBe(false)
    expect(p.allowsServer(A, 'notes')).toBe(true)
    expect(p.allows(B, 'notesX__read')).toBe(true)
  })

  it('matches names with dots and braces as globs do', () => {
    const p = new AccessPolicy([{ peers: ['*'], tools: ['{a,b}.*'], action: 'deny' }], 'allow')
    expect(p.allows(A, 'a.x')).toBe(false)
    expect(p.allows(A, 'b.y')).toBe(false)
    expect(p.allows(A, 'c.z')).toBe(true)
  })
})
