import type { Redis } from 'ioredis';
import type { Clock } from '../Clock';
import type { Database } from '../database/Database';
import type { EventQueue } from './EventQueue';
import { createOutboxQueue } from './OutboxQueue';
import { createRedisStreamQueue } from './RedisStreamQueue';

/**
 * One options shape for both queues (config code builds it without knowing which one it gets):
 * `redis` selects Redis Streams; without it `database` is required.
 */
export interface EventQueueOptions {
  /** An ioredis client (shared, left open on close) or a Redis URL: selects Redis Streams. */
  redis?: Redis | string;
  /** Key prefix of the streams (`aihub:`); Redis only. Default empty. */
  prefix?: string;
  /** Approximate per-stream length cap (XADD MAXLEN ~); Redis only. */
  maxLen?: number;
  /** The database holding the outbox tables; used when `redis` is not set. */
  database?: Database;
  /** Time source of the outbox. */
  clock?: Clock;
  /** How long publish() buffers before writing. Default 5 ms. */
  flushIntervalMs?: number;
  /** Write at once when this many messages are buffered. Default 1000. */
  maxBuffer?: number;
  /** publish() throws once this many messages are waiting. Default 100 000. */
  bufferLimit?: number;
  /** Receives background failures (writes, consumer loops, connection errors). */
  onError?: (err: unknown) => void;
}

/** Redis Streams when a Redis client or URL is given, the database outbox otherwise. */
export function createEventQueue(options: EventQueueOptions): EventQueue {
  const { redis, prefix, maxLen, database, clock, flushIntervalMs, maxBuffer, bufferLimit, onError } = options;
  if (redis)
    return createRedisStreamQueue({
      redis,
      prefix: prefix ?? '',
      maxLen,
      flushIntervalMs,
      maxBuffer,
      bufferLimit,
      onError,
    });
  if (!database) throw new Error('createEventQueue needs either a Redis client/URL (redis) or a database (database)');
  return createOutboxQueue({ database, clock, flushIntervalMs, maxBuffer, bufferLimit, onError });
}
