/** The check of a tool's result before it is sent: what the SDK's Server checked, fast for text results. */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { describe, expect, it } from 'vitest'
import { checkResult } from '../../../src/mcp/serve-call.ts'

describe('checkResult', () => {
  it('passes a text result through as it is', () => {
    const result: CallToolResult = {
      content: [{ type: 'text', text: 'hi' }],
      isError: false,
      _meta: { 'cord/x': 1 },
      structuredContent: { a: 1 },
    }
    expect(checkResult(result)).toBe(result)
  })

  it('checks any other result against the MCP schema', () => {
    const image = { content: [{ type: 'image', data: 'AA==', mimeType: 'image/png' }] } as CallToolResult
    expect(checkResult(image)).toEqual(image)
  })

  it('refuses a malformed result with InvalidParams, as the SDK did', () => {
    for (const bad of [
      { content: [{ type: 'text', text: 5 }] },
      { content: [{ type: 'text' }] },
      { content: [{ type: 'bogus' }] },
      { content: 'text' },
      { content: [], isError: 'yes' },
    ]) {
      expect(() => checkResult(bad as unknown as CallToolResult), JSON.stringify(bad)).toThrow(
        expect.objectContaining({
          code: -32602,
          message: expect.stringContaining('Invalid tools/call result'),
        }),
      )
    }
  })
})
