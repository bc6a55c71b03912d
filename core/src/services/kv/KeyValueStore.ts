/**
 * Key/value store used for counters, caches, locks and invalidation messages. Two implementations
 * behind this interface: in-memory (embedded default, one process) and Redis (shared by every
 * gateway instance). One contract test suite runs against both.
 */
export interface SetOptions {
  /** Expire the key after this many milliseconds. */
  ttlMs?: number;
  /** Only set when the key does not exist (a lock). */
  nx?: boolean;
}

/**
 * A script runs atomically: in Redis as Lua (EVALSHA), in memory as the JS function, which is atomic
 * because it runs synchronously on the event loop. Both must implement the same semantics.
 */
export interface ScriptDefinition<R = unknown> {
  name: string;
  lua: string;
  memory: (store: MemoryScriptApi, keys: string[], args: string[]) => R;
}

/** The synchronous primitives a memory script may use (keys are already prefixed). */
export interface MemoryScriptApi {
  get(key: string): string | null;
  set(key: string, value: string, ttlMs?: number): void;
  del(key: string): void;
  incrBy(key: string, by: number): number;
  pttl(key: string): number;
  pexpire(key: string, ttlMs: number): void;
  now(): number;
}

export type MessageHandler = (message: string, channel: string) => void;

export interface KeyValueStore {
  readonly kind: 'memory' | 'redis';
  readonly prefix: string;
  get(key: string): Promise<string | null>;
  mget(keys: string[]): Promise<(string | null)[]>;
  getBuffer(key: string): Promise<Buffer | null>;
  set(key: string, value: string | Buffer, options?: SetOptions): Promise<boolean>;
  del(...keys: string[]): Promise<number>;
  /** Atomically adds `by` and returns the new value; sets the TTL when the key is created. */
  incr(key: string, by?: number, ttlMs?: number): Promise<number>;
  /** Remaining TTL in ms, -1 without expiry, -2 when missing. */
  pttl(key: string): Promise<number>;
  /** Deletes every key under this store's prefix that starts with `pattern` (admin purges; not hot path). */
  deleteByPrefix(pattern: string): Promise<number>;
  runScript<R>(script: ScriptDefinition<R>, keys: string[], args: (string | number)[]): Promise<R>;
  publish(channel: string, message: string): Promise<void>;
  /** Subscribes to a channel; returns an unsubscribe function. Channels are prefixed too. */
  subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>>;
  /** A view of the same store with a longer prefix (plugins get `<prefix><plugin>:`). */
  withPrefix(prefix: string): KeyValueStore;
  ping(): Promise<void>;
  /** The underlying ioredis client when kind is redis (for libraries such as rate-limiter-flexible). */
  redisClient(): import('ioredis').Redis | undefined;
  close(): Promise<void>;
}
