import type { KeyValueStore } from '../../services/kv/KeyValueStore';
import type { InstanceSnapshot } from './snapshot';

/**
 * Where instances publish their snapshots and the wall reads them. On the shared setup it is Redis:
 * one key per instance holding its snapshot with a TTL (an instance that dies drops out when the TTL
 * runs out) and a sorted set of instance ids scored by publication time to find them without SCAN.
 * On the embedded default (one process) it is this process's own snapshot.
 */
export interface MonitorBoard {
  readonly kind: 'redis' | 'memory';
  publish(snapshot: InstanceSnapshot, ttlMs: number): Promise<void>;
  /** Snapshots of every live instance. */
  read(now: number, ttlMs: number): Promise<InstanceSnapshot[]>;
  /** Removes this instance's snapshot (clean shutdown: it leaves the wall at once). */
  withdraw(id: string): Promise<void>;
}

export class MemoryBoard implements MonitorBoard {
  readonly kind = 'memory' as const;
  private current?: { snapshot: InstanceSnapshot; expiresAt: number };

  async publish(snapshot: InstanceSnapshot, ttlMs: number): Promise<void> {
    this.current = { snapshot, expiresAt: snapshot.publishedAt + ttlMs };
  }

  async read(now: number): Promise<InstanceSnapshot[]> {
    return this.current && this.current.expiresAt > now ? [this.current.snapshot] : [];
  }

  async withdraw(): Promise<void> {
    this.current = undefined;
  }
}

export class RedisBoard implements MonitorBoard {
  readonly kind = 'redis' as const;
  private readonly redis: NonNullable<ReturnType<KeyValueStore['redisClient']>>;
  private readonly index: string;
  private readonly keyPrefix: string;

  constructor(store: KeyValueStore) {
    const redis = store.redisClient();
    if (!redis) throw new Error('RedisBoard needs a Redis key/value store');
    this.redis = redis;
    this.index = `${store.prefix}monitor:instances`;
    this.keyPrefix = `${store.prefix}monitor:instance:`;
  }

  async publish(snapshot: InstanceSnapshot, ttlMs: number): Promise<void> {
    await this.redis
      .multi()
      .set(this.keyPrefix + snapshot.id, JSON.stringify(snapshot), 'PX', ttlMs)
      .zadd(this.index, snapshot.publishedAt, snapshot.id)
      // Ids of instances gone for longer than a TTL: their keys have expired already.
      .zremrangebyscore(this.index, '-inf', snapshot.publishedAt - ttlMs)
      .pexpire(this.index, ttlMs * 10)
      .exec();
  }

  async read(now: number, ttlMs: number): Promise<InstanceSnapshot[]> {
    const ids = await this.redis.zrangebyscore(this.index, now - ttlMs, '+inf');
    if (ids.length === 0) return [];
    const raw = await this.redis.mget(ids.map((id) => this.keyPrefix + id));
    const out: InstanceSnapshot[] = [];
    for (const text of raw) {
      if (!text) continue; // expired between the two calls
      try {
        out.push(JSON.parse(text) as InstanceSnapshot);
      } catch {
        // A foreign or truncated value: leave it out rather than fail the wall.
      }
    }
    return out;
  }

  async withdraw(id: string): Promise<void> {
    await this.redis.multi().del(this.keyPrefix + id).zrem(this.index, id).exec();
  }
}
