/**
 * Reading and checking settings, once, at the edge. A `config.toml` (parsed with smol-toml) is mapped
 * key by key from snake_case to camelCase and checked by the same schema as `createNode()` options;
 * an error names the file, the line and the field as the file wrote it, or the option as the API
 * caller wrote it.
 */
import { readFile } from 'node:fs/promises'
import { parse, TomlError } from 'smol-toml'
import type { z } from 'zod'
import { ConfigError } from '../errors.ts'
import { configSchema, nodeSettingsSchema, type ResolvedConfig, type ResolvedNodeSettings } from './schema.ts'

/** How a field path is written for the reader. */
type Style = (segment: string) => string

/** Marks a file key that is not snake_case: no field has its name, so the schema calls it unknown. */
const NOT_A_FIELD = '\u0000'
const camel = (key: string): string => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())
const snake: Style = (key) =>
  key.startsWith(NOT_A_FIELD) ? key.slice(1) : key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
const asIs: Style = (key) => key

/** Maps whose keys are data (environment variables, HTTP headers), not field names. */
const DATA_MAPS = new Set(['env', 'headers'])

function fieldPath(path: readonly PropertyKey[], style: Style): string {
  return path
    .map((segment, i) =>
      typeof segment === 'string' && !DATA_MAPS.has(String(path[i - 1])) ? style(segment) : String(segment),
    )
    .join('.')
}

/** One issue as a line: `field: message`, fields in the reader's style. */
function formatIssue(issue: z.core.$ZodIssue, style: Style, line?: number): string {
  const where = line != null ? `line ${line}: ` : ''
  const field = issue.path.length > 0 ? fieldPath(issue.path, style) : '(top level)'
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${style(k)}"`).join(', ')
    const prefix = issue.path.length > 0 ? `${field}: ` : ''
    const hint = style === asIs ? '' : ' (see config/default.toml for the fields)'
    return `  ${where}${prefix}unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}${hint}`
  }
  // Messages name other fields as {a.b}: in the reader's style too.
  const message = issue.message.replace(/\{([A-Za-z.]+)\}/g, (_, f: string) => fieldPath(f.split('.'), style))
  return `  ${where}${field}: ${message}`
}

/** Formats zod issues as lines, naming fields as the API caller wrote them. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues.map((issue) => formatIssue(issue, asIs)).join('\n')
}

/** Checks `createNode()` settings and applies the defaults. */
export function validateNodeSettings(options: unknown): ResolvedNodeSettings {
  const result = nodeSettingsSchema.safeParse(options ?? {})
  if (!result.success) throw new ConfigError(`invalid node options\n${formatIssues(result.error.issues)}`)
  return result.data
}

/**
 * The TOML value with its keys in camelCase. A key that is not snake_case (`maxFrameBytes`) names no
 * field of a file: it is marked, and the schema calls it unknown.
 */
function camelize(value: unknown, parent?: string): unknown {
  if (Array.isArray(value)) return value.map((v) => camelize(v, parent))
  if (value == null || typeof value !== 'object' || value instanceof Date) return value
  if (parent != null && DATA_MAPS.has(parent)) return value
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => {
      const key = /^[a-z][a-z0-9_]*$/.test(k) ? camel(k) : `${NOT_A_FIELD}${k}`
      return [key, camelize(v, k)]
    }),
  )
}

/**
 * The line of the TOML text where the field at `path` (snake_case) is set: the key's line, or its
 * table's header, or the nearest enclosing one.
 */
export function lineOf(text: string, path: readonly PropertyKey[]): number | undefined {
  const keys: Array<{ path: string[]; line: number }> = []
  const arrays = new Map<string, number>()
  let table: string[] = []
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim()
    const header = line.match(/^\[\[\s*([^\]]+?)\s*\]\]/) ?? line.match(/^\[\s*([^\]]+?)\s*\]/)
    if (header != null) {
      const name = header[1]!.split('.').map((s) => s.trim().replace(/^"|"$/g, ''))
      if (line.startsWith('[[')) {
        const n = arrays.get(name.join('.')) ?? 0
        arrays.set(name.join('.'), n + 1)
        table = [...name, String(n)]
      } else table = name
      keys.push({ path: table, line: i + 1 })
      return
    }
    const key = line.match(/^([A-Za-z0-9_."-]+)\s*=/)
    if (key != null)
      keys.push({ path: [...table, ...key[1]!.split('.').map((s) => s.replace(/^"|"$/g, ''))], line: i + 1 })
  })
  const wanted = path.map(String)
  let best: { length: number; line: number } | undefined
  for (const k of keys) {
    const n = k.path.length
    if (n > wanted.length || k.path.some((s, j) => s !== wanted[j])) continue
    if (best == null || n > best.length) best = { length: n, line: k.line }
  }
  return best?.line
}

/** Parses and checks the text of a config file, with every default applied. `source` names the file. */
export function parseConfig(text: string, source: string): ResolvedConfig {
  let raw: unknown
  try {
    raw = parse(text)
  } catch (err) {
    if (err instanceof TomlError) {
      throw new ConfigError(
        `${source}: not valid TOML at line ${err.line}, column ${err.column}: ${err.message.split('\n')[0]}`,
      )
    }
    throw err
  }
  const result = configSchema.safeParse(camelize(raw))
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const snakePath = issue.path.map((s, i) =>
        typeof s === 'string' && !DATA_MAPS.has(String(issue.path[i - 1])) ? snake(s) : s,
      )
      const unknownKey = issue.code === 'unrecognized_keys' ? [snake(issue.keys[0] ?? '')] : []
      return formatIssue(issue, snake, lineOf(text, [...snakePath, ...unknownKey]))
    })
    throw new ConfigError(`${source}: invalid configuration\n${lines.join('\n')}`)
  }
  return result.data
}

/** Reads a config file; a missing file is an empty one (every default) when `optional` is set. */
export async function loadConfigFile(
  path: string,
  options: { optional?: boolean } = {},
): Promise<ResolvedConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && options.optional === true)
      return parseConfig('', path)
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`)
  }
  return parseConfig(text, path)
}
