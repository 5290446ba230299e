/**
 * Every named error of Cord, in one table. Each class carries a `kind` (what failed: the CLI's exit
 * code and the control API's HTTP status derive from it) and a JSON-RPC `code` (what a serving node
 * answers with, and what the gateway tells MCP clients). Errors marked `remote` cross
 * `/cord/mcp/1.0.0` by name (`data.error`): the calling node raises the same class again. Adding an
 * error is one line here; tests and callers match on its `name`, not on its message.
 */
import * as all from './errors.ts'

/** What kind of failure an error is. */
export type ErrorKind =
  | 'usage'
  | 'config'
  | 'no-daemon'
  | 'unreachable'
  | 'timeout'
  | 'tool'
  | 'rejected'
  | 'stopping'
  | 'internal'

/** JSON-RPC 2.0 and MCP error codes (the numbers of the MCP SDK's `ErrorCode`), and Cord's own. */
export const RPC = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  ConnectionClosed: -32000,
  RequestTimeout: -32001,
  /** The serving node is shutting down. */
  NodeStopping: -32050,
  /** The hosted MCP server of a tool is down. */
  UpstreamUnavailable: -32051,
  /** The access rules refuse the call. */
  AccessDenied: -32052,
  /** Over a rate or concurrency limit (`data.retryAfterMs` says when to retry). */
  RateLimited: -32053,
  /** The pinned tool definition changed. */
  ToolChanged: -32054,
  /** The mesh could not carry the call: no provider, unreachable peer, broken session. */
  MeshUnavailable: -32055,
} as const

/** Base class of Cord's own errors: `name`, `kind` and `code` come from the concrete class. */
export class CordError extends Error {
  static override name = 'CordError'
  /** What kind of failure it is. */
  static kind: ErrorKind = 'internal'
  /** The JSON-RPC error code a serving node answers with. */
  static code: number = RPC.InternalError
  /** Whether a calling node raises this error again when a peer answers with it. */
  static remote = false
  override name: string
  readonly kind: ErrorKind
  readonly code: number
  /** The call this error failed, when it failed one (its message then ends with `(call <id>)`). */
  declare callId?: string

  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    const type = new.target as typeof CordError
    this.name = type.name
    this.kind = type.kind
    this.code = type.code
  }

  /** Fields beside the name that travel in the JSON-RPC error's `data`. */
  data(): Record<string, unknown> {
    return {}
  }

  /** Rebuilds the error from a peer's JSON-RPC error (`data` as `data()` made it). */
  static fromData(message: string, _data: Record<string, unknown>): CordError {
    // biome-ignore lint/complexity/noThisInStatic: the class the method is called on, a subclass
    return new (this as unknown as new (message: string) => CordError)(message)
  }
}

/** A base class for one row of the table: `class XError extends errorType('rejected', RPC.X) {}`. */
function errorType(kind: ErrorKind, code: number, options: { remote?: boolean } = {}): typeof CordError {
  return class extends CordError {
    static override kind = kind
    static override code = code
    static override remote = options.remote ?? false
  }
}

// The node and its API

/** The node is stopping (or stopped) and cannot take the request. */
export class NodeStoppingError extends errorType('stopping', RPC.NodeStopping, { remote: true }) {}
/** A method that needs a started node was called before `start()` or after `stop()`. */
export class NotStartedError extends errorType('internal', RPC.InternalError) {}
/** An argument given to the API is not valid (bad peer ID, bad tool name, bad options). */
export class InvalidArgumentError extends errorType('usage', RPC.InvalidParams) {}
/** A config file or a set of options is invalid. The message names the file, the field and what was expected. */
export class ConfigError extends errorType('config', RPC.InvalidParams) {}

// Admission

/** The swarm key file is not a valid libp2p/Kubo pre-shared key. */
export class SwarmKeyError extends errorType('config', RPC.InternalError) {}
/** The access rules do not let the caller call this tool. */
export class AccessDeniedError extends errorType('rejected', RPC.AccessDenied, { remote: true }) {}
/** A pinned tool's definition changed since it was pinned. */
export class ToolChangedError extends errorType('rejected', RPC.ToolChanged, { remote: true }) {}

/** Over a rate or concurrency limit; `retryAfterMs` says when a retry may pass. */
export class RateLimitedError extends errorType('rejected', RPC.RateLimited, { remote: true }) {
  readonly retryAfterMs: number
  constructor(message: string, retryAfterMs: number) {
    super(message)
    this.retryAfterMs = retryAfterMs
  }
  override data(): Record<string, unknown> {
    return { retryAfterMs: this.retryAfterMs }
  }
  static override fromData(message: string, data: Record<string, unknown>): RateLimitedError {
    return new RateLimitedError(message, typeof data.retryAfterMs === 'number' ? data.retryAfterMs : 1_000)
  }
}

// Tools

/** No tool of that name is served here. */
export class UnknownToolError extends errorType('rejected', RPC.InvalidParams, { remote: true }) {}
/** The arguments of a call do not satisfy the tool's input schema. */
export class InvalidToolArgumentsError extends errorType('rejected', RPC.InvalidParams, { remote: true }) {}
/** A tool of that name is already registered. */
export class DuplicateToolError extends errorType('usage', RPC.InvalidParams) {}
/** A tool definition is not valid (bad name, input schema not a JSON Schema object, …). */
export class InvalidToolDefinitionError extends errorType('usage', RPC.InvalidParams) {}
/** A hosted MCP server is not available now (starting, restarting, failed) or went away mid-call. */
export class UpstreamUnavailableError extends errorType('unreachable', RPC.UpstreamUnavailable, {
  remote: true,
}) {}

// The mesh hop

/** A frame is larger than the frame size limit of `/cord/mcp/1.0.0`. */
export class FrameTooLargeError extends errorType('rejected', RPC.InvalidRequest) {}
/** The stream under an MCP session is closed: the message was not sent. Safe to retry on a new session. */
export class TransportClosedError extends errorType('unreachable', RPC.ConnectionClosed) {}
/** The MCP session to a peer broke while a request was in flight: the request may or may not have run. */
export class SessionClosedError extends errorType('unreachable', RPC.ConnectionClosed) {}
/** A peer could not be reached (bad address, refused, no route, dial timed out). */
export class PeerUnreachableError extends errorType('unreachable', RPC.MeshUnavailable) {}
/** A call did not complete before its deadline. */
export class CallTimeoutError extends errorType('timeout', RPC.RequestTimeout, { remote: true }) {}

/** The remote node refused the request with a JSON-RPC error Cord has no name for; `code` is its code. */
export class RemoteRequestError extends errorType('rejected', RPC.InternalError) {
  override readonly code: number
  constructor(message: string, code: number) {
    super(message)
    this.code = code
  }
}

// Topics and direct messages

/** A message's `data` is larger than `[topics] max_message_bytes` (or is not JSON): refused before it leaves. */
export class MessageTooLargeError extends errorType('usage', RPC.InvalidParams) {}
/** The receiving peer refused a direct message (no handler, or its handler threw). */
export class MessageRefusedError extends errorType('rejected', RPC.AccessDenied) {}

// Routing

/** A target that is neither a peer ID nor the alias of a known peer. */
export class UnknownTargetError extends errorType('usage', RPC.InvalidParams) {}
/** No live node of the mesh serves the tool. */
export class NoProviderError extends errorType('rejected', RPC.MeshUnavailable) {}

/** An alias that several peers carry: the message lists them. */
export class AmbiguousAliasError extends errorType('usage', RPC.InvalidParams) {
  readonly candidates: string[]
  constructor(message: string, candidates: string[]) {
    super(message)
    this.candidates = candidates
  }
}

// The daemon and its CLI

/** No daemon runs for the data directory (no control file, or nothing answers at its address). */
export class NoDaemonError extends errorType('no-daemon', RPC.InternalError) {}
/** A daemon is already running for the data directory. */
export class DaemonRunningError extends errorType('config', RPC.InternalError) {}
/** The data directory has no log files (`cord logs`): no daemon ran there, or it ran with `[log] file = false`. */
export class NoLogsError extends errorType('no-daemon', RPC.InternalError) {}
/** The daemon runs with `gateway.enabled = false`. */
export class NoGatewayError extends errorType('no-daemon', RPC.InternalError) {}

/** The control API answered with an error: carries the remote error's name and kind. */
export class ControlRequestError extends CordError {
  /** Name of the error raised in the daemon, such as `UnknownToolError`. */
  readonly remoteName: string
  override readonly kind: ErrorKind
  constructor(message: string, remoteName: string, kind: ErrorKind) {
    super(message)
    this.remoteName = remoteName
    this.kind = kind
  }
}

/** The classes marked `remote`, by name: read off this module's own exports, so the table stays one line an error. */
let remoteTypes: ReadonlyMap<string, typeof CordError> | undefined

/** The error class named `name`, when a calling node raises it again (see `remote`). */
export function remoteErrorType(name: unknown): typeof CordError | undefined {
  remoteTypes ??= new Map(
    Object.values(all)
      .filter((v): v is typeof CordError => typeof v === 'function' && v.prototype instanceof CordError)
      .filter((type) => type.remote)
      .map((type) => [type.name, type]),
  )
  return typeof name === 'string' ? remoteTypes.get(name) : undefined
}

/** What each kind of failure becomes: the `cord` command's exit code and the control API's HTTP status. */
export const KINDS: Readonly<Record<ErrorKind, { exit: number; status: number }>> = {
  internal: { exit: 1, status: 500 },
  usage: { exit: 2, status: 400 },
  'no-daemon': { exit: 3, status: 503 },
  unreachable: { exit: 4, status: 502 },
  stopping: { exit: 4, status: 503 },
  timeout: { exit: 5, status: 504 },
  rejected: { exit: 6, status: 422 },
  tool: { exit: 7, status: 422 },
  config: { exit: 8, status: 400 },
}
