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
  /** Snapshots of every live instance, with at least the buckets from `since` (Unix ms) on. */
  read(now: number, ttlMs: number, since: number): Promise<InstanceSnapshot[]>;
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

/**
 * How much history the head key of an instance holds. The wall's default window (60 s) reads only
 * the heads; a longer window also reads each instance's older buckets. Parsing the snapshots is most
 * of what an open wall costs the gateway, so the common read stays small.
 */
export const RECENT_MS = 90_000;

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
    const cut = snapshot.publishedAt - RECENT_MS;
    const first = snapshot.buckets.findIndex((b) => b.t >= cut);
    const split = first === -1 ? snapshot.buckets.length : first;
    const key = this.keyPrefix + snapshot.id;
    await this.redis
      .multi()
      .set(key, JSON.stringify({ ...snapshot, buckets: snapshot.buckets.slice(split) }), 'PX', ttlMs)
      .set(`${key}:older`, JSON.stringify(snapshot.buckets.slice(0, split)), 'PX', ttlMs)
      .zadd(this.index, snapshot.publishedAt, snapshot.id)
      // Ids of instances gone for longer than a TTL: their keys have expired already.
      .zremrangebyscore(this.index, '-inf', snapshot.publishedAt - ttlMs)
      .pexpire(this.index, ttlMs * 10)
      .exec();
  }

  async read(now: number, ttlMs: number, since: number): Promise<InstanceSnapshot[]> {
    const ids = await this.redis.zrangebyscore(this.index, now - ttlMs, '+inf');
    if (ids.length === 0) return [];
    // A head covers RECENT_MS before its publication, which is at most a TTL old.
    const older = since < now - ttlMs - RECENT_MS;
    const keys = ids.map((id) => this.keyPrefix + id);
    const raw = await this.redis.mget(older ? [...keys, ...keys.map((k) => `${k}:older`)] : keys);
    const out: InstanceSnapshot[] = [];
    for (let i = 0; i < ids.length; i++) {
      const text = raw[i];
      if (!text) continue; // expired between the two calls
      try {
        const snapshot = JSON.parse(text) as InstanceSnapshot;
        const olderText = older ? raw[ids.length + i] : null;
        if (olderText)
          snapshot.buckets = [...(JSON.parse(olderText) as InstanceSnapshot['buckets']), ...snapshot.buckets];
        out.push(snapshot);
      } catch {
        // A foreign or truncated value: leave it out rather than fail the wall.
      }
    }
    return out;
  }

  async withdraw(id: string): Promise<void> {
    const key = this.keyPrefix + id;
    await this.redis.multi().del(key, `${key}:older`).zrem(this.index, id).exec();
  }
}
