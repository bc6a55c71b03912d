import type { Clock } from '../Clock';
import type { KeyValueStore } from './KeyValueStore';
import { createMemoryStore } from './MemoryStore';
import { createRedisStore } from './RedisStore';

export interface KeyValueStoreOptions {
  /** Redis URL; without one the store lives in this process (the embedded default). */
  url?: string;
  /** Prefix of every key and channel (`aihub:`). */
  prefix: string;
  /** Time source of the memory store (Redis keeps its own time). */
  clock?: Clock;
  /** Receives connection errors and errors thrown by subscription handlers. */
  onError?: (err: unknown) => void;
}

/** Picks the implementation from config: Redis when a URL is set, memory otherwise. */
export function createKeyValueStore(options: KeyValueStoreOptions): KeyValueStore {
  if (options.url) return createRedisStore({ url: options.url, prefix: options.prefix, onError: options.onError });
  return createMemoryStore({ prefix: options.prefix, clock: options.clock, onError: options.onError });
}
