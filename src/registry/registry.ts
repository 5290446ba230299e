/**
 * The tools this node serves: built-in demo tools and tools registered through the API (later also
 * those of hosted MCP servers). Checks arguments against each tool's schema before its handler runs,
 * tracks calls in flight so that `stop()` can drain them, and announces changes.
 */
import { TypedEventEmitter } from '@libp2p/interface'
import { type CallToolResult, McpError, type Tool } from '@modelcontextprotocol/sdk/types.js'
import { ABORT_SETTLE_MS, TOOL_NAME_PATTERN } from '../constants.ts'
import {
  CordError,
  DuplicateToolError,
  InvalidToolArgumentsError,
  InvalidToolDefinitionError,
  UnknownToolError,
} from '../errors.ts'
import { settleWithin } from '../util/async.ts'
import { compileValidator, toJsonSchema } from './schema.ts'
import type { JsonSchemaObject, RegisteredTool, ToolContext, ToolHandler, ToolSpec } from './types.ts'

/** Events of the registry. */
export interface RegistryEvents {
  /** The set of tools changed (a tool was added or removed). */
  change: CustomEvent<void>
}

/** The registry of this node's tools. */
export class ToolRegistry extends TypedEventEmitter<RegistryEvents> {
  private readonly tools = new Map<string, RegisteredTool>()
  /** Calls running, each with the controller of its handler's signal. */
  private readonly inflight = new Map<Promise<unknown>, AbortController>()
  private readonly shutdown = new AbortController()

  /** Registers a tool; returns a function that removes it again. */
  register(name: string, spec: ToolSpec, handler: ToolHandler): () => void {
    if (!TOOL_NAME_PATTERN.test(name)) {
      throw new InvalidToolDefinitionError(
        `invalid tool name ${JSON.stringify(name)}: expected 1–64 letters, digits, "_" or "-"`,
      )
    }
    if (this.tools.has(name)) throw new DuplicateToolError(`a tool named "${name}" is already registered`)
    if (typeof handler !== 'function')
      throw new InvalidToolDefinitionError(`tool "${name}": the handler must be a function`)
    const inputSchema = toJsonSchema(spec.inputSchema, `tool "${name}": inputSchema`)
    const definition: Tool = {
      name,
      ...(spec.title != null ? { title: spec.title } : {}),
      ...(spec.description != null ? { description: spec.description } : {}),
      inputSchema: inputSchema as Tool['inputSchema'],
      ...(spec.outputSchema != null
        ? {
            outputSchema: toJsonSchema(
              spec.outputSchema,
              `tool "${name}": outputSchema`,
            ) as Tool['outputSchema'],
          }
        : {}),
      ...(spec.annotations != null ? { annotations: spec.annotations } : {}),
    }
    const entry: RegisteredTool = {
      definition,
      handler,
      validate: compileValidator(inputSchema, `tool "${name}": inputSchema`),
    }
    return this.add(entry)
  }

  /**
   * Registers a tool by its complete MCP definition, as a hosted server declares it. Its input schema
   * is checked here when Ajv can compile it; otherwise the server checks the arguments itself.
   */
  registerDefinition(definition: Tool, handler: ToolHandler): () => void {
    if (this.tools.has(definition.name))
      throw new DuplicateToolError(`a tool named "${definition.name}" is already registered`)
    let validate: RegisteredTool['validate'] = () => undefined
    try {
      validate = compileValidator(
        definition.inputSchema as JsonSchemaObject,
        `tool "${definition.name}": inputSchema`,
      )
    } catch {
      // A schema Ajv cannot compile (another draft, remote $refs): the server validates.
    }
    return this.add({ definition, handler, validate })
  }

  private add(entry: RegisteredTool): () => void {
    const name = entry.definition.name
    this.tools.set(name, entry)
    this.safeDispatchEvent('change')
    return () => {
      if (this.tools.get(name) === entry) {
        this.tools.delete(name)
        this.safeDispatchEvent('change')
      }
    }
  }

  /** The MCP definitions of every tool, sorted by name. */
  list(): Tool[] {
    return [...this.tools.values()].map((t) => t.definition).sort((a, b) => a.name.localeCompare(b.name))
  }

  /** The MCP definition of tool `name`, if registered. */
  get(name: string): Tool | undefined {
    return this.tools.get(name)?.definition
  }

  /** Whether a tool of that name is registered. */
  has(name: string): boolean {
    return this.tools.has(name)
  }

  /** How many calls are running now. */
  get activeCalls(): number {
    return this.inflight.size
  }

  /**
   * Calls a tool. Throws `UnknownToolError` or `InvalidToolArgumentsError` before the handler runs;
   * a handler that throws yields an `isError: true` result, as MCP prescribes for tool failures.
   */
  async call(
    name: string,
    args: Record<string, unknown> | undefined,
    context: ToolContext,
  ): Promise<CallToolResult> {
    const tool = this.tools.get(name)
    if (tool == null) throw new UnknownToolError(`unknown tool "${name}"`)
    const input = args ?? {}
    const problem = tool.validate(input)
    if (problem != null)
      throw new InvalidToolArgumentsError(`invalid arguments for tool "${name}": ${problem}`)
    if (this.shutdown.signal.aborted) throw this.shutdown.signal.reason
    // The handler's signal: the caller's, or the node's shutdown (drain() aborts every call's
    // controller). Joined by hand: AbortSignal.any() costs a weak reference and a finalizer per call.
    const controller = new AbortController()
    const source = context.signal
    const onAbort = (): void => controller.abort(source.reason)
    if (source.aborted) controller.abort(source.reason)
    else source.addEventListener('abort', onAbort, { once: true })
    const run = this.run(tool, input, { ...context, signal: controller.signal })
    this.inflight.set(run, controller)
    try {
      return await run
    } finally {
      this.inflight.delete(run)
      source.removeEventListener('abort', onAbort)
    }
  }

  /**
   * Waits up to `timeoutMs` for the calls in flight, then aborts the rest with `reason` and gives them
   * a moment to answer. New calls are refused with `reason` from then on.
   */
  async drain(timeoutMs: number, reason: Error): Promise<void> {
    await settleWithin([...this.inflight.keys()], timeoutMs)
    this.shutdown.abort(reason)
    for (const controller of this.inflight.values()) controller.abort(reason)
    await settleWithin([...this.inflight.keys()], ABORT_SETTLE_MS)
  }

  private async run(
    tool: RegisteredTool,
    args: Record<string, unknown>,
    context: ToolContext,
  ): Promise<CallToolResult> {
    let result: unknown
    try {
      result = await tool.handler(args, context)
    } catch (err) {
      // Aborted by the node's shutdown: a protocol-level failure, not the tool's.
      if (this.shutdown.signal.aborted && context.signal.aborted) throw this.shutdown.signal.reason
      // The tool could not run at all (its server is down): a failure of the call, not of the tool.
      if (err instanceof CordError && (err.kind === 'unreachable' || err.kind === 'stopping')) throw err
      // A hosted server refused the request (JSON-RPC error): pass its answer on as it is.
      if (err instanceof McpError) throw err
      return { isError: true, content: [{ type: 'text', text: (err as Error)?.message ?? String(err) }] }
    }
    // The shape only: the MCP SDK validates the whole result against its schema as it sends it.
    if (typeof result !== 'object' || result == null || !Array.isArray((result as CallToolResult).content)) {
      return {
        isError: true,
        content: [
          {
            type: 'text',
            text: `tool "${tool.definition.name}" returned a value that is not an MCP CallToolResult`,
          },
        ],
      }
    }
    return result as CallToolResult
  }
}
