import { describe, expect, it } from 'vitest'
import { Admission } from '../../../src/admission/admission.ts'
import { createLogger } from '../../../src/logger.ts'

const tool = { name: 'echo', inputSchema: { type: 'object' as const } }

describe('admission refusals', () => {
  it('counts refusals by reason: rate and concurrency limits', () => {
    const admission = Admission.fromOptions(
      {
        access: {
          default: 'allow',
          allowPeers: [],
          denyPeers: [],
          rules: [],
          topicDefault: 'allow',
          topicRules: [],
        },
        limits: {
          ratePerSec: 1,
          burst: 3,
          maxConcurrentPerPeer: 1,
          maxConcurrent: 10,
          maxSessions: 1,
          maxQueuedBytes: 1,
        },
        mcp: { maxFrameBytes: 1, callTimeoutMs: 1, maxCallTimeoutMs: 1000, maxInboundStreams: 1 },
      },
      createLogger('silent'),
    )
    const first = admission.admitCall('p', 'echo', tool, undefined)
    expect(() => admission.admitCall('p', 'echo', tool, undefined)).toThrow(/in flight/)
    first.release()
    admission.admitCall('p', 'echo', tool, undefined).release()
    admission.admitCall('p', 'echo', tool, undefined).release()
    expect(() => admission.admitCall('p', 'echo', tool, undefined)).toThrow(/rate limit/)
    expect(admission.refusals()).toEqual({ access: 0, pin: 0, rate: 1, concurrency: 1 })
  })
})
