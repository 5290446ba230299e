/** Scrapes a metrics listener and reads samples out of the Prometheus text with a real parser. */
// @ts-expect-error: the parser ships no type declarations
import parsePrometheusTextFormat from 'parse-prometheus-text-format'

interface Family {
  name: string
  type: string
  metrics: Array<{
    labels?: Record<string, string>
    value?: string
    count?: string
    sum?: string
    buckets?: Record<string, string>
  }>
}

const parse = parsePrometheusTextFormat as (text: string) => Family[]

/** A parsed scrape. */
export class Scrape {
  readonly families: Family[]
  /**
   * The histograms' series (`_bucket`, `_sum`, `_count`) as untyped families: the parser folds a
   * histogram's samples into one and drops their labels, so labelled histograms are read this way.
   */
  private readonly series: Family[]

  constructor(text: string) {
    this.families = parse(text)
    const histograms = new Set(this.families.filter((f) => f.type === 'HISTOGRAM').map((f) => f.name))
    const untyped = text
      .split('\n')
      .filter((line) => !/^# (HELP|TYPE) (\S+)/.test(line) || !histograms.has(line.split(' ')[2]!))
    this.series = parse(untyped.join('\n'))
  }

  family(name: string): Family | undefined {
    return this.families.find((f) => f.name === name)
  }

  /**
   * The value of the sample of `name` whose labels include `labels` (0 when there is none); of a
   * histogram, its count.
   */
  value(name: string, labels: Record<string, string> = {}): number {
    if (this.family(name)?.type === 'HISTOGRAM') {
      const count = this.series.find((f) => f.name === `${name}_count`)
      const sample = count?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
      return Number(sample?.value ?? 0)
    }
    return Number(this.sample(name, labels)?.value ?? 0)
  }

  /** The sample of `name` whose labels include `labels`. */
  sample(name: string, labels: Record<string, string> = {}): Family['metrics'][number] | undefined {
    return this.family(name)?.metrics.find((m) =>
      Object.entries(labels).every(([k, v]) => m.labels?.[k] === v),
    )
  }
}

/** GETs `<base>/metrics` and parses it. */
export async function scrape(base: string): Promise<Scrape> {
  const res = await fetch(`${base}/metrics`)
  if (res.status !== 200) throw new Error(`GET /metrics answered ${res.status}`)
  return new Scrape(await res.text())
}
