import { resolveDatabaseUrl } from '../config/loadConfig';
import type { CoreConfig } from '../config/coreSchema';
import { ProblemCode, StartupError } from '../config/problems';
import type { Logger } from '../services/createLogger';
import type { Database } from '../services/database/Database';
import type { KeyValueStore } from '../services/kv/KeyValueStore';
import type { EventQueue } from '../services/queue/EventQueue';
import { createDatabase, createEventQueue, createKeyValueStore } from '../services/storage';

/**
 * Boot step "open core services": the database, the key-value store and the event queue every plugin
 * context is cut from. Opening and checking are separate so the kernel holds what it opened before a
 * check can fail, and closes it on the way out.
 */

/** Opens the configured database (embedded SQLite by default). */
export async function openDatabase(cfg: CoreConfig, logger: Logger): Promise<Database> {
  try {
    return await createDatabase({
      url: resolveDatabaseUrl(cfg),
      pool: { max: cfg.database.poolMax },
      logging: cfg.database.logSql ? (sql: string) => logger.debug(sql) : undefined,
    });
  } catch (err) {
    throw unreachableDatabase(cfg, err);
  }
}

/** Fails startup with a clear problem (password hidden) when the database does not answer. */
export async function checkDatabase(database: Database, cfg: CoreConfig): Promise<void> {
  try {
    await database.ping();
  } catch (err) {
    throw unreachableDatabase(cfg, err);
  }
}

function unreachableDatabase(cfg: CoreConfig, err: unknown): StartupError {
  return new StartupError([
    {
      code: ProblemCode.SERVICE_UNAVAILABLE,
      path: 'database.url',
      message: `cannot connect to the database (${redactUrl(resolveDatabaseUrl(cfg))}): ${(err as Error).message}`,
    },
  ]);
}

/** Opens the key-value store: Redis when `redis.url` is set, in memory otherwise. */
export function openStore(cfg: CoreConfig): KeyValueStore {
  return createKeyValueStore({ url: cfg.redis.url, prefix: cfg.redis.keyPrefix });
}

/** Fails startup when a configured Redis does not answer (the in-memory store always does). */
export async function checkStore(store: KeyValueStore, cfg: CoreConfig): Promise<void> {
  if (!cfg.redis.url) return;
  try {
    await store.ping();
  } catch (err) {
    throw new StartupError([
      {
        code: ProblemCode.SERVICE_UNAVAILABLE,
        path: 'redis.url',
        message: `cannot connect to Redis (${redactUrl(cfg.redis.url)}): ${(err as Error).message}`,
      },
    ]);
  }
}

/**
 * Opens the event queue on Redis (`queue.driver: redis`, or `auto` with Redis configured) or on the
 * database. Needs the store open first: the Redis queue shares its connection.
 */
export function openQueue(cfg: CoreConfig, database: Database, store: KeyValueStore, logger: Logger): EventQueue {
  // Background queue failures (a flush while Redis or the database is away) are retried by the
  // queue; log them at most once per 10 s so an outage does not flood the log.
  let lastQueueLog = 0;
  const onError = (err: unknown) => {
    const now = Date.now();
    if (now - lastQueueLog < 10_000) return;
    lastQueueLog = now;
    logger.warn('event queue background error (will retry)', { err });
  };
  const useRedisQueue = cfg.queue.driver === 'redis' || (cfg.queue.driver === 'auto' && !!cfg.redis.url);
  return createEventQueue(
    useRedisQueue
      ? {
          redis: store.redisClient() ?? cfg.redis.url!,
          prefix: cfg.redis.keyPrefix,
          flushIntervalMs: cfg.queue.flushIntervalMs,
          onError,
        }
      : { database, flushIntervalMs: cfg.queue.flushIntervalMs, onError },
  );
}

/** Hides passwords in connection URLs before they reach a log or an error. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):([^@]+)@/, '//$1:***@');
}
