import type { CoreConfig } from '../config/coreSchema';
import type { HealthRegistry } from '../health/HealthRegistry';
import type { Clock } from '../services/Clock';
import type { Logger } from '../services/createLogger';
import type { HttpClient } from '../services/createHttpClient';
import type { Database } from '../services/database/Database';
import type { KeyValueStore } from '../services/kv/KeyValueStore';
import type { EventQueue } from '../services/queue/EventQueue';
import type { GatewayMetrics } from '../telemetry/createMetrics';
import { createToken } from './serviceTokens';

/** Tokens of the core services in the root container (unscoped; plugins normally use their context). */
export const CoreTokens = {
  Config: createToken<CoreConfig>('core.config'),
  Logger: createToken<Logger>('core.logger'),
  Database: createToken<Database>('core.database'),
  KeyValueStore: createToken<KeyValueStore>('core.kv'),
  EventQueue: createToken<EventQueue>('core.queue'),
  HttpClient: createToken<HttpClient>('core.http'),
  Clock: createToken<Clock>('core.clock'),
  Health: createToken<HealthRegistry>('core.health'),
  Metrics: createToken<GatewayMetrics>('core.metrics'),
} as const;
