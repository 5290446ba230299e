/**
 * The `relay` section of `npm run bench`: an echo call over a relayed connection, after the switch to
 * a direct one (as DCUtR makes it), and over direct TCP (scripts/bench/relay.ts measures).
 */
import { relayBench } from './relay.ts'
import type { Section } from './section.ts'

const section: Section = {
  name: 'relay',
  describe: 'echo calls over a relayed connection, after the upgrade to direct, and over direct TCP',
  run: async () => {
    const result = await relayBench()
    const direct = result.rows.find((r) => r.path === 'direct')!
    return {
      title: 'Calls across a circuit relay v2 (relay and target in their own processes, loopback)',
      header: ['path', 'p50 ms', 'p99 ms', 'calls/s (1)', 'calls/s (64)', 'p50 ÷ direct'],
      rows: result.rows.map((r) => [
        r.path,
        r.p50.toFixed(3),
        r.p99.toFixed(3),
        String(Math.round(r.rps1)),
        String(Math.round(r.rps64)),
        `${(r.p50 / direct.p50).toFixed(2)}×`,
      ]),
      notes: [
        `first call after the switch to direct (a new MCP session): ${result.firstCallAfterUpgradeMs.toFixed(1)} ms`,
      ],
      json: result,
    }
  },
}

export default section
