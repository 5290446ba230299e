/**
 * Whether this machine can build the simulated internet: root, `ip` (iproute2) and `nft` (nftables),
 * and network namespaces that can be made. Returns why not, or undefined when it can.
 */
import { execFileSync } from 'node:child_process'

/** Why the network namespace suite cannot run here, or undefined when it can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `needs Linux network namespaces (this is ${process.platform})`
  if (process.getuid?.() !== 0) return 'needs root for ip netns and nft (run .ci/run as root)'
  for (const [tool, pkg] of [
    ['ip', 'iproute2'],
    ['nft', 'nftables'],
  ] as const) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' })
    } catch {
      return `needs ${tool} (apt-get install ${pkg})`
    }
  }
  const probe = `cordprobe${process.pid}`
  try {
    execFileSync('ip', ['netns', 'add', probe], { stdio: 'pipe' })
    execFileSync('ip', ['netns', 'del', probe], { stdio: 'pipe' })
  } catch (err) {
    return `cannot create a network namespace: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`
  }
  return undefined
}
