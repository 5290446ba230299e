/** `cord call TARGET TOOL [ARGS_JSON]`: calls a tool on a peer through the local daemon. */
import { readFileSync } from 'node:fs'
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js'
import { DEFAULT_MAX_CALL_TIMEOUT_MS } from '../../constants.ts'
import { InvalidArgumentError } from '../../errors.ts'
import { EXIT } from '../exit-codes.ts'
import { json, type Output, resultText } from '../output.ts'
import { type DirOption, daemon } from './daemon-client.ts'

/** Options of `cord call`. */
export interface CallCommandOptions extends DirOption {
  json?: boolean
  timeout?: number
  /** The definition hash the tool must still have (from `cord tools --json`). */
  pin?: string
}

function servedBy(result: CallToolResult): string | undefined {
  const peer = result._meta?.['cord/servedBy']
  return typeof peer === 'string' ? peer : undefined
}

/** Parses ARGS_JSON (`-` reads it from stdin): it must be a JSON object. */
export function parseArgsJson(text: string | undefined): Record<string, unknown> {
  if (text == null) return {}
  const source = text === '-' ? readFileSync(0, 'utf8') : text
  let value: unknown
  try {
    value = JSON.parse(source)
  } catch (err) {
    throw new InvalidArgumentError(
      `ARGS_JSON is not valid JSON: ${(err as Error).message} (expected an object such as '{"text":"hello"}')`,
    )
  }
  if (typeof value !== 'object' || value == null || Array.isArray(value)) {
    throw new InvalidArgumentError(
      `ARGS_JSON must be a JSON object such as '{"text":"hello"}', got ${Array.isArray(value) ? 'an array' : typeof value}`,
    )
  }
  return value as Record<string, unknown>
}

/**
 * Sorts out `cord call [TARGET] TOOL [ARGS_JSON]`: with two words, the second is ARGS_JSON when it
 * looks like JSON (`{…}`) or is `-`, else it is the TOOL after a TARGET.
 */
export function callWords(words: string[]): { target?: string; tool: string; argsJson?: string } {
  const [first, second, third] = words as [string, string?, string?]
  if (third != null) return { target: first, tool: second as string, argsJson: third }
  if (second == null) return { tool: first }
  const looksLikeArgs = second === '-' || /^\s*[{[]/.test(second)
  return looksLikeArgs ? { tool: first, argsJson: second } : { target: first, tool: second }
}

/** Runs `cord call`; returns the exit code (7 when the tool reported an error). */
export async function callCommand(words: string[], options: CallCommandOptions, io: Output): Promise<number> {
  const { target, tool, argsJson } = callWords(words)
  const args = parseArgsJson(argsJson)
  const client = await daemon(options)
  const body = {
    ...(target != null ? { target } : {}),
    tool,
    args,
    ...(options.timeout != null ? { timeout: options.timeout } : {}),
    ...(options.pin != null ? { pin: options.pin } : {}),
  }
  const result = await client.request<CallToolResult>(
    'POST',
    '/v1/call',
    body,
    options.timeout ?? DEFAULT_MAX_CALL_TIMEOUT_MS,
  )
  if (options.json === true) {
    io.out(json(result))
  } else if (result.isError === true) {
    io.err(`error: tool "${tool}" on ${servedBy(result) ?? target} failed: ${resultText(result)}`)
  } else {
    io.out(resultText(result))
    if (target == null && servedBy(result) != null) io.err(`(served by ${servedBy(result)})`)
  }
  return result.isError === true ? EXIT.toolError : EXIT.ok
}
