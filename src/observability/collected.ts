/**
 * Metrics whose values are read on each scrape from counters and tables that the parts keep anyway:
 * nothing runs between scrapes.
 */
import { Counter, Gauge, type Registry } from 'prom-client'

/** One sample: its labels and value. */
export type Sample = [labels: Record<string, string>, value: number]

/** A gauge set from `read()` on each scrape. */
export function collectedGauge(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: () => Sample[],
): void {
  new Gauge({
    name,
    help,
    labelNames,
    registers: [registry],
    collect(this: Gauge<string>): void {
      this.reset()
      for (const [labels, value] of read()) this.set(labels, value)
    },
  })
}

/** A counter read from a running total the part keeps (which only grows) on each scrape. */
export function collectedCounter(
  registry: Registry,
  name: string,
  help: string,
  labelNames: string[],
  read: () => Sample[],
): void {
  new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    collect(this: Counter<string>): void {
      this.reset()
      for (const [labels, value] of read()) this.inc(labels, value)
    },
  })
}
