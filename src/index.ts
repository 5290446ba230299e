/**
 * cord-mesh: a peer-to-peer mesh for AI agents and their MCP tools, on libp2p.
 *
 * ```ts
 * const node = await createNode({ listen: ['/ip4/127.0.0.1/tcp/0'] })
 * await node.start()
 * await node.callTool(peerId, 'echo', { text: 'hi' })
 * ```
 */
export type { AccessRule } from './admission/acl.ts'
export {
  AccessDeniedError,
  RateLimitedError,
  SwarmKeyError,
  ToolChangedError,
} from './admission/errors.ts'
export { definitionHash } from './admission/pin.ts'
export { newSwarmKey } from './admission/swarm-key.ts'
export { ConfigError } from './config/errors.ts'
export { loadConfigFile, parseConfig } from './config/load.ts'
export type { FileConfig, NodeOptions } from './config/schema.ts'
export { fileConfigToOptions } from './config/schema.ts'
export type { UpstreamSpec } from './config/servers.ts'
export { DEFAULT_MAX_FRAME_BYTES, MCP_PROTOCOL, VERSION } from './constants.ts'
export { CordError, InvalidArgumentError, NodeStoppingError, NotStartedError } from './errors.ts'
export { Gateway, type GatewayInit, type GatewaySession } from './gateway/gateway.ts'
export { type GatewayHttpInit, GatewayHttpServer } from './gateway/http.ts'
export type { Logger, LogLevel } from './logger.ts'
export { createLogger } from './logger.ts'
export type { ClientHandlers, RequestContext } from './mcp/client-handlers.ts'
export {
  CallTimeoutError,
  FrameTooLargeError,
  PeerUnreachableError,
  RemoteRequestError,
  SessionClosedError,
  TransportClosedError,
} from './mcp/errors.ts'
export { StreamTransport, type StreamTransportInit } from './mcp/stream-transport.ts'
export { createNode } from './node/create.ts'
export type { MeshCatalogEntry, MeshTool, Provider } from './node/mesh-catalog.ts'
export { CordNode, SERVED_BY } from './node/node.ts'
export type {
  CallOptions,
  CallToolResult,
  CordNodeEvents,
  GetPromptResult,
  NodeStatus,
  PeerInfo,
  Prompt,
  ReadResourceResult,
  Resource,
  ResourceTemplate,
  Tool,
  UpstreamStatus,
} from './node/types.ts'
export {
  DuplicateToolError,
  InvalidToolArgumentsError,
  InvalidToolDefinitionError,
  UnknownToolError,
} from './registry/errors.ts'
export type { JsonSchemaObject, ToolContext, ToolHandler, ToolSpec } from './registry/types.ts'
export { AmbiguousAliasError, NoProviderError, UnknownTargetError } from './router/errors.ts'
export { UpstreamUnavailableError } from './upstream/errors.ts'
