/**
 * Reading and validating configuration: the TOML file (parsed with smol-toml) and the options of
 * `createNode()`, both through zod, once, at the edge.
 */
import { readFile } from 'node:fs/promises'
import { parse, TomlError } from 'smol-toml'
import type { z } from 'zod'
import { ConfigError } from './errors.ts'
import { type FileConfig, fileConfigSchema, type NodeOptions, nodeOptionsSchema } from './schema.ts'

/** Formats zod issues as `field: message` lines, naming the field the way the user wrote it. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const field = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)'
      if (issue.code === 'unrecognized_keys') {
        const where = issue.path.length > 0 ? `${field}: ` : ''
        return `  ${where}unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')} (see config/default.toml for the fields)`
      }
      return `  ${field}: ${issue.message}`
    })
    .join('\n')
}

/** Parses and validates the text of a config file. `source` names the file in error messages. */
export function parseConfig(text: string, source: string): FileConfig {
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
  const result = fileConfigSchema.safeParse(raw)
  if (!result.success) {
    throw new ConfigError(`${source}: invalid configuration\n${formatIssues(result.error.issues)}`)
  }
  return result.data
}

/** Reads a config file; a missing file is an empty config when `optional` is set. */
export async function loadConfigFile(
  path: string,
  options: { optional?: boolean } = {},
): Promise<FileConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && options.optional === true) return {}
    throw new ConfigError(`cannot read config file ${path}: ${(err as Error).message}`)
  }
  return parseConfig(text, path)
}

/** Validates the options of `createNode()`. */
export function validateNodeOptions(options: unknown): NodeOptions {
  const result = nodeOptionsSchema.safeParse(options ?? {})
  if (!result.success) {
    throw new ConfigError(`invalid node options\n${formatIssues(result.error.issues)}`)
  }
  return result.data as NodeOptions
}
