import { defineConfig } from 'vitest/config'

/**
 * Real libp2p nodes and child processes on two cores: files run two at a time. The in-process mesh
 * of discovery.test.ts measures time in heartbeat intervals, so it runs after the rest, alone, where
 * no other file competes for the CPU with its 13 nodes.
 */
const TIMED_ALONE = ['test/integration/discovery.test.ts']

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: TIMED_ALONE,
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: { name: 'timed', include: TIMED_ALONE, maxWorkers: 1, sequence: { groupOrder: 1 } },
      },
    ],
  },
})
