import { defineConfig } from 'vitest/config'

/**
 * Real libp2p nodes and child processes on two cores: test files run two at a time. No file needs
 * the machine to itself: tests wait for conditions, not for times.
 */
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Says once when the network namespace suite cannot run here (not root, no ip/nft).
    globalSetup: ['test/netns/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    reporters: ['default'],
  },
})
