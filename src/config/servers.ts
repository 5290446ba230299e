/**
 * `[[servers]]`: the MCP servers a node hosts. Each is either a stdio child (`command`, `args`, `env`,
 * `cwd`) that the node starts and supervises, or a Streamable HTTP endpoint (`url`, `headers`).
 */
import { z } from 'zod'
import { positiveInt } from './fields.ts'

/** Upstream server names: they prefix tool and prompt names, so they stay short and plain. */
export const serverName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, {
  message: 'expected 1–32 letters, digits, "_" or "-", starting with a letter or digit',
})

const nonNegativeInt = z.number().int().min(0)

const stringMap = z.record(z.string(), z.string())

/** One `[[servers]]` table of `config.toml`. */
export const serverFileSchema = z
  .strictObject({
    name: serverName,
    command: z.string().min(1).optional(),
    args: z.array(z.string()).optional(),
    env: stringMap.optional(),
    cwd: z.string().min(1).optional(),
    url: z.url({ protocol: /^https?$/, message: 'expected an http:// or https:// URL' }).optional(),
    headers: stringMap.optional(),
    max_restarts: nonNegativeInt.optional(),
    restart_min_ms: positiveInt.optional(),
    restart_max_ms: positiveInt.optional(),
    enabled: z.boolean().optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.command == null) === (s.url == null)) {
      ctx.addIssue({
        code: 'custom',
        message:
          'give either "command" (a stdio server) or "url" (a Streamable HTTP server), not both or neither',
        path: [],
      })
    }
    if (s.url != null) {
      for (const key of ['args', 'env', 'cwd'] as const) {
        if (s[key] != null)
          ctx.addIssue({
            code: 'custom',
            message: `"${key}" is for stdio servers (with "command"), not for "url"`,
            path: [key],
          })
      }
    }
    if (s.command != null && s.headers != null) {
      ctx.addIssue({
        code: 'custom',
        message: '"headers" is for HTTP servers (with "url"), not for "command"',
        path: ['headers'],
      })
    }
  })

/** The `servers` array: names must be unique. */
export const serversFileSchema = z.array(serverFileSchema).superRefine((servers, ctx) => {
  const seen = new Set<string>()
  servers.forEach((s, i) => {
    if (seen.has(s.name))
      ctx.addIssue({ code: 'custom', message: `duplicate server name "${s.name}"`, path: [i, 'name'] })
    seen.add(s.name)
  })
})

/** A hosted MCP server, as `createNode()` takes it. */
export interface UpstreamSpec {
  name: string
  command?: string
  args?: string[]
  env?: Record<string, string>
  cwd?: string
  url?: string
  headers?: Record<string, string>
  /** Restarts in a row before the server is marked failed (default 5). */
  maxRestarts?: number
  restartMinMs?: number
  restartMaxMs?: number
}

/** The `createNode()` form of `[[servers]]`. */
export const upstreamSpecSchema: z.ZodType<UpstreamSpec, UpstreamSpec> = z.strictObject({
  name: serverName,
  command: z.string().min(1).optional(),
  args: z.array(z.string()).optional(),
  env: stringMap.optional(),
  cwd: z.string().optional(),
  url: z.string().optional(),
  headers: stringMap.optional(),
  maxRestarts: nonNegativeInt.optional(),
  restartMinMs: positiveInt.optional(),
  restartMaxMs: positiveInt.optional(),
})

/** Turns the file form into the `createNode()` form, leaving out disabled servers. */
export function serversToSpecs(servers: z.infer<typeof serversFileSchema>): UpstreamSpec[] {
  return servers
    .filter((s) => s.enabled !== false)
    .map((s) => ({
      name: s.name,
      command: s.command,
      args: s.args,
      env: s.env,
      cwd: s.cwd,
      url: s.url,
      headers: s.headers,
      maxRestarts: s.max_restarts,
      restartMinMs: s.restart_min_ms,
      restartMaxMs: s.restart_max_ms,
    }))
}
