/**
 * The storage services of the kernel: key/value store, relational database and event queue, each
 * with its factories. (services/index.ts belongs to the kernel; this file is the storage half.)
 */
export type { KeyValueStore, MemoryScriptApi, MessageHandler, ScriptDefinition, SetOptions } from './kv/KeyValueStore';
export { createMemoryStore, type MemoryStoreOptions } from './kv/MemoryStore';
export { createRedisStore, type RedisStoreOptions } from './kv/RedisStore';
export { createKeyValueStore, type KeyValueStoreOptions } from './kv/createKeyValueStore';

export type {
  Database,
  Dialect,
  Migration,
  MigrationContext,
  MigrationSet,
  MigrationStatus,
} from './database/Database';
export { createDatabase, type DatabaseOptions } from './database/SequelizeDatabase';
export { createTestDatabase, type TestDatabase } from './database/createTestDatabase';
export { parseDatabaseUrl } from './database/databaseUrl';

export type { BatchHandler, ConsumeOptions, EventQueue, QueueMessage, Subscription } from './queue/EventQueue';
export { createOutboxQueue, coreQueueMigrations, type OutboxQueueOptions } from './queue/OutboxQueue';
export { createRedisStreamQueue, type RedisStreamQueueOptions } from './queue/RedisStreamQueue';
export { createEventQueue, type EventQueueOptions } from './queue/createEventQueue';
export { QueueBufferFullError } from './queue/PublishBuffer';
