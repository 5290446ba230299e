import { describe, expect, it } from 'vitest'
import { TopicPolicy } from '../../../src/admission/topic-acl.ts'

const P1 = '12D3KooWp1'
const P2 = '12D3KooWp2'

describe('TopicPolicy', () => {
  it('allows everything by default', () => {
    const open = new TopicPolicy([], 'allow')
    expect(open.allows(P1, 'publish', 'any/topic')).toBe(true)
    expect(open.allows(P1, 'subscribe', 'any')).toBe(true)
    expect(new TopicPolicy([], 'deny').allows(P1, 'subscribe', 'any')).toBe(false)
  })

  it('takes the first rule that matches peer, operation and topic; * stops at /, ** does not', () => {
    const policy = new TopicPolicy(
      [
        { peers: [P1], topics: ['orders/**'], operations: ['publish'], action: 'allow' },
        { peers: ['*'], topics: ['orders/**'], operations: ['publish'], action: 'deny' },
        { peers: ['*'], topics: ['status/*'], operations: ['publish', 'subscribe'], action: 'deny' },
      ],
      'allow',
    )
    expect(policy.allows(P1, 'publish', 'orders/eu/new')).toBe(true)
    expect(policy.allows(P2, 'publish', 'orders/eu/new')).toBe(false)
    expect(policy.allows(P2, 'subscribe', 'orders/eu/new')).toBe(true)
    expect(policy.allows(P2, 'subscribe', 'status/a')).toBe(false)
    expect(policy.allows(P2, 'subscribe', 'status/a/b')).toBe(true)
  })
})
