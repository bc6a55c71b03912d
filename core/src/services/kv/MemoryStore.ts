import { EventEmitter } from 'node:events';
import { systemClock, type Clock } from '../Clock';
import type { KeyValueStore, MemoryScriptApi, MessageHandler, ScriptDefinition, SetOptions } from './KeyValueStore';
import { checkIncrement, checkTtl, notAnInteger, refuseEmptyPurge, storeClosed } from './kvErrors';

export interface MemoryStoreOptions {
  /** Prefix of every key and channel of this store (`aihub:`). Default: empty. */
  prefix?: string;
  /** Time source for TTLs; tests pass a controllable clock. */
  clock?: Clock;
  /** How often expired keys are swept (they are also dropped lazily on access). Default 1000 ms. */
  sweepIntervalMs?: number;
  /** Receives errors thrown by subscription handlers (they never reach the publisher). */
  onError?: (err: unknown) => void;
}

/** One stored value. Counters stay numbers so `incr` never parses or allocates a string. */
interface Entry {
  value: string | Buffer | number;
  /** Absolute expiry in clock ms; 0 = never. */
  expiresAt: number;
}

/** Upper bound of entries the periodic sweep inspects per tick, so a huge map never stalls the loop. */
const SWEEP_BATCH = 10_000;

/** State shared by the root store and every `withPrefix` view. */
class MemoryRoot {
  readonly data = new Map<string, Entry>();
  readonly emitter = new EventEmitter();
  readonly api: MemoryScriptApi;
  closed = false;
  private sweepCursor: IterableIterator<[string, Entry]> | undefined;
  private readonly sweepTimer: NodeJS.Timeout;

  constructor(
    readonly clock: Clock,
    sweepIntervalMs: number,
    readonly onError: ((err: unknown) => void) | undefined,
  ) {
    // Any number of plugins may subscribe to the same channel; the default cap of 10 would only warn.
    this.emitter.setMaxListeners(0);
    this.sweepTimer = setInterval(() => this.sweep(), sweepIntervalMs);
    // The sweep is housekeeping: it must never keep the process alive.
    this.sweepTimer.unref();
    this.api = this.createScriptApi();
  }

  /** The live entry for a full key, dropping it when expired (lazy expiry). */
  live(key: string): Entry | undefined {
    const entry = this.data.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt !== 0 && entry.expiresAt <= this.clock.now()) {
      this.data.delete(key);
      return undefined;
    }
    return entry;
  }

  write(key: string, value: string | Buffer | number, ttlMs: number | undefined): void {
    // Like Redis SET, a plain write clears a previous TTL.
    this.data.set(key, { value, expiresAt: ttlMs === undefined ? 0 : this.clock.now() + ttlMs });
  }

  incrBy(key: string, by: number, ttlMs: number | undefined): number {
    const entry = this.live(key);
    if (entry === undefined) {
      this.write(key, by, ttlMs);
      return by;
    }
    const current = typeof entry.value === 'number' ? entry.value : parseInteger(entry.value);
    const next = current + by;
    if (!Number.isSafeInteger(next)) throw notAnInteger(key);
    entry.value = next;
    return next;
  }

  pttl(key: string): number {
    const entry = this.live(key);
    if (entry === undefined) return -2;
    if (entry.expiresAt === 0) return -1;
    return entry.expiresAt - this.clock.now();
  }

  close(): void {
    this.closed = true;
    clearInterval(this.sweepTimer);
    this.data.clear();
    this.emitter.removeAllListeners();
  }

  /** Drops expired entries, at most SWEEP_BATCH per tick, resuming where the last tick stopped. */
  private sweep(): void {
    const now = this.clock.now();
    let cursor = this.sweepCursor ?? this.data.entries();
    for (let i = 0; i < SWEEP_BATCH; i++) {
      const next = cursor.next();
      if (next.done) {
        cursor = this.data.entries();
        break;
      }
      const [key, entry] = next.value;
      if (entry.expiresAt !== 0 && entry.expiresAt <= now) this.data.delete(key);
    }
    this.sweepCursor = cursor;
  }

  private createScriptApi(): MemoryScriptApi {
    return {
      get: (key) => {
        const entry = this.live(key);
        return entry === undefined ? null : stringOf(entry.value);
      },
      set: (key, value, ttlMs) => this.write(key, value, ttlMs === undefined ? undefined : checkTtl(ttlMs)),
      del: (key) => {
        this.data.delete(key);
      },
      incrBy: (key, by) => this.incrBy(key, checkIncrement(by), undefined),
      pttl: (key) => this.pttl(key),
      pexpire: (key, ttlMs) => {
        const entry = this.live(key);
        if (entry !== undefined) entry.expiresAt = this.clock.now() + checkTtl(ttlMs);
      },
      now: () => this.clock.now(),
    };
  }
}

function stringOf(value: string | Buffer | number): string {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : value.toString('utf8');
}

const INTEGER = /^-?\d{1,16}$/;

function parseInteger(value: string | Buffer): number {
  const text = typeof value === 'string' ? value : value.toString('utf8');
  const n = INTEGER.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw notAnInteger();
  return n;
}

/** Subscribe-side wrapper that keeps a failing handler from breaking delivery to the others. */
type Listener = (message: string) => void;

/**
 * The in-process KeyValueStore: the embedded default when no Redis is configured. Everything is
 * synchronous underneath, so each call (and each script) is atomic with respect to the others.
 */
class MemoryKeyValueStore implements KeyValueStore {
  readonly kind = 'memory' as const;
  private readonly subscriptions = new Set<() => Promise<void>>();

  constructor(
    private readonly root: MemoryRoot,
    readonly prefix: string,
    private readonly isRoot: boolean,
  ) {}

  async get(key: string): Promise<string | null> {
    this.assertOpen();
    const entry = this.root.live(this.prefix + key);
    return entry === undefined ? null : stringOf(entry.value);
  }

  async mget(keys: string[]): Promise<(string | null)[]> {
    this.assertOpen();
    const out = new Array<string | null>(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const entry = this.root.live(this.prefix + keys[i]);
      out[i] = entry === undefined ? null : stringOf(entry.value);
    }
    return out;
  }

  async getBuffer(key: string): Promise<Buffer | null> {
    this.assertOpen();
    const entry = this.root.live(this.prefix + key);
    if (entry === undefined) return null;
    // A copy, as Redis would hand out: callers may mutate what they get without corrupting the store.
    return typeof entry.value === 'object' ? Buffer.from(entry.value) : Buffer.from(stringOf(entry.value), 'utf8');
  }

  async set(key: string, value: string | Buffer, options?: SetOptions): Promise<boolean> {
    this.assertOpen();
    const ttlMs = options?.ttlMs === undefined ? undefined : checkTtl(options.ttlMs);
    const full = this.prefix + key;
    if (options?.nx === true && this.root.live(full) !== undefined) return false;
    // Copy buffers: the caller may reuse its buffer after set() resolves.
    this.root.write(full, typeof value === 'string' ? value : Buffer.from(value), ttlMs);
    return true;
  }

  async del(...keys: string[]): Promise<number> {
    this.assertOpen();
    let removed = 0;
    for (const key of keys) {
      const full = this.prefix + key;
      if (this.root.live(full) !== undefined) {
        this.root.data.delete(full);
        removed++;
      }
    }
    return removed;
  }

  async incr(key: string, by = 1, ttlMs?: number): Promise<number> {
    this.assertOpen();
    return this.root.incrBy(this.prefix + key, checkIncrement(by), ttlMs === undefined ? undefined : checkTtl(ttlMs));
  }

  async pttl(key: string): Promise<number> {
    this.assertOpen();
    return this.root.pttl(this.prefix + key);
  }

  async deleteByPrefix(pattern: string): Promise<number> {
    this.assertOpen();
    refuseEmptyPurge(this.prefix, pattern);
    const start = this.prefix + pattern;
    const now = this.root.clock.now();
    let removed = 0;
    for (const [key, entry] of this.root.data) {
      if (!key.startsWith(start)) continue;
      this.root.data.delete(key);
      if (entry.expiresAt === 0 || entry.expiresAt > now) removed++;
    }
    return removed;
  }

  async runScript<R>(script: ScriptDefinition<R>, keys: string[], args: (string | number)[]): Promise<R> {
    this.assertOpen();
    const fullKeys = new Array<string>(keys.length);
    for (let i = 0; i < keys.length; i++) fullKeys[i] = this.prefix + keys[i];
    // Redis hands scripts their arguments as strings; the memory twin gets the same.
    const stringArgs = new Array<string>(args.length);
    for (let i = 0; i < args.length; i++) stringArgs[i] = String(args[i]);
    try {
      return script.memory(this.root.api, fullKeys, stringArgs);
    } catch (err) {
      throw new Error(`Script "${script.name}" failed: ${(err as Error)?.message ?? String(err)}`, { cause: err });
    }
  }

  async publish(channel: string, message: string): Promise<void> {
    this.assertOpen();
    // Delivered on a later tick, as with Redis: a publisher never runs subscriber code synchronously.
    setImmediate(emit, this.root.emitter, this.prefix + channel, message);
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<() => Promise<void>> {
    this.assertOpen();
    const full = this.prefix + channel;
    const onError = this.root.onError;
    const listener: Listener = (message) => {
      try {
        handler(message, channel);
      } catch (err) {
        onError?.(err);
      }
    };
    this.root.emitter.on(full, listener);
    let active = true;
    const unsubscribe = async (): Promise<void> => {
      if (!active) return;
      active = false;
      this.subscriptions.delete(unsubscribe);
      this.root.emitter.off(full, listener);
    };
    this.subscriptions.add(unsubscribe);
    return unsubscribe;
  }

  withPrefix(prefix: string): KeyValueStore {
    return new MemoryKeyValueStore(this.root, this.prefix + prefix, false);
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  redisClient(): undefined {
    return undefined;
  }

  /** Closing a view drops its subscriptions; closing the root store drops all data. */
  async close(): Promise<void> {
    for (const unsubscribe of [...this.subscriptions]) await unsubscribe();
    if (this.isRoot && !this.root.closed) this.root.close();
  }

  private assertOpen(): void {
    if (this.root.closed) throw storeClosed('memory');
  }
}

function emit(emitter: EventEmitter, channel: string, message: string): void {
  emitter.emit(channel, message);
}

/** Creates the in-process store (one process only: counters are not shared between instances). */
export function createMemoryStore(options: MemoryStoreOptions = {}): KeyValueStore {
  const root = new MemoryRoot(options.clock ?? systemClock, options.sweepIntervalMs ?? 1000, options.onError);
  return new MemoryKeyValueStore(root, options.prefix ?? '', true);
}
