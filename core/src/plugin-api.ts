/**
 * The plugin API (`@aihub/core/plugin-api`): everything a plugin author needs, and nothing else.
 * Stable within `apiVersion: 'aihub.plugin/v1'`.
 */
// Side-effect import: brings the Koa Request augmentation (`body`, `rawBody`) into plugins' types.
import './http/readBody';
import type { z } from 'zod';
import { PLUGIN_API_VERSION, type PluginDefinition } from './kernel/types';

export { PLUGIN_API_VERSION } from './kernel/types';
export type {
  Binder,
  ConfigWarning,
  GatewayContext,
  GatewayMiddleware,
  HealthCheck,
  HookDefinition,
  HttpMethod,
  PluginContext,
  PluginDefinition,
  PluginMeter,
  PluginRouter,
  RequestHook,
  ResponseHook,
  ResponseHandler,
  RouteInfo,
  RouteOptions,
} from './kernel/types';
export { PHASES, type Phase } from './kernel/phases';
export { defineStateKey, type StateKey } from './kernel/state';
export { createToken, type ServiceToken } from './kernel/serviceTokens';
export { GatewayError, errors } from './errors/GatewayError';
export { defineErrors, ErrorTable, type ErrorSpec, type RaiseOptions } from './errors/defineErrors';
export { CoreErrors } from './errors/coreErrors';
export type { Migration, MigrationContext, Database, Dialect } from './services/database/Database';
export {
  createSql,
  num,
  numOrNull,
  bool,
  iso,
  placeholders,
  valuesList,
  instantParam,
  bulkSource,
  bulkTuples,
  bulkColumns,
  type Sql,
  type BulkColumn,
} from './services/database/sql';
export {
  InterruptibleSleep,
  isTransientDbError,
  retryTransientDb,
  type RetryTransientOptions,
} from './services/database/transientErrors';
export type { KeyValueStore, ScriptDefinition, MemoryScriptApi, SetOptions } from './services/kv/KeyValueStore';
export type { EventQueue, QueueMessage, ConsumeOptions, Subscription, BatchHandler } from './services/queue/EventQueue';
export {
  writeIsolatingPoison,
  isDataError,
  type IsolatePoisonOptions,
  type IsolatedWrite,
  type PoisonedItem,
} from './services/queue/isolatePoison';
export {
  DeadLetterStore,
  deadLetterCounter,
  deadLetterReason,
  type DeadLetter,
  type DeadLetterInput,
  type DeadLetterQuery,
} from './services/queue/DeadLetterStore';
export { mountDeadLetterRoutes } from './services/queue/deadLetterRoutes';
export {
  findUnstorable,
  sanitizeStorable,
  sanitizeText,
  jsonPath,
  type UnstorableValue,
} from './services/queue/storable';
export type { Logger } from './services/createLogger';
export type { HttpClient } from './services/createHttpClient';
export { UndiciAgent, undiciErrors, undiciIndex } from './services/undici';
export type { Clock } from './services/Clock';
export type { CoreConfig } from './config/coreSchema';
export type { ConfigPath, EnvOrigin } from './config/origins';
export {
  currentRequest,
  defineAmbientKey,
  runWithAmbient,
  ambientValue,
  type RequestInfo,
  type AmbientKey,
} from './services/requestContext';
export { validated, type Validated } from './http/validate';
export { redactSecrets, redactAddresses, redactProviderText } from './services/redact';
export { gatewayOverheadMs, recordUpstreamTime } from './kernel/buildRouteChain';
export { requestMeta, type RequestMeta } from './kernel/requestMeta';
export type { CheckResult } from './health/HealthRegistry';
export { byteSize } from './config/coreSchema';
// Plugins' own cross-reference checks suggest near names the way the core's config problems do.
export { didYouMean } from './config/didYouMean';
export type { RouteSchema } from './kernel/types';
export * from './contracts';
export { authorizeTenant, actorOf } from './contracts/authorize';
export * from './contracts/planBounds';
export { isStorableUsageTime, usageTimestamp } from './contracts/usageTime';
export { ApiVersionKey } from './versioning/state';
export { API_VERSIONS, VERSION_HEADER } from './versioning/catalog';
export type { VersionChange } from './versioning/types';

/**
 * Declares a plugin. Returns the definition unchanged but typed: `config` is inferred from the zod
 * schema, and `ctx.runtime` from what `start` returns. TypeScript infers the runtime in source
 * order, so write `start` before the callbacks that read `ctx.runtime`, or pass a named function
 * (`start: createRuntime`); otherwise `ctx.runtime` is `unknown` and the compiler says so.
 *
 * @example
 * export default definePlugin({
 *   apiVersion: 'aihub.plugin/v1', name: 'hello', version: '1.0.0', core: '^0.1.0',
 *   config: z.object({ greeting: z.string().default('hi') }).strict(),
 *   start: (ctx) => ({ greeted: 0 }),
 *   hooks: (ctx) => [{ phase: 'response.transform', handle: (c) => { ctx.runtime.greeted++; c.set('x-greeting', ctx.config.greeting); } }],
 * });
 */
export function definePlugin<S extends z.ZodType, R = unknown>(
  definition: PluginDefinition<S, R> & { config?: S },
): PluginDefinition<S, R> {
  return definition;
}

/** The value every manifest must carry. */
export const apiVersion = PLUGIN_API_VERSION;
