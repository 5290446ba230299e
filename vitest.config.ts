import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real libp2p nodes and child processes: two cores, so keep files to two workers.
    maxWorkers: 2,
    reporters: ['default'],
  },
})
