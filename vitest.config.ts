import { defineConfig } from 'vitest/config'

/**
 * Real libp2p nodes and child processes on two cores: test files run two at a time. No file needs
 * the machine to itself: tests wait for conditions, not for times — except the network namespace
 * suite (test/netns), which runs seven daemons and checks bounds in seconds: it runs last, alone,
 * and says in one line when this machine cannot run it (not root, no ip/nft).
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      {
        extends: true,
        test: { name: 'main', include: ['test/**/*.test.ts'], exclude: ['test/netns/**'] },
      },
      {
        extends: true,
        test: {
          name: 'netns',
          include: ['test/netns/**/*.test.ts'],
          globalSetup: ['test/netns/global-setup.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
