/**
 * The restart policy of a hosted stdio server, on an injected clock: a child that dies at once is
 * restarted after backoff delays that double (with ±25% jitter) from `restartMinMs` up to
 * `restartMaxMs`, then marked failed after `maxRestarts` restarts in a row; one that ran long enough
 * before it died starts its count again. The children are real processes; only time is fake.
 */
import { pino } from 'pino'
import { describe, expect, it } from 'vitest'
import type { ServerSpec } from '../../../src/config/schema.ts'
import { type SupervisionClock, Upstream } from '../../../src/upstream/upstream.ts'
import { waitFor } from '../../helpers/harness.ts'

/** A clock whose sleeps pass at once, moving its time on by what they waited. */
function fakeClock(): SupervisionClock & { waits: number[] } {
  let now = 1_000_000
  const waits: number[] = []
  return {
    waits,
    now: () => now,
    sleep: async (ms) => {
      waits.push(ms)
      now += ms
    },
  }
}

const dying = (over: Partial<ServerSpec> = {}): ServerSpec => ({
  name: 'dies',
  command: process.execPath,
  args: ['-e', 'process.exit(3)'],
  maxRestarts: 4,
  restartMinMs: 1_000,
  restartMaxMs: 5_000,
  enabled: true,
  ...over,
})

describe('hosted server supervision', () => {
  it('restarts a dying child with doubling, jittered, capped backoff, then marks it failed', async () => {
    const clock = fakeClock()
    const upstream = new Upstream(dying(), pino({ level: 'silent' }), clock)
    await upstream.start(60_000)
    await waitFor(() => upstream.status().state === 'failed', 30_000)
    const status = upstream.status()
    expect(status.restarts).toBe(4)
    expect(status.lastError).toMatch(/exited with code 3 before the MCP handshake/)
    // 1 s, 2 s, 4 s, then the 5 s cap, each within ±25%
    const nominal = [1_000, 2_000, 4_000, 5_000]
    expect(clock.waits).toHaveLength(4)
    clock.waits.forEach((w, i) => {
      expect(w).toBeGreaterThanOrEqual(nominal[i]! * 0.75)
      expect(w).toBeLessThanOrEqual(nominal[i]! * 1.25)
    })
    await upstream.stop()
  })

  it('starts the count again after a run longer than 30 s', async () => {
    const clock = fakeClock()
    // every read of this clock is 40 s later: each run of the child "lasted" 40 s
    let later = 0
    const longRuns: SupervisionClock = {
      now: () => {
        later += 40_000
        return clock.now() + later
      },
      sleep: clock.sleep,
    }
    const upstream = new Upstream(dying({ maxRestarts: 1 }), pino({ level: 'silent' }), longRuns)
    await upstream.start(60_000)
    await waitFor(() => clock.waits.length >= 5, 30_000)
    expect(upstream.status().state).not.toBe('failed')
    // the count starts again each time: every wait is the first one's
    for (const w of clock.waits) expect(w).toBeLessThanOrEqual(1_250)
    await upstream.stop()
  })
})
