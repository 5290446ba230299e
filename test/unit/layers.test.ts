/**
 * The parts of src/ import only downward: a part may use the parts below it, never one above it or
 * one beside it. The order is design's: util and the error table at the bottom, then config, then
 * the tool registry and admission, the MCP protocol, hosted servers, discovery and topics, the router, the
 * node that composes them, the gateway, the control API, the CLI.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../../src')

const LAYERS: Record<string, number> = {
  'errors.ts': 0,
  'constants.ts': 0,
  'logger.ts': 0.5, // above constants.ts, whose log levels it uses
  util: 0,
  observability: 0.7, // measurements the call sites feed: below everything that calls
  log: 0, // log files, their rotation and their readable form: no other part of src/
  config: 1,
  registry: 2,
  admission: 2,
  mcp: 3,
  upstream: 4,
  discovery: 4,
  topics: 4,
  reachability: 4,
  router: 5,
  node: 6,
  gateway: 7,
  control: 8,
  cli: 9,
  'index.ts': 10,
}

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    return statSync(path).isDirectory() ? files(path) : path.endsWith('.ts') ? [path] : []
  })
}

/** The part of a file: its folder under src/, or its own name at the top. */
const partOf = (path: string): string => relative(SRC, path).split('/')[0]!

describe('src/ layers', () => {
  it('knows every part', () => {
    for (const file of files(SRC))
      expect(LAYERS, `the layer of ${partOf(file)}`).toHaveProperty([partOf(file)])
  })

  it('has no import from a part to one above it or beside it', () => {
    const wrong: string[] = []
    for (const file of files(SRC)) {
      const from = partOf(file)
      const text = readFileSync(file, 'utf8')
      for (const [, spec] of text.matchAll(/^(?:import|export)[^'"]*from '(\.[^']+)'/gm)) {
        const to = partOf(resolve(dirname(file), spec!))
        if (to !== from && LAYERS[to]! >= LAYERS[from]!)
          wrong.push(`${relative(SRC, file)} → ${spec} (${from} ${LAYERS[from]} → ${to} ${LAYERS[to]})`)
      }
    }
    expect(wrong).toEqual([])
  })
})
