/**
 * `servers` (`[[servers]]` in config.toml): the MCP servers a node hosts. Each is either a stdio
 * child (`command`, `args`, `env`, `cwd`) that the node starts and supervises, or a Streamable HTTP
 * endpoint (`url`, `headers`).
 */
import { z } from 'zod'
import { DEFAULT_MAX_RESTARTS, DEFAULT_RESTART_MAX_MS, DEFAULT_RESTART_MIN_MS } from '../constants.ts'
import { positiveInt } from './fields.ts'

/** Upstream server names: they prefix tool and prompt names, so they stay short and plain. */
export const serverName = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, {
  message: 'expected 1–32 letters, digits, "_" or "-", starting with a letter or digit',
})

const stringMap = z.record(z.string(), z.string())

/** One hosted server. */
export const serverSchema = z
  .strictObject({
    name: serverName,
    command: z.string().min(1).optional(),
    args: z.array(z.string()).optional(),
    env: stringMap.optional(),
    cwd: z.string().min(1).optional(),
    url: z.url({ protocol: /^https?$/, message: 'expected an http:// or https:// URL' }).optional(),
    headers: stringMap.optional(),
    maxRestarts: z.number().int().min(0).default(DEFAULT_MAX_RESTARTS),
    restartMinMs: positiveInt.default(DEFAULT_RESTART_MIN_MS),
    restartMaxMs: positiveInt.default(DEFAULT_RESTART_MAX_MS),
    enabled: z.boolean().default(true),
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

/** The hosted servers: names must be unique. */
export const serversSchema = z.array(serverSchema).superRefine((servers, ctx) => {
  const seen = new Set<string>()
  servers.forEach((s, i) => {
    if (seen.has(s.name))
      ctx.addIssue({ code: 'custom', message: `duplicate server name "${s.name}"`, path: [i, 'name'] })
    seen.add(s.name)
  })
})
