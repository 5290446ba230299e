/**
 * A simulated internet on one machine, in Linux network namespaces that this module makes and
 * removes: a public network (a bridge in its own namespace, addresses from 203.0.113.0/24, a
 * documentation range) and private LANs, each behind its own NAT router (nftables masquerade on the
 * router's public side, a stateful firewall that lets nothing in that was not asked for, and
 * ip_forward=1). Every interface is made inside a namespace of the run (veth pairs created with
 * `ip -n`), so nothing touches the host's own network and no packet leaves the namespaces. Names
 * carry a per-run prefix with the process ID, and `sweepStale()` removes what a killed run left.
 */
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'

/** The public network: IPv4 from a documentation range, which libp2p counts as private. */
export const PUBLIC_NET = '203.0.113'
/**
 * The public network's IPv6 prefix, from 3fff::/20 (RFC 9637, reserved for documentation): libp2p
 * counts it as public, so AutoNAT and hole punching treat these hosts as on the internet.
 */
export const PUBLIC_NET6 = '3fff:0:1:'

/** One host: its namespace and addresses. */
export interface SimHost {
  ns: string
  ip: string
  ip6: string
}

/** A LAN behind a NAT router. */
export interface SimLan {
  router: SimHost & { lanIp: string }
  hosts: Record<string, SimHost>
}

const PREFIX_RE = /^cordnat(\d+)x[0-9a-f]{4}-/

function run(args: string[], input?: string): string {
  try {
    return execFileSync(args[0]!, args.slice(1), { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString()
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '').trim()
    throw new Error(`${args.join(' ')} failed: ${stderr || (err as Error).message}`)
  }
}

/** The namespaces of this machine. */
function namespaces(): string[] {
  return run(['ip', 'netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0]!)
    .filter(Boolean)
}

/** Removes the namespaces of earlier runs whose process is gone (a run killed before its cleanup). */
export function sweepStale(): void {
  for (const ns of namespaces()) {
    const pid = ns.match(PREFIX_RE)?.[1]
    if (pid == null || isAlive(Number(pid))) continue
    killAll(ns)
    run(['ip', 'netns', 'del', ns])
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Kills every process left in a namespace: only processes this suite started live there. */
function killAll(ns: string): void {
  const pids = run(['ip', 'netns', 'pids', ns]).split('\n').filter(Boolean)
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

/** The simulated internet of one run. */
export class SimulatedInternet {
  readonly prefix = `cordnat${process.pid}x${randomBytes(2).toString('hex')}`
  readonly inet = `${this.prefix}-inet`
  private readonly made: string[] = []
  private publicHosts = 0

  /** Runs a command in a namespace. */
  exec(ns: string, args: string[], input?: string): string {
    return run(['ip', 'netns', 'exec', ns, ...args], input)
  }

  /** Makes the public network: a bridge in a namespace of its own. */
  build(): void {
    this.addNs(this.inet)
    this.ip(this.inet, 'link add br0 type bridge')
    this.ip(this.inet, 'link set br0 up')
  }

  /** A host on the public network, at 203.0.113.<n>. */
  addPublicHost(name: string, n: number): SimHost {
    const ns = this.addNs(`${this.prefix}-${name}`)
    const ip = `${PUBLIC_NET}.${n}`
    const ip6 = `${PUBLIC_NET6}:${n}`
    this.plug(ns, 'eth0', this.inet, `p${++this.publicHosts}`, 'br0')
    this.ip(ns, `addr add ${ip}/24 dev eth0`)
    this.ip(ns, `-6 addr add ${ip6}/64 dev eth0 nodad`)
    this.ip(ns, 'link set eth0 up')
    return { ns, ip, ip6 }
  }

  /**
   * A LAN 10.<k>.0.0/24 and fd00:<k>::/64 behind a NAT router at 203.0.113.<k> and 3fff:0:1::<k>,
   * with hosts at 10.<k>.0.11, .12, … (and fd00:<k>::11, …).
   */
  addLan(k: number, hostNames: string[]): SimLan {
    const router = this.addPublicHost(`r${k}`, k)
    const lanIp = `10.${k}.0.1`
    this.ip(router.ns, 'link add lan0 type bridge')
    this.ip(router.ns, `addr add ${lanIp}/24 dev lan0`)
    this.ip(router.ns, `-6 addr add fd00:${k}::1/64 dev lan0 nodad`)
    this.ip(router.ns, 'link set lan0 up')
    this.exec(router.ns, ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'])
    this.exec(router.ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.forwarding=1'])
    this.exec(router.ns, ['nft', '-f', '-'], natRuleset('eth0', 'lan0'))
    const hosts: Record<string, SimHost> = {}
    hostNames.forEach((name, i) => {
      const ns = this.addNs(`${this.prefix}-${name}`)
      const ip = `10.${k}.0.${11 + i}`
      const ip6 = `fd00:${k}::${11 + i}`
      this.plug(ns, 'eth0', router.ns, `h${i}`, 'lan0')
      this.ip(ns, `addr add ${ip}/24 dev eth0`)
      this.ip(ns, `-6 addr add ${ip6}/64 dev eth0 nodad`)
      this.ip(ns, 'link set eth0 up')
      this.ip(ns, `route add default via ${lanIp}`)
      this.ip(ns, `-6 route add default via fd00:${k}::1`)
      hosts[name] = { ns, ip, ip6 }
    })
    return { router: { ...router, lanIp }, hosts }
  }

  /** Takes a host's (or router's) public link down or up: a partition, without netem. */
  setLink(ns: string, up: boolean): void {
    this.ip(ns, `link set eth0 ${up ? 'up' : 'down'}`)
  }

  /** Kills whatever still runs in the run's namespaces and removes them (their interfaces go too). */
  destroy(): void {
    const errors: string[] = []
    for (const ns of [...this.made].reverse()) {
      try {
        killAll(ns)
        run(['ip', 'netns', 'del', ns])
      } catch (err) {
        errors.push((err as Error).message)
      }
    }
    this.made.length = 0
    if (errors.length > 0) throw new Error(`cleanup failed:\n${errors.join('\n')}`)
  }

  /** The namespaces of this run that still exist (none after `destroy()`). */
  leftovers(): string[] {
    return namespaces().filter((ns) => ns.startsWith(`${this.prefix}-`))
  }

  private addNs(ns: string): string {
    run(['ip', 'netns', 'add', ns])
    this.made.push(ns)
    this.ip(ns, 'link set lo up')
    // Linux drops an interface's IPv6 addresses when it goes down; a partition must not renumber it.
    this.exec(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.default.keep_addr_on_down=1'])
    return ns
  }

  /** A veth pair from `ns` (as `dev`) to `other` (as `peer`, enslaved to `bridge` there). */
  private plug(ns: string, dev: string, other: string, peer: string, bridge: string): void {
    this.ip(ns, `link add ${dev} type veth peer name ${peer} netns ${other}`)
    this.ip(other, `link set ${peer} master ${bridge}`)
    this.ip(other, `link set ${peer} up`)
  }

  private ip(ns: string, command: string): void {
    run(['ip', '-n', ns, ...command.split(' ')])
  }
}

/**
 * A home router's rules: masquerade what leaves by the public interface, and forward inward only
 * what belongs to a connection from the LAN.
 */
function natRuleset(wan: string, lan: string): string {
  return `
table inet nat {
  chain post { type nat hook postrouting priority 100; oifname "${wan}" masquerade; }
}
table inet filter {
  chain forward {
    type filter hook forward priority 0; policy drop;
    ct state established,related accept
    iifname "${lan}" accept
  }
}
`
}
