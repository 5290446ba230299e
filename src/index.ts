/**
 * cord-mesh: a peer-to-peer mesh for AI agents and their MCP tools, on libp2p.
 *
 * ```ts
 * const node = await createNode({ listen: ['/ip4/127.0.0.1/tcp/0'] })
 * await node.start()
 * await node.callTool(peerId, 'echo', { text: 'hi' })
 * ```
 */
export { definitionHash } from './admission/pin.ts'
export { newSwarmKey } from './admission/swarm-key.ts'
export { loadConfigFile, parseConfig } from './config/load.ts'
export type {
  AccessRuleSettings,
  ConfigSettings,
  GatewaySettingsInput,
  MetricsSettings,
  NodeSettings,
  ServerSettings,
  TopicRuleSettings,
} from './config/options.ts'
export type {
  AccessRule,
  ResolvedConfig,
  ResolvedNodeSettings,
  ServerSpec,
  TopicRule,
} from './config/schema.ts'
export {
  DEFAULT_MAX_FRAME_BYTES,
  DEFAULT_MAX_MESSAGE_BYTES,
  MCP_PROTOCOL,
  MSG_PROTOCOL,
  TOPIC_PREFIX,
  VERSION,
} from './constants.ts'
export {
  AccessDeniedError,
  AmbiguousAliasError,
  CallTimeoutError,
  ConfigError,
  CordError,
  DuplicateToolError,
  type ErrorKind,
  FrameTooLargeError,
  InvalidArgumentError,
  InvalidToolArgumentsError,
  InvalidToolDefinitionError,
  MessageRefusedError,
  MessageTooLargeError,
  NodeStoppingError,
  NoProviderError,
  NotStartedError,
  PeerUnreachableError,
  RateLimitedError,
  RemoteRequestError,
  RPC,
  SessionClosedError,
  SwarmKeyError,
  ToolChangedError,
  TransportClosedError,
  UnknownTargetError,
  UnknownToolError,
  UpstreamUnavailableError,
} from './errors.ts'
export { Gateway, type GatewayInit, type GatewaySession, type MeshClient } from './gateway/gateway.ts'
export { type GatewayHttpInit, GatewayHttpServer } from './gateway/http.ts'
export type { Logger, LogLevel } from './logger.ts'
export { createLogger } from './logger.ts'
export type { ClientHandlers, RequestContext } from './mcp/client-handlers.ts'
export { serverRelay } from './mcp/relay.ts'
export { StreamTransport, type StreamTransportInit } from './mcp/stream-transport.ts'
export { SERVED_BY } from './node/calls.ts'
export { createNode } from './node/create.ts'
export type { MeshCatalogEntry, MeshTool, Provider } from './node/mesh-catalog.ts'
export { CordNode } from './node/node.ts'
export type { NodeOptions, ResolvedNodeOptions } from './node/options.ts'
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
export { CALL_ID_META } from './observability/call-id.ts'
export type { CallDirection, CallObserver } from './observability/calls.ts'
export type { ReadinessReport } from './observability/health.ts'
export { CordMetrics } from './observability/metrics.ts'
export { TRACEPARENT_META, TRACESTATE_META, type TracingInit } from './observability/tracing.ts'
export type { CallerRelay, JsonSchemaObject, ToolContext, ToolHandler, ToolSpec } from './registry/types.ts'
export type { SendResult } from './topics/direct.ts'
export type {
  DirectMessage,
  MessageHandler,
  PublishOptions,
  PublishResult,
  SendOptions,
  SubscribeOptions,
  TopicGap,
  TopicHandler,
  TopicInfo,
  TopicMessage,
  TopicsStatus,
} from './topics/types.ts'
