/**
 * Gossipsub's own metrics (mesh peers, messages by topic and status, IHAVE/IWANT, scores) in a node's
 * registry. Gossipsub does not report through libp2p's `metrics` component but through a
 * `metricsRegister` of its own: this is that register, on prom-client.
 */
import type { MetricsRegister } from '@libp2p/gossipsub/metrics'
import { Gauge, Histogram, type Registry } from 'prom-client'

type Labels = Record<string, string | number>
type Config = { name: string; help: string; labelNames?: string[]; buckets?: number[] }

/** Calls `inc`/`set`/`observe` with or without labels, as gossipsub passes them. */
function split(a: unknown, b: unknown): [Labels | undefined, number | undefined] {
  return typeof a === 'object' && a != null
    ? [a as Labels, b as number | undefined]
    : [undefined, a as number]
}

/** A register whose metrics all go into `registry`. */
export function gossipsubRegister(registry: Registry): MetricsRegister {
  const gauge = (config: Config): unknown => {
    const collects: Array<(g: unknown) => void> = []
    const adapter = {
      inc: (a?: unknown, b?: unknown): void => {
        const [labels, value] = split(a, b)
        labels != null ? prom.inc(labels, value ?? 1) : prom.inc(value ?? 1)
      },
      set: (a: unknown, b?: unknown): void => {
        const [labels, value] = split(a, b)
        labels != null ? prom.set(labels, value ?? 0) : prom.set(value ?? 0)
      },
      addCollect: (fn: (g: unknown) => void): void => void collects.push(fn),
    }
    const prom: Gauge = new Gauge({
      name: config.name,
      help: config.help,
      labelNames: config.labelNames ?? [],
      registers: [registry],
      collect: () => {
        for (const fn of collects) fn(adapter)
      },
    })
    return adapter
  }
  const histogram = (config: Config): unknown => {
    const prom = new Histogram({
      name: config.name,
      help: config.help,
      labelNames: config.labelNames ?? [],
      ...(config.buckets != null ? { buckets: config.buckets } : {}),
      registers: [registry],
    })
    return {
      startTimer: () => prom.startTimer(),
      observe: (a: unknown, b?: unknown): void => {
        const [labels, value] = split(a, b)
        labels != null ? prom.observe(labels, value ?? 0) : prom.observe(value ?? 0)
      },
      reset: () => prom.reset(),
    }
  }
  // Average, least and most of a set of values (scores, for example): three gauges.
  const avgMinMax = (config: Config): unknown => {
    const parts = (['avg', 'min', 'max'] as const).map(
      (stat) =>
        new Gauge({
          name: `${config.name}_${stat}`,
          help: `${config.help} (${stat})`,
          labelNames: config.labelNames ?? [],
          registers: [registry],
        }),
    )
    return {
      set: (a: unknown, b?: unknown): void => {
        const [labels, values] = Array.isArray(a)
          ? [undefined, a as number[]]
          : [a as Labels, (b ?? []) as number[]]
        if (values.length === 0) return
        const stats = [
          values.reduce((s, v) => s + v, 0) / values.length,
          Math.min(...values),
          Math.max(...values),
        ]
        for (const [i, g] of parts.entries()) {
          if (labels != null) g.set(labels, stats[i]!)
          else g.set(stats[i]!)
        }
      },
    }
  }
  return { gauge, histogram, avgMinMax } as unknown as MetricsRegister
}
