/**
 * Backends for plugin tests: the embedded default (SQLite file + in-memory store and outbox queue)
 * or PostgreSQL + Redis (a fresh database and a random key prefix per test file, removed afterwards).
 */
import { randomBytes } from 'node:crypto';
import { createRedisStore, createTestDatabase } from '../services/storage';

export type BackendKind = 'embedded' | 'postgres';

export interface Backend {
  kind: BackendKind;
  config: Record<string, unknown>;
  databaseUrl: string;
  redisUrl?: string;
  keyPrefix: string;
  cleanup(): Promise<void>;
}

export const REDIS_URL = process.env.AIHUB_TEST_REDIS_URL || 'redis://127.0.0.1:6379';

export async function createBackend(kind: BackendKind): Promise<Backend> {
  const db = await createTestDatabase(kind === 'embedded' ? 'sqlite' : 'postgres');
  const keyPrefix = `aihub-test-${randomBytes(6).toString('hex')}:`;
  const redisUrl = kind === 'postgres' ? REDIS_URL : undefined;
  return {
    kind,
    databaseUrl: db.url,
    redisUrl,
    keyPrefix,
    config: {
      database: { url: db.url, poolMax: 10 },
      redis: redisUrl ? { url: redisUrl, keyPrefix } : { keyPrefix },
      queue: { flushIntervalMs: 5 },
    },
    async cleanup() {
      if (redisUrl) {
        const store = createRedisStore({ url: redisUrl, prefix: keyPrefix });
        try {
          await store.deleteByPrefix('');
        } finally {
          await store.close();
        }
      }
      await db.drop();
    },
  };
}

/** Polls until `fn` returns true (or fails the test after `timeoutMs`). */
export async function waitFor(
  what: string,
  fn: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
  everyMs = 25,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
