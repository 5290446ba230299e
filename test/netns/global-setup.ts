/**
 * vitest's global setup: says in one line, once per run, when the network namespace suite
 * (test/netns) cannot run on this machine, and why; the suite's tests are then skipped.
 */
import { netnsUnavailable } from './capable.ts'

export default function setup(): void {
  const reason = netnsUnavailable()
  if (reason != null) process.stdout.write(`test/netns (simulated internet behind NAT): not run: ${reason}\n`)
}
