/**
 * `@aihub/core`: the kernel, core services and the plugin API, for hosts and tools (the CLI, benches,
 * scripts). Plugins never import it: they import `@aihub/core/plugin-api` and, in tests,
 * `@aihub/core/testing` (eslint.config.mjs enforces it; see docs/plugins.md §11).
 */
export * from './plugin-api';
export { Kernel, redactUrl, type KernelOptions } from './kernel/Kernel';
export { prepare, type Prepared, type PrepareOptions } from './kernel/prepare';
export { describePipeline } from './kernel/describePipeline';
export { CoreTokens } from './kernel/coreServiceTokens';
export { gatewayOverheadMs, recordUpstreamTime, kernelState, type KernelState } from './kernel/buildRouteChain';
export { coreConfigSchema, pluginEntrySchema, byteSize, type CoreConfig, type PluginEntry } from './config/coreSchema';
export {
  configRows,
  configTable,
  toJsonSchema,
  withConfigTable,
  CONFIG_TABLE_START,
  CONFIG_TABLE_END,
} from './config/configTable';
export { loadConfig, resolveDatabaseUrl, defaultConfigFile } from './config/loadConfig';
export { StartupError, ProblemCode, EXIT_CONFIG, formatProblems, type Problem } from './config/problems';
export { renderError, errorStyleFor } from './errors/render';
export { buildOpenApi } from './http/openapi';
export { HealthRegistry, type CheckResult } from './health/HealthRegistry';
export { createLogger, type Logger, type LoggerOptions } from './services/createLogger';
export { createHttpClient, type HttpClient } from './services/createHttpClient';
export { systemClock, type Clock } from './services/Clock';
export {
  runInRequest,
  currentRequest,
  defineAmbientKey,
  runWithAmbient,
  ambientValue,
  type RequestInfo,
  type AmbientKey,
} from './services/requestContext';
export type { Database, Dialect, MigrationSet, MigrationStatus } from './services/database/Database';
export type { KeyValueStore, ScriptDefinition, SetOptions, MemoryScriptApi } from './services/kv/KeyValueStore';
export type { EventQueue, QueueMessage, ConsumeOptions, Subscription, BatchHandler } from './services/queue/EventQueue';
export * from './services/storage';
export { createMetrics, openMetricsToText, type GatewayMetrics } from './telemetry/createMetrics';
export { CORE_VERSION } from './version';
