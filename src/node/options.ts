/** What `createNode()` takes: the node's settings (config/options.ts) and what only a program can give. */
import type { NodeSettings } from '../config/options.ts'
import type { ResolvedNodeSettings } from '../config/schema.ts'
import type { Logger } from '../logger.ts'
import type { ClientHandlers } from '../mcp/client-handlers.ts'
import type { TracingInit } from '../observability/tracing.ts'

/** Options of `createNode()`. Everything is optional: no `dir` means an ephemeral, in-memory node. */
export interface NodeOptions extends NodeSettings {
  /** Data directory: identity, peer store, swarm key. @default none: an ephemeral node */
  dir?: string
  /** The private network's pre-shared key (the text of a swarm.key); with `dir`, `<dir>/swarm.key` is read. */
  swarmKey?: string
  /** Answers to requests that remote tools send back to this node's calls: sampling, elicitation, roots. */
  clientHandlers?: ClientHandlers
  /** A pino logger to log through instead of a new one at `logLevel`. */
  logger?: Logger
  /**
   * Tracing: the settings of `[tracing]`, and span processors of your own (`spanProcessors`, from
   * `@opentelemetry/sdk-trace`): with either an endpoint or processors, every call is traced.
   */
  tracing?: TracingInit
}

/** A node's options with every default applied. */
export type ResolvedNodeOptions = ResolvedNodeSettings & { dir?: string }
