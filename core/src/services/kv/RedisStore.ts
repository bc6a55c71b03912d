import { createHash } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import type { KeyValueStore, MessageHandler, ScriptDefinition, SetOptions } from './KeyValueStore';
import { closeConnection, createRedisConnection, duplicateConnection } from './createRedisConnection';
import { checkIncrement, checkTtl, refuseEmptyPurge, storeClosed } from './kvErrors';

export interface RedisStoreOptions {
  /** `redis://[:password@]host:port[/db]` or `rediss://…`. */
  url: string;
  /** Prefix of every key and channel (`aihub:`). Applied by the store, not by ioredis, see below. */
  prefix: string;
  /** Extra ioredis options on top of the gateway's fail-fast defaults. */
  redisOptions?: RedisOptions;
  /** Receives connection errors and errors thrown by subscription handlers. */
  onError?: (err: unknown) => void;
}

/**
 * INCRBY that sets the TTL only when the key is created, in one atomic round trip. EXISTS first
 * rather than comparing the result with the increment: a counter that went back to `by` is not new.
 */
const INCR_WITH_TTL = `local created = redis.call('EXISTS', KEYS[1]) == 0
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if created then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value`;
const INCR_WITH_TTL_SHA = sha1(INCR_WITH_TTL);

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}

/** Escapes glob metacharacters so SCAN MATCH treats a prefix literally. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&');
}

function isNoScript(err: unknown): boolean {
  return typeof (err as Error)?.message === 'string' && (err as Error).message.startsWith('NOSCRIPT');
}

interface ChannelListener {
  handler: MessageHandler;
  /** The channel name as the subscribing view knows it (without the view's prefix). */
  channel: string;
}

/** State shared by the root store and its `withPrefix` views: one command connection, one subscriber. */
class RedisRoot {
  private subscriber: Redis | undefined;
  private readonly channels = new Map<string, Set<ChannelListener>>();
  /** sha1 per script text, computed once: EVALSHA is tried first, the full script only on NOSCRIPT. */
  private readonly shas = new WeakMap<ScriptDefinition<unknown>, string>();
  closed = false;

  constructor(
    readonly client: Redis,
    readonly onError: ((err: unknown) => void) | undefined,
  ) {}

  sha(script: ScriptDefinition<unknown>): string {
    let sha = this.shas.get(script);
    if (sha === undefined) {
      sha = sha1(script.lua);
      this.shas.set(script, sha);
    }
    return sha;
  }

  /** Runs EVALSHA with `argv` = [sha, numkeys, ...keys, ...args]; loads the script on NOSCRIPT. */
  async evalScript(lua: string, argv: (string | number)[]): Promise<unknown> {
    try {
      return await this.client.call('evalsha', argv);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      // The server lost its script cache (restart, failover, SCRIPT FLUSH): EVAL loads it again.
      argv[0] = lua;
      return this.client.call('eval', argv);
    }
  }

  async subscribe(full: string, listener: ChannelListener): Promise<void> {
    let listeners = this.channels.get(full);
    if (listeners !== undefined) {
      listeners.add(listener);
      return;
    }
    listeners = new Set([listener]);
    this.channels.set(full, listeners);
    try {
      await this.subscriberConnection().subscribe(full);
    } catch (err) {
      listeners.delete(listener);
      if (listeners.size === 0 && this.channels.get(full) === listeners) this.channels.delete(full);
      throw err;
    }
  }

  async unsubscribe(full: string, listener: ChannelListener): Promise<void> {
    const listeners = this.channels.get(full);
    if (listeners === undefined || !listeners.delete(listener) || listeners.size > 0) return;
    this.channels.delete(full);
    // Commands on one connection run in order, so a later SUBSCRIBE to the same channel still wins.
    if (this.subscriber !== undefined && !this.closed) await this.subscriber.unsubscribe(full);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.channels.clear();
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    await Promise.all([subscriber ? closeConnection(subscriber) : undefined, closeConnection(this.client)]);
  }

  /** A connection in subscriber mode can run nothing else, so subscriptions get their own, made on first use. */
  private subscriberConnection(): Redis {
    if (this.subscriber === undefined) {
      const sub = duplicateConnection(this.client, undefined, this.onError);
      sub.on('message', (channel: string, message: string) => this.dispatch(channel, message));
      this.subscriber = sub;
    }
    return this.subscriber;
  }

  private dispatch(channel: string, message: string): void {
    const listeners = this.channels.get(channel);
    if (listeners === undefined) return;
    for (const listener of listeners) {
      try {
        listener.handler(message, listener.channel);
      } catch (err) {
        // A throwing handler must not break ioredis' reply parsing or the other handlers.
        this.onError?.(err);
      }
    }
  }
}

/**
 * KeyValueStore on Redis (ioredis). Keys are prefixed here rather than with ioredis' `keyPrefix`,
 * because `keyPrefix` does not apply to SCAN patterns or to keys a Lua script builds, and the raw
 * client is handed to libraries that expect to see real key names.
 */
class RedisKeyValueStore implements KeyValueStore {
  readonly kind = 'redis' as const;
  private readonly client: Redis;
  private readonly subscriptions = new Set<() => Promise<void>>();

  constructor(
    private readonly root: RedisRoot,
    readonly prefix: string,
    private readonly isRoot: boolean,
  ) {
    this.client = root.client;
  }

  get(key: string): Promise<string | null> {
    return this.client.get(this.prefix + key);
  }

  async mget(keys: string[]): Promise<(string | null)[]> {
    // MGET with no keys is a Redis error; an empty answer is what the caller means.
    if (keys.length === 0) return [];
    const full = new Array<string>(keys.length);
    for (let i = 0; i < keys.length; i++) full[i] = this.prefix + keys[i];
    return this.client.mget(full);
  }

  getBuffer(key: string): Promise<Buffer | null> {
    return this.client.getBuffer(this.prefix + key);
  }

  async set(key: string, value: string | Buffer, options?: SetOptions): Promise<boolean> {
    const full = this.prefix + key;
    const ttl = options?.ttlMs === undefined ? undefined : checkTtl(options.ttlMs);
    let reply: 'OK' | null;
    if (options?.nx === true) {
      reply =
        ttl === undefined
          ? await this.client.set(full, value, 'NX')
          : await this.client.set(full, value, 'PX', ttl, 'NX');
    } else {
      reply = ttl === undefined ? await this.client.set(full, value) : await this.client.set(full, value, 'PX', ttl);
    }
    return reply === 'OK';
  }

  async del(...keys: string[]): Promise<number> {
    if (keys.length === 0) return 0;
    const full = new Array<string>(keys.length);
    for (let i = 0; i < keys.length; i++) full[i] = this.prefix + keys[i];
    return this.client.del(full);
  }

  async incr(key: string, by = 1, ttlMs?: number): Promise<number> {
    checkIncrement(by);
    if (ttlMs === undefined) return this.client.incrby(this.prefix + key, by);
    const reply = await this.root.evalScript(INCR_WITH_TTL, [
      INCR_WITH_TTL_SHA,
      1,
      this.prefix + key,
      by,
      checkTtl(ttlMs),
    ]);
    return reply as number;
  }

  pttl(key: string): Promise<number> {
    return this.client.pttl(this.prefix + key);
  }

  async deleteByPrefix(pattern: string): Promise<number> {
    refuseEmptyPurge(this.prefix, pattern);
    const match = `${escapeGlob(this.prefix + pattern)}*`;
    let cursor = '0';
    let removed = 0;
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      cursor = next;
      // UNLINK frees memory in the background: a purge never blocks Redis for other clients.
      if (keys.length > 0) removed += await this.client.unlink(keys);
    } while (cursor !== '0');
    return removed;
  }

  async runScript<R>(script: ScriptDefinition<R>, keys: string[], args: (string | number)[]): Promise<R> {
    const argv = new Array<string | number>(2 + keys.length + args.length);
    argv[0] = this.root.sha(script as ScriptDefinition<unknown>);
    argv[1] = keys.length;
    for (let i = 0; i < keys.length; i++) argv[2 + i] = this.prefix + keys[i];
    for (let i = 0; i < args.length; i++) argv[2 + keys.length + i] = args[i];
    try {
      return (await this.root.evalScript(script.lua, argv)) as R;
    } catch (err) {
      throw new Error(`Script "${script.name}" failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
  }

  async publish(channel: string, message: string): Promise<void> {
    await this.client.publish(this.prefix + channel, message);
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    if (this.root.closed) throw storeClosed('redis');
    const full = this.prefix + channel;
    const listener: ChannelListener = { handler, channel };
    await this.root.subscribe(full, listener);
    let active = true;
    const unsubscribe = async (): Promise<void> => {
      if (!active) return;
      active = false;
      this.subscriptions.delete(unsubscribe);
      await this.root.unsubscribe(full, listener);
    };
    this.subscriptions.add(unsubscribe);
    return unsubscribe;
  }

  withPrefix(prefix: string): KeyValueStore {
    return new RedisKeyValueStore(this.root, this.prefix + prefix, false);
  }

  async ping(): Promise<void> {
    await this.client.ping();
  }

  redisClient(): Redis {
    return this.client;
  }

  /** A view drops its own subscriptions; only the root store closes the connections. */
  async close(): Promise<void> {
    const pending = [...this.subscriptions].map((unsubscribe) => unsubscribe().catch(() => {}));
    await Promise.all(pending);
    if (this.isRoot) await this.root.close();
  }
}

/** Creates the Redis-backed store; it connects in the background and reconnects by itself. */
export function createRedisStore(options: RedisStoreOptions): KeyValueStore {
  const client = createRedisConnection(options.url, options.redisOptions, options.onError);
  return new RedisKeyValueStore(new RedisRoot(client, options.onError), options.prefix, true);
}
