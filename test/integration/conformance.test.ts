/**
 * The MCP conformance suite's server scenarios through the mesh (scripts/conformance.ts): every
 * scenario that passes against the reference server directly passes through a Cord gateway whose
 * node reaches the reference server hosted by another node.
 */
import { describe, expect, it } from 'vitest'
import { formatReport, runConformance } from '../../scripts/conformance.ts'

describe('MCP conformance suite through the gateway', () => {
  it('passes every server scenario through the mesh that passes directly', { timeout: 240_000 }, async () => {
    const report = await runConformance()
    const summary = formatReport(report)
    expect(report.direct.size, summary).toBe(32)
    expect(report.gateway.size, summary).toBe(32)
    expect(report.regressions, summary).toEqual([])
  })
})
