/**
 * Test helpers for plugin authors (`@aihub/core/testing`). They work under Node's test runner and under
 * Jest (`preset: '@aihub/core'` in jest.config.js; see docs/plugins.md, "Test it").
 */
export { startTestGateway, type TestGateway, type TestGatewayOptions } from './startTestGateway';
export { asCaller, identityPlugin, testTenancy, type TestHeaders, type TestTenancy } from './identity';
export { createBackend, waitFor, REDIS_URL, type Backend, type BackendKind } from './backend';
export { probePlugin, metricValue } from './probe';
export { decodeOtlpTraces, startOtlpReceiver, type ExportedSpan, type OtlpReceiver } from './otlp';

// The host's own factories, for tests that build a store, database, logger or kernel by hand
// (a plugin's source reaches these through PluginContext; its tests may construct them directly).
/** Real storage, for unit tests of a plugin's stores: in-memory or Redis key/value, SQLite or PostgreSQL. */
export {
  createMemoryStore,
  createRedisStore,
  createDatabase,
  createTestDatabase,
  type TestDatabase,
} from '../services/storage';
/** The host's logger, HTTP client and metrics, as the kernel builds them for a plugin. */
export { createLogger } from '../services/createLogger';
export { createHttpClient } from '../services/createHttpClient';
export { createMetrics } from '../telemetry/createMetrics';
/** The kernel itself and its service tokens, for tests that boot it without startTestGateway. */
export { Kernel } from '../kernel/Kernel';
export { CoreTokens } from '../kernel/coreServiceTokens';
/** The host's config loader, for tests that check a shipped config file the way `aihub start` reads it. */
export { loadConfig } from '../config/loadConfig';
