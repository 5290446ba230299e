/**
 * What a section of `npm run bench` returns, and how the driver (scripts/bench.ts) prints it. A
 * section is a file scripts/bench/<name>.ts whose default export is a `Section`; add it to the list
 * in scripts/bench.ts and it runs with the others (or alone: BENCH_SECTIONS=<name>).
 */

/** A goal, as a ratio of two measured figures. */
export interface Check {
  what: string
  ratio: number
  /** The ratio must be at most (`max`) or at least (`min`) this. */
  bound: 'max' | 'min'
  goal: number
}

/** What one section measured. */
export interface SectionResult {
  /** A line above the table: what was measured, how often, on what. */
  title: string
  header: string[]
  rows: string[][]
  checks?: Check[]
  /** Lines printed under the table. */
  notes?: string[]
  /** Written to the `--json` file under the section's name. */
  json?: unknown
}

/** One section of the benchmark. */
export interface Section {
  name: string
  /** What it measures, for the list printed by `--help`. */
  describe: string
  run: () => Promise<SectionResult>
}

/** Whether a check's ratio meets its goal. */
export function met(check: Check): boolean {
  return check.bound === 'max' ? check.ratio <= check.goal : check.ratio >= check.goal
}

/** A Markdown table, its columns padded. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n')
}

/** The section as the driver prints it. */
export function render(result: SectionResult): string {
  const out = [result.title, '', markdownTable(result.header, result.rows)]
  if (result.checks != null && result.checks.length > 0) {
    out.push('', 'goals:')
    for (const c of result.checks) {
      const sign = c.bound === 'max' ? '≤' : '≥'
      out.push(`  ${met(c) ? 'MET ' : 'MISS'}  ${c.what}: ${c.ratio.toFixed(2)}× (goal ${sign} ${c.goal}×)`)
    }
  }
  if (result.notes != null) out.push('', ...result.notes.map((n) => `  ${n}`))
  return out.join('\n')
}

/** Progress on stderr (stdout carries only the tables). */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`)
}
